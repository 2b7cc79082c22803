"""Workbooks that would make calamine take the server down: refused, and the process lives.

calamine (Rust) aborts the whole process when a sheet's grid does not fit in memory, so
each test that hands it such a file also checks that this process's peak memory barely
moved and that no child process is left behind (fuwushe.imports.limits).
"""

import io
import os
import resource
import signal
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import psutil
import pytest

from fuwushe.imports import limits
from fuwushe.imports.reading import Rejected, _workbook_tables, open_table, read_table
from fuwushe.org.models import Club
from tests.imports import files
from tests.imports.test_import_command import command
from tests.imports.test_reading import ALICE_ID, COLUMNS, HEADER, values
from tests.scoping.world import World

MB = 1024 * 1024
# The growth of this process's peak memory allowed while a hostile file is refused.
RSS_GROWTH_MB = 100
LIMITS = "最多 200000 行、1000 列，行数×列数不超过 4000000 个单元格"
# Every fork of this process, so that a test can tell whether calamine was started.
FORKS: list[int] = []
os.register_at_fork(before=lambda: FORKS.append(os.getpid()))


def reaches(sheet: str, rows: int, column: str) -> str:
    return (
        f"工作表“{sheet}”的内容延伸到第 {rows} 行、第 {column} 列，超出导入上限（{LIMITS}）。"
        "请删除表格中多余的行和列（包括远处只设了格式的单元格）后重新保存，或分成几个文件导入。"
    )


def out_of_memory(budget_mb: int) -> str:
    return (
        f"读取这个文件所需的内存超过了 {budget_mb} MB 的上限，已停止读取："
        "表格里可能有离数据很远的单元格，或者文件已损坏。"
        "请删除多余的行和列、分成几个文件，或在 Excel 中“另存为”XLSX 格式后重新上传。"
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def refused(data: bytes, *, parsed: bool) -> Rejected:
    """The refusal of `data`, checking that this process kept its memory and its children,
    and whether calamine was started (in a child) before the refusal."""
    before, forks = peak_rss_mb(), len(FORKS)
    with pytest.raises(Rejected) as caught:
        read_table(data, COLUMNS)
    assert peak_rss_mb() - before < RSS_GROWTH_MB
    assert children() == []
    assert (len(FORKS) > forks) is parsed
    return caught.value


def still_reads_a_roster() -> None:
    sheet = read_table(files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID]]), COLUMNS)
    assert values(sheet)[0]["id_number"] == ALICE_ID
    assert children() == []


def large_sheet_data(extra: str = "") -> str:
    """A roster sheet larger than the eager scan covers, with `extra` rows at its end."""
    data = files.roster_sheet_data(3000)
    assert len(data) > limits.EAGER_SCAN_BYTES
    return data + extra


