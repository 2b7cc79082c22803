import json
from io import StringIO

import pytest

from benchmarks import import_members as benchmark
from benchmarks._common import print_figures
from members.models import Member

pytestmark = pytest.mark.django_db

KEYS = {"rows", "ours_s", "default_s", "ratio", "floor_s", "floor_ratio", "rows_per_s", "peak_mb"}


def test_it_imports_the_same_roster_both_ways_and_ends_with_a_json_line():
    said: list[str] = []
    out = StringIO()

    figures = benchmark.run(30, say=said.append)
    print_figures(figures, out)

    last = json.loads(out.getvalue().splitlines()[-1])
    assert set(last) >= KEYS
    assert last["rows"] == 30
    assert last["ours_s"] > 0 and last["default_s"] > 0 and last["rows_per_s"] > 0
    assert last["ratio"] > 0  # from unrounded times: at 30 rows the rounded ones are too coarse
    assert last["floor_s"] >= 0 and last["floor_ratio"] > 0
    assert any(line.startswith("下限（calamine 读取 + COPY 写入 UNLOGGED 表）") for line in said)
    # Both paths really imported the 30 people: the library's run was the last.
    assert Member.objects.count() == 30
    assert any("新增 30，错误 0 行" in line for line in said)
    assert sum("新增 30" in line for line in said) == 2


def test_without_the_default_flow_it_prints_the_floor_and_nulls_for_the_library():
    said: list[str] = []

    figures = benchmark.run(30, say=said.append, skip_default=True)

    assert set(figures) >= KEYS
    assert figures["default_s"] is None and figures["ratio"] is None
    assert figures["floor_ratio"] > 0
    # Only our path ran: the library's line is missing.
    assert Member.objects.count() == 30
    assert sum("新增 30" in line for line in said) == 1
    assert not any(line.startswith("django-import-export") for line in said)


def test_repeated_runs_report_the_medians_of_ours_and_the_floor():
    said: list[str] = []

    figures = benchmark.run(20, say=said.append, skip_default=True, repeat=3)

    assert figures["repeat"] == 3
    assert len(figures["ours_runs_s"]) == len(figures["floor_runs_s"]) == 3
    assert figures["ours_s"] == sorted(figures["ours_runs_s"])[1]
    assert figures["floor_s"] == sorted(figures["floor_runs_s"])[1]
    # Each run imported the 20 people into an empty roster.
    assert sum("新增 20，错误 0 行" in line for line in said) == 3
    assert Member.objects.count() == 20
    assert any(line.startswith("3 次的中位数") for line in said)
