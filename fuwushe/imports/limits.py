"""What reading an uploaded workbook may cost, and the guards that hold it there.

python-calamine (Rust) does not raise MemoryError: when a sheet asks for more memory than
it may have, the whole process aborts ("memory allocation of … bytes failed"). So:

- `Child` runs the parse in a forked process under an address-space and CPU limit and
  streams the rows back: whatever a file does, it ends only that process;
- `oversized_sheet` reads each worksheet of an XLSX as a stream, from its declared
  dimension and its cell references, and names the sheet that reaches beyond what a
  ledger holds, for a refusal that says how far it reaches. reading.py reads every
  sheet's dimension, and the cells of a small workbook (the 1.6 KB attack), before
  parsing. Scanning the cells of a large one would cost seconds (2 s for the 1.1 million
  cells of a 40,000-row roster; 3 ms for its dimension alone), so its grid is checked in
  the child once calamine has built it within the limit.

What calamine does with a sheet, read in its source (calamine 0.37, bundled by
python-calamine 0.9.1) and confirmed by measuring:
- XLSX: a sheet becomes one dense grid over the bounding box of its non-empty cells
  (`Range::from_sparse`), 32 bytes a cell — a cell at XFD1048576 asks for 512 GiB, one at
  ZZ20000 takes 438 MB. The declared `<dimension>` only reserves the list of cells when it
  covers fewer than 100,000 (`worksheet_range_ref`), at most ~4 MB, so a false dimension
  costs nothing; one beyond the limits is refused all the same, since no ledger declares
  it and another reader or version may trust it.
- XLS: every sheet is read when the workbook is opened; the DIMENSIONS record is reserved
  in full (rows × columns cells of 40 bytes) and python-calamine copies the grid for
  `get_sheet_by_name`: one cell at IV65536 costs about 1 GB. Only the child's limit
  stops it.
"""

import contextlib
import functools
import gc
import html
import io
import os
import pickle
import posixpath
import re
import resource
import select
import signal
import struct
import traceback
import weakref
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, NoReturn

import psutil

MB = 1024 * 1024

# --- Limits -------------------------------------------------------------------------

# A sheet may reach this far from A1. The network's whole roster is ~40,000 rows of ~30
# columns (1.2 million cells); these leave room for several times that, while calamine's
# grid for the largest sheet allowed stays at 4,000,000 × 32 bytes = 128 MB.
MAX_SHEET_ROWS = 200_000
MAX_SHEET_COLUMNS = 1_000
MAX_SHEET_CELLS = 4_000_000
# The parse of a 20 MB workbook takes a few CPU seconds; a file that needs more than this
# is crafted or broken. Waiting longer than twice that for the next rows means the child
# hangs.
PARSE_CPU_SECONDS = 60
PARSE_WAIT_SECONDS = 2 * PARSE_CPU_SECONDS

# --- The scan of an XLSX's sheets ---------------------------------------------------

# A workbook whose worksheets hold at most this much XML (a thousand cells or so) has its
# cells scanned before it is parsed, in milliseconds.
EAGER_SCAN_BYTES = 64 * 1024
# The scan holds one piece of a sheet's XML at a time, cut before a "<" so that no tag
# is split. A tag longer than MAX_TAG_BYTES (no cell or row tag is) is cut too, so that
# memory stays bounded; the child's limit covers what that hides.
SCAN_PIECE_BYTES = MB
MAX_TAG_BYTES = 64 * 1024
# workbook.xml and its relationships name the sheets; they are a few kilobytes.
MAX_INDEX_BYTES = 4 * MB

