"""Import 40,000 roster rows across clubs: our pipeline against django-import-export's own flow.

    python benchmarks/import_members.py [--rows 40000] [--database fuwushe_bench_import]

The file comes from `seed_demo`'s generator (members.seeding.roster_rows) with a
所属服务社 column. Both paths start from the same empty roster in a database of their
own (created and migrated when missing; never the developer's). Ours: validate (the
preview) then apply from the plan. The library's: `import_data(dry_run=True)` for the
preview, then `import_data()` for real, each reading the file through tablib. The last
line printed is one JSON object: rows, ours_s, default_s, ratio, rows_per_s, peak_mb,
floor_s and floor_ratio.

The floor is what no importer of this file can beat on this machine: the same file read
with python-calamine and its rows COPYed into an unlogged table. Absolute times drift 2×
between machines of one kind; ours ÷ floor does not. `--skip-default` leaves out the
library's flow (minutes at 40,000 rows): default_s and ratio are then null.

`--repeat N` (default 3) runs ours and the floor N times each, alternately, each import
from an empty roster, and reports their medians (ours_runs_s and floor_runs_s list every
run): on a shared machine one run of either can read 1.5× apart from the next.
"""

import argparse
import csv
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import peak_rss_mb, print_figures, query_counter, setup_django  # noqa: E402

DEFAULT_DATABASE = "fuwushe_bench_import"
ROSTER_TABLES = [
    "members_membertag",
    "members_memberrole",
    "members_membertransfer",
    "members_partyapplicant",
    "members_member",
    "members_person",
]


