"""Read an uploaded ledger (XLSX, XLS or CSV) into its header and its data rows.

The format is judged by content, never by the file's name. Row numbers are the ones Excel
shows, so that an error can say "第 12 行" and the user finds that row at once. Workbooks
are parsed in a child process under a memory limit, and a sheet reaching far beyond what
a ledger holds is refused (limits.py).
"""

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice

from django.conf import settings
from django.core.files import File
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from fuwushe.files.validation import (
    CSV,
    TEXT_ENCODINGS,
    XLS,
    XLSX,
    detect_type,
    is_zip_bomb,
    size_label,
)
from fuwushe.imports import limits

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 30
FOOTER_WORDS = ("合计", "总计", "小计", "共计")
CSV_DELIMITERS = (",", ";", "\t")
CSV_SAMPLE_CHARS = 64 * 1024
# A workbook's rows come from the parsing child in batches of this many.
ROWS_PER_BATCH = 1000

NOT_A_SPREADSHEET = (
    "无法读取这个文件：它不是 Excel 表格（XLSX、XLS）或 CSV 文件，或者文件已损坏。"
    "请在 Excel 中打开后“另存为”XLSX 格式再上传。"
)
NO_CELLS = "文件里没有任何内容。"
ONLY_HEADER = "表格只有表头，没有数据。"

# Hints in brackets after a header ("身份证号（18位）"), after NFKC has made them ASCII.
HEADER_HINT = re.compile(r"\([^)]*\)|\[[^]]*\]|【[^】]*】|〔[^〕]*〕")
HEADER_NOISE = re.compile(r"[\s*\u200b-\u200d\ufeff]")
HEADER_EDGE_PUNCTUATION = ":;,.、。!?-—_/|"
# Control characters never found in a text ledger; tab, CR and LF are fine.
BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SPACE_RUNS = re.compile(r"\s+")
# What the parsing child sends besides batches of rows (lists): a worksheet's start with
# its name and the index of its first column, its end, a sheet reaching beyond the limits
# with how far, and a file calamine cannot read.
SHEET, SHEET_END, OVERSIZED, UNREADABLE = "sheet", ("sheet_end",), "oversized", ("unreadable",)

# A sheet's cells, row by row from Excel row 1, each row starting at column A.
Cells = Sequence[object]