# A cell or row start tag (its name and attributes), or a row's end (no name).
TAG = re.compile(rb"<(?:[\w.-]+:)?(c|row)(?=[\s/>])([^>]*)>|</(?:[\w.-]+:)?row\s*>")
# The r attribute: the column's letters and the row's digits (calamine reads lower case).
R_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)0*(\d+)["']""")
REFERENCE = re.compile(rb"([A-Za-z]*)0*(\d+)")
DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']*)""")
SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData[\s>/]")
ELEMENT = r"<(?:[\w.-]+:)?{}\s([^>]*)>"
ATTRIBUTE = re.compile(r"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
WORKSHEET_TYPE = "/worksheet"


@dataclass(frozen=True)
class Reach:
    """How far a sheet's content reaches: its last row and last column, counted from 1."""

    rows: int
    columns: int

    def exceeds_limits(self) -> bool:
        return (
            self.rows > MAX_SHEET_ROWS
            or self.columns > MAX_SHEET_COLUMNS
            or self.rows * self.columns > MAX_SHEET_CELLS
        )

    def __or__(self, other: "Reach") -> "Reach":
        return Reach(max(self.rows, other.rows), max(self.columns, other.columns))


NOWHERE = Reach(0, 0)


def oversized_sheet(data: bytes, *, cells_up_to: int | None = None) -> str | None:
    """The refusal of an XLSX with a sheet reaching beyond the limits, or None.

    Every sheet's declared dimension is read; its cells only when the worksheets hold
    at most `cells_up_to` bytes of XML together (None: always). A file the scan cannot
    read is left to calamine, which refuses it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = list(_worksheets(archive))
            size = sum(info.file_size for _, info in sheets)
            cells = cells_up_to is None or size <= cells_up_to
            for name, info in sheets:
                reach = _sheet_reach(archive, info, cells=cells)
                if reach.exceeds_limits():
                    return oversized_message(name, reach)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError):
        return None  # RuntimeError: an encrypted part or an unknown compression
    return None


def oversized_message(sheet: str, reach: Reach) -> str:
    return (
        f"工作表“{sheet}”的内容延伸到第 {reach.rows} 行、第 {column_letters(reach.columns)} 列，"
        f"超出导入上限（最多 {MAX_SHEET_ROWS} 行、{MAX_SHEET_COLUMNS} 列，"
        f"行数×列数不超过 {MAX_SHEET_CELLS} 个单元格）。"
        "请删除表格中多余的行和列（包括远处只设了格式的单元格）后重新保存，或分成几个文件导入。"
    )


def column_letters(number: int) -> str:
    """Excel's name of a column counted from 1: 1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _worksheets(archive: zipfile.ZipFile) -> Iterator[tuple[str, zipfile.ZipInfo]]:
    # As calamine finds them: <sheet> elements of xl/workbook.xml, through their
    # relationship, to a part; Excel writes part names in any case.
    parts = {info.filename.replace("\\", "/").lower(): info for info in archive.infolist()}
    relationships = _elements(
        _index_part(archive, parts, "xl/_rels/workbook.xml.rels"), "Relationship"
    )
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in relationships
        if rel.get("Type", "").endswith(WORKSHEET_TYPE)
    }
    for sheet in _elements(_index_part(archive, parts, "xl/workbook.xml"), "sheet"):
        relation = next((v for k, v in sheet.items() if k.split(":")[-1] == "id"), None)
        target = targets.get(relation)
        if not target:
            continue
        path = target[1:] if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        info = parts.get(path.lower())
        if info is not None:
            yield sheet.get("name", info.filename), info


def _index_part(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], name: str) -> str:
    info = parts.get(name)
    if info is None:
        return ""
    with archive.open(info) as part:
        return part.read(MAX_INDEX_BYTES).decode("utf-8", errors="replace")


def _elements(xml: str, tag: str) -> Iterator[dict[str, str]]:
    for element in re.finditer(ELEMENT.format(tag), xml):
        yield {
            key: html.unescape(double or single)
            for key, double, single in ATTRIBUTE.findall(element.group(1))
        }


def _sheet_reach(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, cells: bool) -> Reach:
    with archive.open(info) as part:
        declared = _declared_reach(part)
    if not cells or declared.exceeds_limits():
        return declared
    with archive.open(info) as part:
        return declared | _cells_reach(_pieces(part))


def _declared_reach(part: IO[bytes]) -> Reach:
    # calamine reads the dimension only before <sheetData>, at the top of the part.
    for piece in _pieces(part):
        sheet_data = SHEET_DATA.search(piece)
        head_end = sheet_data.start() if sheet_data else len(piece)
        if found := DIMENSION.search(piece, 0, head_end):
            return _dimension_reach(found.group(1))
        if sheet_data:
            break
    return NOWHERE