def roster_file(rows: int, seed: int = 2026) -> bytes:
    """An xlsx roster across the network's clubs, the header on the first line (the
    library's flow cannot skip the title lines our reader skips)."""
    import openpyxl

    from members.seeding import roster_clubs, roster_rows

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("党员花名册")
    lines = roster_rows(roster_clubs(), rows, random.Random(seed))  # noqa: S311 - demo data
    first = next(lines)
    sheet.append(list(first))
    sheet.append(list(first.values()))
    for line in lines:
        sheet.append(list(line.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_file_apart(rows: int, path: Path) -> bytes:
    """Write the file in a child process (it inherits this one's Django settings), so that
    making it leaves no mark on this process's peak memory, which measures the import."""
    code = (
        "import sys, django; django.setup(); from benchmarks.import_members import roster_file; "
        "open(sys.argv[2], 'wb').write(roster_file(int(sys.argv[1])))"
    )
    command = [sys.executable, "-c", code, str(rows), str(path)]
    subprocess.run(command, check=True, cwd=ROOT)
    return path.read_bytes()


def empty_roster() -> None:
    """Start each path from no members at all (this database is the benchmark's own)."""
    from django.db import connection

    with connection.cursor() as cursor:
        event_tables = [f"{table}event" for table in ROSTER_TABLES]
        # Inside a test's transaction, deferred foreign-key checks of the rows just
        # written must run before the tables can be emptied.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(ROSTER_TABLES + event_tables)} CASCADE")
        cursor.execute("ANALYZE members_person, members_member")


@contextmanager
def timed(figures: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    figures[key] = time.perf_counter() - start


def ours(data: bytes) -> dict[str, Any]:
    from fuwushe.imports.pipeline import import_apply, import_validate

    figures: dict[str, Any] = {}
    with query_counter() as queries, timed(figures, "total_s"):
        with timed(figures, "validate_s"):
            run, _plan = import_validate(
                kind="members", data=data, file_name="roster.xlsx", actor=None, keep_plan=True
            )
        with timed(figures, "apply_s"):
            run = import_apply(run=run, actor=None)
    figures["queries"] = queries.count
    figures["created"] = run.created
    figures["errors"] = run.error_rows
    figures["status"] = run.status
    return figures


def floor(data: bytes) -> float:
    """Seconds to read the file with calamine and COPY its rows into an unlogged table."""
    from django.db import connection
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_index(0).iter_rows()
    header = next(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    columns = ", ".join(f"c{index} text" for index in range(len(header)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_floor ({columns})")
        cursor.cursor.copy_expert("COPY bench_floor FROM STDIN WITH (FORMAT csv)", buffer)
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_floor")
    return seconds


def library_default(data: bytes) -> dict[str, Any]:
    """The flow django-import-export's admin runs: read, dry run (the preview), real run."""
    from import_export.formats.base_formats import XLSX

    from members.resources import MemberResource

    figures: dict[str, Any] = {}

    def dataset() -> Any:
        # The admin reads the kept file again for the confirmation step.
        return XLSX().create_dataset(data)

    with query_counter() as queries, timed(figures, "total_s"):
        with timed(figures, "preview_s"):
            preview = MemberResource().import_data(dataset(), dry_run=True)
        with timed(figures, "apply_s"):
            result = MemberResource().import_data(dataset(), dry_run=False)
    figures["queries"] = queries.count
    figures["created"] = result.totals.get("new", 0)
    figures["errors"] = len(preview.row_errors()) + len(result.row_errors())
    return figures


def run(
    rows: int,
    *,
    say: Callable[[str], None] = print,
    make: Callable[[int], bytes] = roster_file,
    skip_default: bool = False,
    repeat: int = 1,
) -> dict[str, Any]:
    """Measure both paths on `rows` generated rows; Django must be set up already. Ours and
    the floor run `repeat` times, alternately; their medians are the figures."""
    from django.core.management import call_command

    call_command("seed_demo", "--org-only", verbosity=0)
    made: dict[str, float] = {}
    with timed(made, "s"):
        data = make(rows)
    say(f"生成花名册：{rows} 行，{len(data) / 1e6:.1f} MB，用时 {made['s']:.1f} 秒")
    baseline_rss = peak_rss_mb()
    runs: list[dict[str, Any]] = []
    floors: list[float] = []
    for _ in range(repeat):
        empty_roster()
        mine = ours(data)
        runs.append(mine)
        say(
            f"本系统：校验 {mine['validate_s']:.2f} 秒 + 导入 {mine['apply_s']:.2f} 秒"
            f" = {mine['total_s']:.2f} 秒，新增 {mine['created']}，错误 {mine['errors']} 行，"
            f"查询 {mine['queries']} 次，进程内存峰值 {peak_rss_mb():.0f} MB"
            f"（开始时 {baseline_rss:.0f} MB）"
        )
        floors.append(floor(data))
        say(f"下限（calamine 读取 + COPY 写入 UNLOGGED 表）：{floors[-1]:.2f} 秒")
    peak = peak_rss_mb()
    ours_s = statistics.median(run["total_s"] for run in runs)
    floor_s = statistics.median(floors)
    if repeat > 1:
        say(
            f"{repeat} 次的中位数：本系统 {ours_s:.2f} 秒，下限 {floor_s:.2f} 秒，"
            f"本系统为下限的 {ours_s / floor_s:.1f} 倍"
        )
    figures: dict[str, Any] = {
        "rows": rows,
        "ours_s": round(ours_s, 2),
        "default_s": None,
        "ratio": None,
        "floor_s": round(floor_s, 2),
        "floor_ratio": round(ours_s / floor_s, 1),
        "rows_per_s": round(rows / ours_s),
        "peak_mb": round(peak),
        "ours_queries": runs[-1]["queries"],
        "default_queries": None,
        "repeat": repeat,
        "ours_runs_s": [round(run["total_s"], 2) for run in runs],
        "floor_runs_s": [round(seconds, 2) for seconds in floors],
    }
    if skip_default:
        return figures
    empty_roster()
    theirs = library_default(data)
    say(
        f"django-import-export 默认流程：预览 {theirs['preview_s']:.2f} 秒 + 导入"
        f" {theirs['apply_s']:.2f} 秒 = {theirs['total_s']:.2f} 秒，新增 {theirs['created']}，"
        f"错误 {theirs['errors']} 行，查询 {theirs['queries']} 次"
    )
    figures["default_s"] = round(theirs["total_s"], 2)
    figures["ratio"] = round(theirs["total_s"] / ours_s, 1)
    figures["default_queries"] = theirs["queries"]
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--skip-default", action="store_true", help="leave out django-import-export's flow"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and of the floor")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    setup_django(args.database)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.xlsx"
        make = lambda rows: roster_file_apart(rows, path)  # noqa: E731
        figures = run(args.rows, make=make, skip_default=args.skip_default, repeat=args.repeat)
        print_figures(figures)


if __name__ == "__main__":
    main()