def reap_and_check_gone(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left
    assert children() == []


# --- Refused before calamine reads them ---------------------------------------------


def test_a_sheet_declaring_the_whole_grid_is_refused_at_once():
    started = time.perf_counter()
    error = refused(files.declared_xlsx("A1:XFD1048576"), parsed=False)

    assert time.perf_counter() - started < 1
    assert error.code == "too_large"
    assert error.message == reaches("花名册", 1048576, "XFD")
    still_reads_a_roster()


@pytest.mark.parametrize(
    ("reference", "rows", "column"),
    [("XFD1048576", 1048576, "XFD"), ("ZZ20000", 20000, "ZZ")],
)
def test_a_cell_far_from_the_data_is_refused_naming_how_far_it_reaches(
    reference: str, rows: int, column: str
):
    data = files.far_cell_xlsx(reference)
    assert len(data) < 8 * 1024

    error = refused(data, parsed=False)

    assert error.code == "too_large"
    assert error.message == reaches("花名册", rows, column)
    still_reads_a_roster()


def test_a_dimension_larger_than_the_data_is_read_as_excel_writes_it():
    sheet = read_table(files.declared_xlsx("A1:Z1000"), COLUMNS)

    assert values(sheet)[0]["id_number"] == "370102195003011234"


@pytest.mark.parametrize(
    ("reference", "refusal"),
    [
        ("A200000", None),
        ("A200001", (200001, "A")),
        ("ALL1", None),
        ("ALM1", (1, "ALM")),
        ("T200000", None),  # 20 × 200000 cells: the most allowed
        ("U200000", (200000, "U")),
        ("ALL4000", None),  # 1000 × 4000 cells
        ("ALL4001", (4001, "ALL")),
    ],
)
def test_a_sheet_may_reach_200000_rows_1000_columns_and_4000000_cells(
    reference: str, refusal: tuple[int, str] | None
):
    data = files.sheet_xlsx(files.far_cell_xlsx_row(reference))

    found = limits.oversized_sheet(data)

    assert found == (reaches("花名册", *refusal) if refusal else None)


def test_cells_without_a_reference_follow_the_cell_before_them():
    # ALL is column 1000: the two cells after it are columns 1001 and 1002.
    sheet_data = '<row r="5"><c r="ALL5"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>'

    found = limits.oversized_sheet(files.sheet_xlsx(sheet_data))

    assert found == reaches("花名册", 5, "ALN")


def test_a_cells_own_reference_moves_only_the_column():
    # As calamine reads it: the cell after A199999 is in row 1 (the row's), column B.
    sheet_data = (
        '<row r="1"><c r="A199999"><v>1</v></c><c r="ALL1"><v>2</v></c><c><v>3</v></c></row>'
    )

    found = limits.oversized_sheet(files.sheet_xlsx(sheet_data))

    assert found == reaches("花名册", 199999, "ALM")


def test_rows_without_a_reference_follow_the_row_before_them():
    sheet_data = (
        '<row r="199999"><c r="A199999"><v>1</v></c></row>'
        "<row><c><v>2</v></c></row>"
        "<row><c><v>3</v></c></row>"
    )

    found = limits.oversized_sheet(files.sheet_xlsx(sheet_data))

    assert found == reaches("花名册", 200001, "A")


def test_cells_read_as_calamine_reads_them_are_placed_as_it_places_them():
    # Written without references: calamine puts them at B2, C2 and A3, so does the scan.
    sheet_data = (
        files.text_row(1, ["姓名", "身份证号"])
        + f'<row r="2"><c r="A2" t="inlineStr"><is><t>王允功</t></is></c>'
        f'<c t="inlineStr"><is><t>{ALICE_ID}</t></is></c></row>'
    )

    sheet = read_table(files.sheet_xlsx(sheet_data), COLUMNS)

    assert values(sheet) == [{"name": "王允功", "id_number": ALICE_ID}]


@pytest.mark.parametrize(
    "sheet_data",
    [
        '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
        '<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
        "<row r='1048576'><c\tr='XFD1048576'><v>1</v></c></row>",
        '<row r="1048576"><c s="1" r="XFD1048576"><v>1</v></c></row>',
    ],
    ids=["namespace prefix", "lower case", "tab and single quotes", "r not first"],
)
def test_a_far_cell_is_found_however_its_tag_is_written(sheet_data: str):
    data = files.sheet_xlsx(sheet_data)

    assert limits.oversized_sheet(data) == reaches("花名册", 1048576, "XFD")


@pytest.mark.parametrize("into_tag", [1, 5, 9, 17])
def test_a_tag_split_between_two_pieces_of_the_scan_is_read_whole(into_tag: int):
    # Filler text makes the first piece of the part end `into_tag` bytes into the far tag.
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{files.SPREADSHEET_NS}">'
    filler = '<row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row>'
    row = '<row r="1048576">'
    room = limits.SCAN_PIECE_BYTES - len(head + "<sheetData>" + filler.format("") + row)
    far = filler.format("x" * (room - into_tag)) + row + '<c r="XFD1048576"><v>1</v></c></row>'
    data = files.sheet_xlsx(far)
    part = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert part[limits.SCAN_PIECE_BYTES - into_tag :].startswith(b'<c r="XFD1048576">')

    assert limits.oversized_sheet(data) == reaches("花名册", 1048576, "XFD")


def test_the_scan_holds_one_piece_of_a_sheet_at_a_time():
    def scan_peak(rows: int) -> tuple[int, str | None]:
        notes = "".join(files.text_row(n, [n, "备注" * 200]) for n in range(1, rows + 1))
        data = files.sheet_xlsx(notes + files.far_cell_xlsx_row("ALM2"))
        tracemalloc.start()
        try:
            found = limits.oversized_sheet(data)
            return tracemalloc.get_traced_memory()[1], found
        finally:
            tracemalloc.stop()

    small_peak, small_found = scan_peak(3000)  # 3.8 MB of XML
    large_peak, large_found = scan_peak(12000)  # 15 MB

    assert small_found == reaches("花名册", 3000, "ALM")
    assert large_found == reaches("花名册", 12000, "ALM")
    assert large_peak < 8 * MB
    assert large_peak - small_peak < MB


def test_a_40000_row_roster_is_read_whole():
    data = files.sheet_xlsx(files.roster_sheet_data(40000), dimension="A1:D40001")

    sheet = read_table(data, COLUMNS)

    assert len(sheet.rows) == 40000
    assert (sheet.rows[0].number, sheet.rows[-1].number) == (2, 40001)
    assert sheet.rows[-1].values["id_number"] == "370102195000040001"
    assert children() == []


# --- Stopped in the child -----------------------------------------------------------


def test_an_xls_with_a_cell_at_the_last_row_and_column_is_stopped_by_the_memory_limit():
    error = refused(files.far_cell_xls(), parsed=True)

    assert error.code == "too_large"
    assert error.message == out_of_memory(512)
    still_reads_a_roster()


def test_an_xls_sheet_beyond_the_cells_limit_is_refused_by_the_child_naming_it():
    # 256 columns × 15626 rows: 4,000,256 cells, which fit in the child's memory.
    error = refused(files.far_cell_xls(row=15626), parsed=True)

    assert (error.code, error.message) == ("too_large", reaches("花名册", 15626, "IV"))


def test_an_xlsx_the_scan_did_not_see_is_stopped_by_the_memory_limit(settings: Any):
    settings.FUWUSHE_IMPORT_MEMORY_MB = 64
    before = peak_rss_mb()

    with pytest.raises(Rejected) as caught:
        list(_workbook_tables(files.far_cell_xlsx("XFD1048576")))

    assert (caught.value.code, caught.value.message) == ("too_large", out_of_memory(64))
    assert peak_rss_mb() - before < RSS_GROWTH_MB
    assert children() == []


def test_a_large_workbook_whose_child_runs_out_of_memory_is_refused():
    data = files.sheet_xlsx(large_sheet_data(files.far_cell_xlsx_row("XFD1048576")))

    error = refused(data, parsed=True)

    assert (error.code, error.message) == ("too_large", out_of_memory(512))


def test_a_large_workbook_reaching_too_far_is_refused_by_the_child_naming_the_sheet():
    data = files.sheet_xlsx(large_sheet_data(files.far_cell_xlsx_row("ALM3001")))

    error = refused(data, parsed=True)

    assert (error.code, error.message) == ("too_large", reaches("花名册", 3001, "ALM"))


def test_the_data_sheet_is_read_even_if_a_later_sheet_kills_the_child(settings: Any):
    # The header is on the first sheet: what the child meets on the next one is not heard.
    settings.FUWUSHE_IMPORT_MEMORY_MB = 64
    book = openpyxl.Workbook()
    book.active.title = "花名册"
    book.active.append(HEADER)
    book.active.append([1, "王允功", "男", ALICE_ID])
    book.create_sheet("说明").append(["说明"])
    # A far cell, and a comment making the workbook too large for the scan before parsing.
    later = f"{files.far_cell_xlsx_row('XFD1048576')}<!--{'x' * limits.EAGER_SCAN_BYTES}-->"
    data = files.rewrite_zip(
        files.save(book),
        "xl/worksheets/sheet2.xml",
        lambda xml: xml.replace(b"</sheetData>", f"{later}</sheetData>".encode()),
    )

    sheet = read_table(data, COLUMNS)

    assert values(sheet)[0]["id_number"] == ALICE_ID
    assert children() == []


def test_a_table_left_half_read_stops_its_child():
    data = files.sheet_xlsx(files.roster_sheet_data(20000))
    table = open_table(data, COLUMNS)
    rows = iter(table.rows)
    assert next(rows).number == 2
    assert len(children()) == 1

    del table, rows

    assert children() == []


def test_a_child_killed_mid_stream_is_reported_not_waited_for():
    def produce() -> Iterator[object]:
        yield from range(3)
        os.kill(os.getpid(), signal.SIGKILL)
        yield "never"

    child = limits.Child(produce, memory_mb=64)
    received: list[object] = []

    with pytest.raises(limits.LimitExceeded) as caught:
        received.extend(child)

    assert received == [0, 1, 2]
    assert caught.value.out_of_memory
    assert caught.value.message == out_of_memory(64)
    reap_and_check_gone(child.pid)


def test_a_child_whose_reader_stops_early_is_killed_and_reaped():
    def produce() -> Iterator[object]:
        n = 0
        while True:
            n += 1
            yield n

    child = limits.Child(produce, memory_mb=64)
    items = iter(child)
    assert [next(items), next(items)] == [1, 2]

    items.close()

    reap_and_check_gone(child.pid)


def test_a_child_never_read_is_killed_and_reaped_when_dropped():
    child = limits.Child(lambda: iter(range(10**9)), memory_mb=64)
    pid = child.pid

    del child

    reap_and_check_gone(pid)


def test_a_child_that_spins_is_stopped_by_its_cpu_limit():
    def produce() -> Iterator[object]:
        while True:
            pass
        yield  # pragma: no cover

    child = limits.Child(produce, memory_mb=64, cpu_seconds=1)
    started = time.perf_counter()

    with pytest.raises(limits.LimitExceeded) as caught:
        list(child)

    assert time.perf_counter() - started < 10
    assert not caught.value.out_of_memory
    assert caught.value.message == (
        "读取这个文件用时超过了 1 秒的上限，已停止读取。"
        "请删除多余的行和列，或分成几个文件后重新上传。"
    )
    reap_and_check_gone(child.pid)


def test_a_child_over_its_memory_budget_is_stopped():
    def produce() -> Iterator[object]:
        yield len(bytearray(200 * MB))

    with pytest.raises(limits.LimitExceeded) as caught:
        list(limits.Child(produce, memory_mb=64))

    assert caught.value.out_of_memory
    assert list(limits.Child(produce, memory_mb=400)) == [200 * MB]


def test_what_raises_in_the_child_comes_back_with_its_traceback():
    def produce() -> Iterator[object]:
        yield 1
        raise KeyError("身份证号")

    with pytest.raises(limits.ChildFailed) as caught:
        list(limits.Child(produce, memory_mb=64))

    assert "KeyError: '身份证号'" in str(caught.value)
    assert children() == []


def test_the_child_may_send_back_only_plain_values():
    with pytest.raises(limits.ChildFailed) as caught:
        list(limits.Child(lambda: iter([Decimal(1)]), memory_mb=64))

    assert "decimal.Decimal is not a cell value" in str(caught.value)
    assert children() == []


def test_the_child_cannot_use_the_files_and_sockets_of_this_process(tmp_path: Path):
    with (tmp_path / "f").open("wb") as opened:
        fd = opened.fileno()

        def produce() -> Iterator[object]:
            try:
                os.fstat(fd)
            except OSError as exc:
                yield exc.errno
            else:
                yield "open"

        assert list(limits.Child(produce, memory_mb=64)) == [9]  # EBADF
        assert os.fstat(fd)  # still open here


@pytest.mark.django_db
def test_the_database_connection_works_after_a_workbook_is_read(world: World):
    read_table(files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID]]), COLUMNS)
    refused(files.far_cell_xls(), parsed=True)

    assert Club.objects.filter(pk=world.club_a.pk).exists()


# --- Through the pipeline -----------------------------------------------------------


@pytest.mark.django_db
def test_import_data_refuses_a_far_cell_workbook_and_exits_2(world: World, tmp_path: Path):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(files.far_cell_xlsx("XFD1048576"))

    status, result = command("members", str(path), "--club", "T001")

    assert status == 2
    assert result["rejected"] == {
        "code": "too_large",
        "message": reaches("花名册", 1048576, "XFD"),
    }
    assert children() == []


def test_a_csv_is_read_in_this_process():
    table = open_table(files.csv_bytes([HEADER, [1, "王允功", "男", ALICE_ID]]), COLUMNS)

    assert children() == []
    assert next(iter(table.rows)).values["id_number"] == ALICE_ID