def _dimension_reach(ref: bytes) -> Reach:
    reach = NOWHERE
    for corner in ref.split(b":"):
        if (found := REFERENCE.fullmatch(corner)) and int(found.group(2)):
            reach |= Reach(int(found.group(2)), _column_number(found.group(1)))
    return reach


def _cells_reach(pieces: Iterable[bytes]) -> Reach:
    """Where the cells are, read tag by tag as calamine's XlsxCellReader places them: a
    cell at its r, else after the cell before it in the row, in the row of the last
    <row r>, counted on at each </row>. A cell's own r moves only the column."""
    row, column = 1, 0  # the current row; the column of the cell before, 0 at a row's start
    last_row = last_column = 0
    for piece in pieces:
        for name, attributes in TAG.findall(piece):
            found = R_ATTRIBUTE.search(attributes) if name else None
            if found is not None and not int(found.group(2)):
                found = None  # not a reference: calamine refuses the file
            if name == b"c":
                if found is not None:
                    at_row, column = int(found.group(2)), _column_number(found.group(1))
                else:
                    at_row, column = row, column + 1
                last_row, last_column = max(last_row, at_row), max(last_column, column)
            elif name == b"row":
                if found is not None:
                    row = int(found.group(2))
                if attributes.endswith(b"/"):
                    row, column = row + 1, 0
            else:  # </row>
                row, column = row + 1, 0
    return Reach(last_row, last_column)


