"""Spreadsheets and other files built in memory for the import tests."""

import csv
import datetime
import hashlib
import io
import re
import struct
import zipfile
from collections.abc import Callable, Mapping, Sequence

# Without stubs in requirements-dev.txt, and with none for xlwt at all.
import openpyxl
import xlwt
from openpyxl.worksheet.worksheet import Worksheet

# A row of cells as written; None leaves the cell empty. An empty row leaves a blank row.
Rows = Sequence[Sequence[object]]

ROSTER_HEADER = ["序号", "姓名", "性别", "身份证号", "出生日期", "联系电话"]


def xlsx(
    rows: Rows,
    *,
    sheets: Mapping[str, Rows] | None = None,
    title: str | None = None,
    sheet_name: str = "花名册",
    chart_first: bool = False,
) -> bytes:
    """A workbook whose data sheet holds rows; `sheets` come first, `title` is merged above."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    if chart_first:
        book.create_chartsheet("图表")
    for name, notes in (sheets or {}).items():
        _write_xlsx_rows(book.create_sheet(name), notes, first_row=1)
    sheet = book.create_sheet(sheet_name)
    if title is not None:
        width = max((len(row) for row in rows), default=1)
        sheet.cell(row=1, column=1, value=title)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 2))
    _write_xlsx_rows(sheet, rows, first_row=2 if title is not None else 1)
    return save(book)


def empty_xlsx(*sheet_names: str) -> bytes:
    """A workbook whose sheets have no cells at all."""
    book = openpyxl.Workbook()
    for name in sheet_names:
        book.create_sheet(name)
    return save(book)


def save(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_xlsx_rows(sheet: Worksheet, rows: Rows, *, first_row: int) -> None:
    for number, row in enumerate(rows, start=first_row):
        for column, value in enumerate(row, start=1):
            if value is not None:
                cell = sheet.cell(row=number, column=column, value=value)
                if isinstance(value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"


def xls(rows: Rows, *, sheet_name: str = "花名册") -> bytes:
    """An Excel 97–2003 workbook; dates become real date cells."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(sheet_name)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(number, column, value, date_style)
            elif value is not None:
                sheet.write(number, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Rows, encoding: str = "utf-8", *, delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def rewrite_zip(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """The zip with one member's content changed, the others copied as they are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, change(content) if info.filename == member else content)
    return buffer.getvalue()


def docx_like() -> bytes:
    """A Word document's package: a zip, but not a workbook."""
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>',
        }
    )


def zeros_bomb(size: int) -> bytes:
    """A workbook-looking zip with one member of `size` zero bytes, written in 1 MB pieces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            piece = bytes(1024 * 1024)
            for _ in range(size // len(piece)):
                member.write(piece)
    return buffer.getvalue()


def declared_bomb(*, padding: int, members: int, declared: int) -> bytes:
    """A workbook-looking zip whose central directory claims `declared` bytes per member.

    Nothing in it is that large: only the declared sizes are rewritten, as an attacker
    would. `padding` random bytes, stored, give the upload its real size.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for number in range(members):
            archive.writestr(f"xl/worksheets/sheet{number + 1}.xml", b"<worksheet/>")
        archive.writestr(
            zipfile.ZipInfo("xl/media/padding.bin"),
            random_bytes(padding),
            compress_type=zipfile.ZIP_STORED,
        )
    data = bytearray(buffer.getvalue())
    end_record = data.rfind(b"PK\x05\x06")
    entries, _, start = struct.unpack_from("<HII", data, end_record + 10)
    for _ in range(entries):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, start + 28)
        if data[start + 46 : start + 46 + name_length].startswith(b"xl/worksheets/"):
            struct.pack_into("<I", data, start + 24, declared)  # uncompressed size
        start += 46 + name_length + extra_length + comment_length
    return bytes(data)


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def random_bytes(size: int = 4096) -> bytes:
    """Bytes that look random and are the same on every run."""
    blocks = (hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(size // 32 + 1))
    return b"".join(blocks)[:size]


# --- Sheets that reach far (fuwushe.imports.limits) ----------------------------------

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_xlsx(
    sheet_data: str, *, dimension: str | None = None, sheet_name: str = "花名册"
) -> bytes:
    """A workbook of one sheet whose <sheetData> holds `sheet_data` as written."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SPREADSHEET_NS}">'
        f"{declared}<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
                b'"http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="rels" ContentType='
                b'"application/vnd.openxmlformats-package.relationships+xml"/>'
                b'<Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/xl/workbook.xml" ContentType='
                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                b"</Types>"
            ),
            "_rels/.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                b'"http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                b"</Relationships>"
            ),
            "xl/workbook.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{SPREADSHEET_NS}" '
                f'xmlns:r="{RELATIONSHIPS_NS}"><sheets><sheet name="{sheet_name}" sheetId="1" '
                'r:id="rId1"/></sheets></workbook>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                b'"http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                b"</Relationships>"
            ),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


def text_cell(reference: str, text: object) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def text_row(number: int, values: Sequence[object]) -> str:
    """A <row> whose cells, from column A, hold `values` as text."""
    cells = (text_cell(f"{chr(ord('A') + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{"".join(cells)}</row>'


def roster_sheet_data(rows: int) -> str:
    """<sheetData> rows: ROSTER_HEADER's first four columns, then `rows` people."""
    people = (
        text_row(n, [n - 1, f"党员{n}", "男", f"3701021950{n:08d}"]) for n in range(2, rows + 2)
    )
    return text_row(1, ROSTER_HEADER[:4]) + "".join(people)


def far_cell_xlsx_row(reference: str) -> str:
    """A <row> holding one cell, "x", at `reference`."""
    row = "".join(c for c in reference if c.isdigit())
    return f'<row r="{row}">{text_cell(reference, "x")}</row>'


def far_cell_xlsx(reference: str) -> bytes:
    """A two-person roster with one more cell, "x", at `reference` in a row of its own;
    the declared dimension still says A1:F2, as a crafted file would."""
    data = xlsx([ROSTER_HEADER, [1, "王允功", "男", "370102195003011234"]])
    far = f"{far_cell_xlsx_row(reference)}</sheetData>".encode()
    return rewrite_zip(
        data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", far)
    )


def declared_xlsx(dimension: str) -> bytes:
    """A two-person roster whose sheet declares `dimension`."""
    data = xlsx([ROSTER_HEADER, [1, "王允功", "男", "370102195003011234"]])
    return rewrite_zip(
        data,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), xml
        ),
    )


def far_cell_xls(row: int = 65536, column: int = 256) -> bytes:
    """An Excel 97–2003 roster header with one more cell at `row` and `column` (counted
    from 1), by default the last ones an XLS has (IV65536)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    for number, header in enumerate(ROSTER_HEADER):
        sheet.write(0, number, header)
    sheet.write(row - 1, column - 1, "x")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The three forms real ledgers come in, by the file name the tests give them.
LEDGER_FORMS = ("花名册.xlsx", "花名册.xls", "花名册.csv")


def ledger(rows: Rows, file_name: str) -> bytes:
    """The same rows as an xlsx or xls workbook, or as a CSV in GBK (as Excel in China saves)."""
    if file_name.endswith(".xlsx"):
        return xlsx(rows)
    if file_name.endswith(".xls"):
        return xls(rows)
    return csv_bytes(rows, "gbk")