class Rejected(Exception):
    """The file is refused whole."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    # A header row is only recognised when it has every required column.
    required: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    values: dict[str, object]


@dataclass
class Table:
    """A recognised table: its header, and its data rows read as they are consumed."""

    name: str
    header_row: int
    columns: dict[str, int]
    labels: dict[str, str]
    rows: Iterable[Row]


@dataclass
class Sheet(Table):
    """A table with all its rows read."""

    rows: list[Row]


@dataclass(frozen=True)
class _Table:
    name: str
    rows: Iterator[Cells]


@dataclass(frozen=True)
class _Header:
    index: int  # 0-based position among the table's rows
    columns: dict[str, int]


def read_table(data: bytes, columns: Sequence[Column], *, max_bytes: int | None = None) -> Sheet:
    """Find the first sheet with a recognised header and return all its data rows."""
    table = open_table(data, columns, max_bytes=max_bytes)
    return Sheet(table.name, table.header_row, table.columns, table.labels, list(table.rows))


def open_table(data: bytes, columns: Sequence[Column], *, max_bytes: int | None = None) -> Table:
    """Find the first sheet with a recognised header; its rows are read as they are used,
    so that an import holds one row of the file at a time, not all of them."""
    limit = max_bytes if max_bytes is not None else max_import_bytes()
    if len(data) > limit:
        raise Rejected("too_large", f"文件超过 {size_label(limit)} 的上限，请分成几个文件导入。")
    if not data:
        raise Rejected("empty", NO_CELLS)
    lookup = _header_lookup(columns)
    any_cells = False
    for table in _tables(data, limit):
        head = list(islice(table.rows, HEADER_SEARCH_ROWS))
        header = _find_header(head, lookup, columns)
        if header is not None:
            return _sheet(table, head, header)
        any_cells = any_cells or _has_cells(head) or _has_cells(table.rows)
    if not any_cells:
        raise Rejected("empty", NO_CELLS)
    raise Rejected("no_header", _no_header_message(columns))


def max_import_bytes() -> int:
    limit: int = settings.FUWUSHE_IMPORT_MAX_BYTES
    return limit


# --- Formats ----------------------------------------------------------------------


def _tables(data: bytes, limit: int) -> Iterator[_Table]:
    upload = File(io.BytesIO(data))
    file_type = detect_type(upload, text_allowed=True)
    if file_type == XLSX:
        if is_zip_bomb(upload, limit):
            raise Rejected("too_large", "文件解压后过大，疑似恶意构造的压缩文件，已拒绝。")
        refusal = limits.oversized_sheet(data, cells_up_to=limits.EAGER_SCAN_BYTES)
        if refusal is not None:
            raise Rejected("too_large", refusal)
        yield from _workbook_tables(data)
    elif file_type == XLS:
        yield from _workbook_tables(data)
    elif file_type == CSV:
        yield _csv_table(data)
    else:
        raise Rejected("not_a_spreadsheet", NOT_A_SPREADSHEET)


def _workbook_tables(data: bytes) -> Iterator[_Table]:
    # calamine reads in a child process under a memory limit (fuwushe.imports.limits).
    # The tables share its one stream: rows of a table the caller has left are skipped
    # here; the child lives as long as the stream, which the last table's rows hold.
    child = limits.Child(partial(_read_workbook, data), memory_mb=settings.FUWUSHE_IMPORT_MEMORY_MB)
    events = _events(child)
    for event in events:
        if isinstance(event, tuple) and event[0] == SHEET:
            yield _Table(event[1], _sheet_rows(events, event[2]))


def _read_workbook(data: bytes) -> Iterator[object]:
    """In the child: for each worksheet with cells, (SHEET, name, first column), its rows
    in batches and SHEET_END; (OVERSIZED, name, rows, columns) for a sheet beyond the
    limits; UNREADABLE when calamine cannot read the file."""
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            for sheet_info in book.sheets_metadata:
                if sheet_info.typ != SheetTypeEnum.WorkSheet:
                    continue  # charts and macros hold no rows
                sheet = book.get_sheet_by_name(sheet_info.name)
                if sheet.start is None or sheet.end is None:
                    continue
                reach = limits.Reach(sheet.end[0] + 1, sheet.end[1] + 1)
                if reach.exceeds_limits():
                    yield (OVERSIZED, sheet_info.name, reach.rows, reach.columns)
                    return
                yield (SHEET, sheet_info.name, sheet.start[1])
                rows = sheet.iter_rows()
                while batch := list(islice(rows, ROWS_PER_BATCH)):
                    yield batch
                yield SHEET_END
    except (CalamineError, ValueError):
        yield UNREADABLE


def _events(child: limits.Child) -> Iterator[object]:
    try:
        for event in child:
            if isinstance(event, tuple) and event[0] == OVERSIZED:
                _, name, rows, columns = event
                reach = limits.Reach(rows, columns)
                raise Rejected("too_large", limits.oversized_message(name, reach))
            if event == UNREADABLE:
                raise Rejected("not_a_spreadsheet", NOT_A_SPREADSHEET)
            yield event
    except limits.LimitExceeded as exceeded:
        raise Rejected("too_large", exceeded.message) from None
    except limits.ChildFailed as failed:
        # calamine panicked (a bug of its own, met by a malformed file), or ours did.
        logger.error("Reading a workbook failed in the child process:\n%s", failed)
        raise Rejected("not_a_spreadsheet", NOT_A_SPREADSHEET) from None


def _sheet_rows(events: Iterator[object], first_column: int) -> Iterator[Cells]:
    # iter_rows() pads the empty rows above the first cell, so its rows are numbered as in
    # Excel; it does not pad the empty columns left of the first cell, so they are added.
    # (The padding is bounded by the limits on rows × columns, fuwushe.imports.limits.)
    padding = [""] * first_column
    for batch in events:
        if not isinstance(batch, list):
            return  # SHEET_END
        if padding:
            yield from ([*padding, *row] for row in batch)
        else:
            yield from batch


def _csv_table(data: bytes) -> _Table:
    text = _decode(data).rstrip("\x1a")  # DOS end-of-file mark
    if BINARY.search(text):
        raise Rejected("not_a_spreadsheet", NOT_A_SPREADSHEET)
    delimiter = _csv_delimiter(text)
    return _Table("CSV", _csv_rows(text, delimiter))


def _decode(data: bytes) -> str:
    for encoding in TEXT_ENCODINGS:  # UTF-8 with or without BOM, then GB18030 (⊃ GBK)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Rejected("not_a_spreadsheet", NOT_A_SPREADSHEET)


def _csv_delimiter(text: str) -> str:
    # Chinese text writes its commas and semicolons full-width, so the ASCII one that
    # occurs most near the top is the delimiter.
    sample = "\n".join(text[:CSV_SAMPLE_CHARS].splitlines()[:HEADER_SEARCH_ROWS])
    best = max(CSV_DELIMITERS, key=sample.count)
    return best if sample.count(best) else ","


def _csv_rows(text: str, delimiter: str) -> Iterator[Cells]:
    # Each record is one row, also when a quoted cell holds a line break: Excel opening
    # the file numbers rows the same way.
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise Rejected("not_a_spreadsheet", NOT_A_SPREADSHEET) from exc


# --- Header -----------------------------------------------------------------------


def _header_lookup(columns: Sequence[Column]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in columns:
        for wording in (column.label, *column.aliases):
            lookup.setdefault(_normalise_header(wording), column.key)
    return lookup


def _normalise_header(text: str) -> str:
    """Header text reduced to what identifies the column: "* 身份证号\n（18位）：" → "身份证号"."""
    text = unicodedata.normalize("NFKC", text)
    text = HEADER_NOISE.sub("", HEADER_HINT.sub("", text))
    return text.strip(HEADER_EDGE_PUNCTUATION).casefold()


def _find_header(
    rows: list[Cells], lookup: dict[str, str], columns: Sequence[Column]
) -> _Header | None:
    required = {column.key for column in columns if column.required}
    enough = min(2, len(columns))
    best: _Header | None = None
    for index, row in enumerate(rows):
        found = _match_header(row, lookup)
        if len(found) < enough or not required <= found.keys():
            continue
        if best is None or len(found) > len(best.columns):
            best = _Header(index, found)
    return best


def _match_header(row: Cells, lookup: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = lookup.get(_normalise_header(cell)) if isinstance(cell, str) else None
        if key is not None and key not in found:  # a repeated header: the first one wins
            found[key] = index
    return found


def _no_header_message(columns: Sequence[Column]) -> str:
    required = [f"“{column.label}”" for column in columns if column.required]
    if required:
        wanted = f"并且包含{''.join(required)}这几列"
    else:
        wanted = f"并且至少包含其中两列：{''.join(f'“{c.label}”' for c in columns)}"
    return f"没有找到表头：请确认表格前 {HEADER_SEARCH_ROWS} 行中有一行列名，{wanted}。"


# --- Rows -------------------------------------------------------------------------


def _sheet(table: _Table, head: list[Cells], header: _Header) -> Table:
    after_header = header.index + 1
    numbered = chain(
        enumerate(head[after_header:], start=after_header + 1),
        enumerate(table.rows, start=len(head) + 1),
    )
    header_cells = head[header.index]
    rows = _rows(numbered, header_cells, header.columns)
    first = next(rows, None)
    if first is None:
        raise Rejected("empty", ONLY_HEADER)
    return Table(
        name=table.name,
        header_row=after_header,
        columns=header.columns,
        labels={key: _label(header_cells[i]) for key, i in header.columns.items()},
        rows=chain([first], rows),
    )


def _rows(
    rows: Iterator[tuple[int, Cells]], header_cells: Cells, columns: dict[str, int]
) -> Iterator[Row]:
    for number, cells in rows:
        width = len(cells)
        values = {key: _value(cells[i]) if i < width else None for key, i in columns.items()}
        if all(_is_blank(value) for value in values.values()) or _is_footer(cells):
            continue
        if all(i < width and cells[i] == header_cells[i] for i in columns.values()):
            continue  # the header repeated on each printed page
        yield Row(number, values)


def _value(cell: object) -> object:
    return None if cell == "" else cell


def _is_blank(cell: object) -> bool:
    # str.strip() also removes the non-breaking and ideographic spaces hand-kept sheets hold
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _is_footer(cells: Cells) -> bool:
    first = next((cell for cell in cells if not _is_blank(cell)), None)
    return isinstance(first, str) and SPACE_RUNS.sub("", first).startswith(FOOTER_WORDS)


def _has_cells(rows: Iterable[Cells]) -> bool:
    return any(not _is_blank(cell) for row in rows for cell in row)


def _label(cell: object) -> str:
    return SPACE_RUNS.sub(" ", str(cell)).strip()
