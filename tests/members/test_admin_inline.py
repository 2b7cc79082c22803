"""Duty rows (三长六员) on the member form: a refused row is shown again as typed."""

import re
from datetime import date
from typing import Any

import pytest

from members.models import Member, MemberRole, Person
from tests.members.test_admin import (
    ADD,
    CHANGELIST,
    add_member,
    change_form,
    id_number,
    member_form,
    page,
    signed_in,
)
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

HELD = "该党员已担任此职务（未结束），不能重复登记。"


def duty_rows(*rows: dict[str, str], initial: int = 0) -> dict[str, str]:
    """The inline's management form and the rows typed after `initial` stored ones."""
    data = {"roles-TOTAL_FORMS": str(initial + len(rows)), "roles-INITIAL_FORMS": str(initial)}
    for offset, row in enumerate(rows):
        data.update({f"roles-{initial + offset}-{key}": value for key, value in row.items()})
    return data


def row_text(html: str, index: int) -> str:
    """The text (tags stripped) of the duty row `index` as the page shows it again."""
    table = html[html.index('id="roles-group"') :]
    row = next(part for part in table.split("<tbody") if f'name="roles-{index}-role"' in part)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def typed_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    assert match, f"no input {name} in the page"
    return match[1]


def test_a_second_row_of_the_same_duty_is_refused_beside_what_was_typed(world: World):
    alice = signed_in(world, "alice")
    rows = duty_rows(
        {"role": "publicity", "started_on": "2024-01-01"},
        {"role": "publicity", "started_on": "2024-02-01"},
    )

    response = alice.post(
        ADD,
        member_form(
            world.club_a, name="钱进", id_number=id_number(date(1950, 5, 5), seq=7), **rows
        ),
    )

    assert response.status_code == 200
    html = page(response)
    assert HELD in row_text(html, 1)
    assert HELD not in row_text(html, 0)
    assert typed_value(html, "roles-1-started_on") == "2024-02-01"
    assert typed_value(html, "roles-0-started_on") == "2024-01-01"
    assert typed_value(html, "name") == "钱进"
    assert not Person.objects.filter(name="钱进").exists()
    assert not MemberRole.objects.exists()


def test_a_duty_begun_before_the_new_members_birth_is_refused_on_the_add_page(world: World):
    alice = signed_in(world, "alice")
    rows = duty_rows({"role": "security", "started_on": "1955-06-01"})

    response = alice.post(
        ADD,
        member_form(
            world.club_a, name="孙立", id_number=id_number(date(1960, 5, 5), seq=8), **rows
        ),
    )

    # The birth date comes from the ID number typed in the same form: the row is checked
    # against the member being added.
    assert response.status_code == 200
    html = page(response)
    assert "开始日期不能早于出生日期。" in row_text(html, 0)
    assert typed_value(html, "roles-0-started_on") == "1955-06-01"
    assert not Person.objects.filter(name="孙立").exists()


@pytest.mark.parametrize(
    ("started_on", "message"),
    [("2099-01-01", "开始日期不能晚于今天。"), ("0001-01-01", "开始日期不能早于出生日期。")],
)
def test_a_duty_dated_out_of_range_is_refused_on_the_change_page(
    world: World, started_on: str, message: str
):
    member = add_member(world, world.club_a, "韩新", date(1946, 2, 2), seq=31)
    alice = signed_in(world, "alice")
    form = change_form(member, **duty_rows({"role": "liaison", "started_on": started_on}))

    response = alice.post(f"{CHANGELIST}{member.pk}/change/", form)

    assert response.status_code == 200
    html = page(response)
    assert message in row_text(html, 0)
    assert typed_value(html, "roles-0-started_on") == started_on
    assert not MemberRole.objects.filter(member=member).exists()


def test_ending_a_duty_before_it_began_is_refused_and_the_typed_end_is_kept(world: World):
    member = add_member(world, world.club_a, "韩新", date(1946, 2, 2), seq=31)
    duty = MemberRole.objects.create(member=member, role="liaison", started_on=date(2024, 3, 1))
    alice = signed_in(world, "alice")
    form: dict[str, Any] = change_form(member)
    form["roles-0-ended_on"] = "2024-01-01"

    response = alice.post(f"{CHANGELIST}{member.pk}/change/", form)

    assert response.status_code == 200
    html = page(response)
    assert "结束日期不能早于开始日期。" in row_text(html, 0)
    assert typed_value(html, "roles-0-ended_on") == "2024-01-01"
    assert MemberRole.objects.get(pk=duty.pk).ended_on is None


def test_duty_rows_typed_on_the_add_page_are_saved_through_the_services(world: World):
    alice = signed_in(world, "alice")
    rows = duty_rows(
        {"role": "publicity", "started_on": "2024-01-01", "ended_on": "2024-06-30"},
        {"role": "publicity", "started_on": "2024-07-01"},
    )

    response = alice.post(
        ADD,
        member_form(
            world.club_a, name="钱进", id_number=id_number(date(1950, 5, 5), seq=7), **rows
        ),
    )

    assert response.status_code == 302, page(response)[:3000]
    member = Member.objects.get(person__name="钱进")
    assert list(member.roles.order_by("started_on").values_list("started_on", "ended_on")) == [
        (date(2024, 1, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), None),
    ]