@functools.lru_cache(maxsize=4096)
def _column_number(letters: bytes) -> int:
    """Excel's column number of letters such as XFD (16384); 0 for none."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _pieces(part: IO[bytes]) -> Iterator[bytes]:
    tail = b""
    while chunk := part.read(SCAN_PIECE_BYTES):
        text = tail + chunk
        cut = text.rfind(b"<")
        if cut < 0 or len(text) - cut > MAX_TAG_BYTES:
            cut = len(text)
        yield text[:cut]
        tail = text[cut:]
    yield tail


# --- The child ----------------------------------------------------------------------

FRAME = struct.Struct("<cI")  # kind, payload length
ITEM, DONE, FAILED = b"I", b"D", b"F"
EXIT_FAILED = 70
# Values calamine hands over, besides str, int, float and bool.
ALLOWED_CLASSES = {("datetime", name) for name in ("date", "datetime", "time", "timedelta")}


class LimitExceeded(Exception):
    """The child used up its memory or its time (or died): the file is too large to read.

    `out_of_memory` is False when it ran out of time."""

    def __init__(self, message: str, *, out_of_memory: bool) -> None:
        super().__init__(message)
        self.message = message
        self.out_of_memory = out_of_memory


class ChildFailed(Exception):
    """produce() raised in the child; the message is its traceback."""


@dataclass
class _Process:
    pid: int
    fd: int
    status: int | None = None
    cpu_seconds: float = 0.0

    def reap(self) -> None:
        try:
            _, self.status, usage = os.wait4(self.pid, 0)
        except ChildProcessError:  # reaped by someone else; never signal that pid again
            self.status = 0
            return
        self.cpu_seconds = usage.ru_utime + usage.ru_stime

    def stop(self) -> None:
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.reap()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Child:
    """produce() run at once in a forked child, under `memory_mb` more address space and
    `cpu_seconds` of CPU; iterating yields the items it produces as it sends them.

    os.fork, not multiprocessing: Celery's prefork workers are daemonic processes, which
    multiprocessing refuses to give children. The child touches nothing of the parent's
    (its other file descriptors are closed, so no database or cache connection) and ends
    with os._exit. It is killed and reaped when iteration ends, fails or stops early
    (close, or the iterator dropped), or when this object is collected."""

    def __init__(
        self,
        produce: Callable[[], Iterable[object]],
        *,
        memory_mb: int,
        cpu_seconds: int = PARSE_CPU_SECONDS,
        wait_seconds: int = PARSE_WAIT_SECONDS,
    ) -> None:
        self.memory_mb = memory_mb
        self.cpu_seconds = cpu_seconds
        self.wait_seconds = wait_seconds
        # The child starts with this process's address space; it may add memory_mb.
        address_space = psutil.Process().memory_info().vms + memory_mb * MB
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:
            _child_main(produce, read_fd, write_fd, address_space, cpu_seconds)
        os.close(write_fd)
        self._process = _Process(pid, read_fd)
        self._stop = weakref.finalize(self, self._process.stop)
        self._poll = select.poll()
        self._poll.register(read_fd, select.POLLIN)

    @property
    def pid(self) -> int:
        return self._process.pid

    def __iter__(self) -> Generator[object, None, None]:
        try:
            while True:
                kind, payload = self._frame()
                if kind == DONE:
                    return
                if kind == FAILED:
                    raise ChildFailed(payload.decode(errors="replace"))
                yield _load(payload)
        finally:
            self.close()

    def close(self) -> None:
        """Kill the child if it still runs, and reap it."""
        self._stop()

    def _frame(self) -> tuple[bytes, bytes]:
        header = self._read(FRAME.size)
        kind, size = FRAME.unpack(header)
        return kind, self._read(size)

    def _read(self, size: int) -> bytes:
        chunks = []
        while size:
            if not self._poll.poll(self.wait_seconds * 1000):
                self.close()
                raise LimitExceeded(self._too_slow(), out_of_memory=False)
            chunk = os.read(self._process.fd, min(size, MB))
            if not chunk:  # the child is gone before saying it was done
                raise self._ended()
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _ended(self) -> LimitExceeded:
        self._process.reap()
        self.close()
        status = self._process.status or 0
        if (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU) or (
            self._process.cpu_seconds >= self.cpu_seconds
        ):
            return LimitExceeded(self._too_slow(), out_of_memory=False)
        return LimitExceeded(
            (
                f"读取这个文件所需的内存超过了 {self.memory_mb} MB 的上限，已停止读取："
                "表格里可能有离数据很远的单元格，或者文件已损坏。"
                "请删除多余的行和列、分成几个文件，或在 Excel 中“另存为”XLSX 格式后重新上传。"
            ),
            out_of_memory=True,
        )

    def _too_slow(self) -> str:
        return (
            f"读取这个文件用时超过了 {self.cpu_seconds} 秒的上限，已停止读取。"
            "请删除多余的行和列，或分成几个文件后重新上传。"
        )


def _load(payload: bytes) -> object:
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    except pickle.UnpicklingError as exc:
        raise ChildFailed(f"The child sent what is not a cell value: {exc}") from None


class _Unpickler(pickle.Unpickler):
    # The child reads hostile files: what it sends back may only be plain values.
    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in ALLOWED_CLASSES:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")
        found: type = super().find_class(module, name)
        return found


def _child_main(
    produce: Callable[[], Iterable[object]],
    read_fd: int,
    write_fd: int,
    address_space: int,
    cpu_seconds: int,
) -> NoReturn:
    # Whatever happens, the child never returns into the parent's code (the test runner's
    # or Django's exit handlers, the request it was forked from).
    code = EXIT_FAILED
    try:
        gc.disable()  # no collector touching (and copying) the parent's objects
        # Only stdin, stdout and stderr stay (a Rust abort writes its reason there): no
        # database, cache or client socket of the parent's can be used from here.
        os.close(read_fd)
        os.closerange(3, write_fd)
        os.closerange(write_fd + 1, os.sysconf("SC_OPEN_MAX"))
        _limit(resource.RLIMIT_CORE, 0, 0)  # an abort must not write a core of the budget's size
        # The hard limit a second later kills a child that outlives SIGXCPU.
        _limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
        _limit(resource.RLIMIT_AS, address_space, address_space)
        code = _send_all(produce, write_fd)
    finally:
        os._exit(code)


def _limit(which: int, soft: int, hard: int) -> None:
    _, current = resource.getrlimit(which)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(which, (soft, hard))


def _send_all(produce: Callable[[], Iterable[object]], fd: int) -> int:
    try:
        for item in produce():
            _send(fd, ITEM, pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
        _send(fd, DONE, b"")
    except BrokenPipeError:  # the parent stopped reading
        return 0
    except MemoryError:  # the parent sees the end without DONE: out of memory
        return EXIT_FAILED
    except BaseException:  # noqa: BLE001 - whatever it is, the parent must hear of it
        _send(fd, FAILED, traceback.format_exc().encode())
        return EXIT_FAILED
    return 0


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    data = memoryview(FRAME.pack(kind, len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]
