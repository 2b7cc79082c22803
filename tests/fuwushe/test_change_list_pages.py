"""Change list pages: headers computed once per page, responses compressed."""

import gzip
from collections.abc import Iterator
from typing import Any

import pytest

from fuwushe.org import admin_base
from tests.members.test_admin import CHANGELIST
from tests.members.test_admin_queries import add_members
from tests.scoping.world import World, signed_in

pytestmark = pytest.mark.django_db


def test_a_page_of_rows_computes_its_headers_once(world: World, monkeypatch: Any):
    add_members(world, world.club_a, 12, start=0)
    computed: list[object] = []
    theirs = admin_base._unfold_result_headers

    def counting(cl: Any) -> Iterator[dict[str, Any]]:
        computed.append(cl)
        return theirs(cl)

    monkeypatch.setattr(admin_base, "_unfold_result_headers", counting)

    response = signed_in(world, "alice").get(CHANGELIST)

    assert response.status_code == 200
    rows = len(response.context["cl"].result_list)
    assert rows >= 12  # and the world's own members of club A
    assert len(computed) == 1  # not once per row as well (rows + 1 before)
    # Every row still labels its cells with the column headers (for small screens).
    body = response.content.decode()
    assert body.count('data-label="姓名"') == rows


def test_pages_are_compressed_for_browsers_that_ask(world: World):
    add_members(world, world.club_a, 5, start=0)
    client = signed_in(world, "alice")

    plain = client.get(CHANGELIST)
    compressed = client.get(CHANGELIST, headers={"accept-encoding": "gzip"})

    assert compressed["Content-Encoding"] == "gzip"
    assert len(compressed.content) < len(plain.content) / 3
    assert "测试000" in gzip.decompress(compressed.content).decode()
    assert "Content-Encoding" not in plain


def test_api_answers_are_compressed_too(world: World):
    add_members(world, world.club_a, 5, start=0)
    client = signed_in(world, "alice")

    response = client.get("/api/members/", headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"results" in gzip.decompress(response.content)
