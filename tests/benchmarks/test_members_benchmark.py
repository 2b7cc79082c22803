import json
from io import StringIO

import pytest

from benchmarks import members as benchmark
from fuwushe.org.models import Club
from fuwushe.seeding import SCALES

pytestmark = pytest.mark.django_db

KEYS = {
    "members",
    "club_members",
    "club_list_ms",
    "club_list_queries",
    "center_list_ms",
    "center_list_queries",
    "search_ms",
    "baseline_ms",
    "ratio",
    "peak_mb",
}


def test_it_seeds_an_empty_database_measures_and_ends_with_a_json_line_of_sensible_figures():
    out = StringIO()

    returned = benchmark.run(scale=SCALES["small"], repeat=2, warmup=1, out=out)

    figures = json.loads(out.getvalue().splitlines()[-1])
    assert figures == returned
    assert set(figures) >= KEYS
    assert figures["members"] >= 700
    assert 0 < figures["club_members"] < figures["members"]
    for key in ("club_list", "center_list", "search", "baseline"):
        assert figures[f"{key}_ms"] > 0
    for key in ("club_list", "center_list", "search", "baseline"):
        assert figures[f"{key}_queries"] > 0
    assert figures["ratio"] > 0 and figures["peak_mb"] > 0
    # The baseline's club of a few members was made for the run and rolled back.
    assert not Club.objects.filter(code=benchmark.TINY_CLUB_CODE).exists()
