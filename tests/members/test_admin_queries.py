"""The member change list runs the same queries whatever the number of rows or the page."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fuwushe.org.models import Club, User
from members import services
from members.models import Member, MemberRole, TalentTag
from tests.members.test_admin import CHANGELIST, community, id_number, person
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

# A change list page as a club user, whatever the number of rows or the page:
#   1. the session                      7. the tag filter's choices
#   2. the user                         8. the count of the rows shown (status 在册 by default)
#   3. the user's own permissions       9. the count of all rows in scope ("共 N 条")
#   4. the permissions of their groups 10. the page: members with person, community and club
#   5. their current posting (scope)   11. the page's current duties (one prefetch)
#   6. the community filter's choices
# The 高龄 threshold comes from the cache (read once per request, warmed by the first page).
CLUB_QUERIES = 11
# The center also filters by club: 12. the club filter's choices.
CENTER_QUERIES = CLUB_QUERIES + 1


def add_members(world: World, club: Club, count: int, *, start: int) -> None:
    """`count` members of a club through the services, each with a duty and a tag."""
    actor = person(world, "carol")
    lecturer = TalentTag.objects.get(name="讲师")
    for n in range(start, start + count):
        member = services.member_create(
            actor=actor,
            club=club,
            person={
                "name": f"测试{n:03d}",
                "id_number": id_number(date(1940 + n % 40, 1 + n % 12, 1 + n % 28), seq=n % 400),
                "phone": f"139{n:08d}",
                "community": community(club),
                "building": str(1 + n % 9),
            },
            tags=[lecturer],
            lives_alone=n % 3 == 0,
        )
        services.member_role_assign(actor=actor, member=member, role=MemberRole.Role.PUBLICITY)


def changelist_queries(client: Client, query: str = "") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{CHANGELIST}{query}")
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(person(world, name))
    client.get(CHANGELIST)  # reads the 高龄 threshold once into the cache
    return client


def test_a_club_list_runs_the_same_queries_for_5_and_for_40_members(world: World):
    alice = signed_in(world, "alice")
    add_members(world, world.club_a, 5, start=100)
    few = changelist_queries(alice)

    add_members(world, world.club_a, 35, start=200)
    many = changelist_queries(alice)

    assert Member.objects.filter(club=world.club_a).count() >= 40
    assert len(few) == len(many) == CLUB_QUERIES, "\n".join(many)


def test_the_second_page_runs_as_many_queries_as_the_first(world: World):
    alice = signed_in(world, "alice")
    add_members(world, world.club_a, 55, start=300)

    first = changelist_queries(alice)
    second = changelist_queries(alice, "?p=2")

    assert len(first) == len(second) == CLUB_QUERIES, "\n".join(second)


def test_the_center_list_over_two_clubs_runs_the_same_queries_for_5_and_for_40_members(
    world: World,
):
    carol = signed_in(world, "carol")
    add_members(world, world.club_a, 3, start=400)
    add_members(world, world.club_b, 2, start=500)
    few = changelist_queries(carol)

    add_members(world, world.club_a, 17, start=600)
    add_members(world, world.club_b, 18, start=700)
    many = changelist_queries(carol)

    assert len(few) == len(many) == CENTER_QUERIES, "\n".join(many)


def test_filters_and_search_add_no_queries_per_row(world: World):
    alice = signed_in(world, "alice")
    add_members(world, world.club_a, 40, start=800)

    for query in ("?care=any", "?age=advanced", "?role=six", "?status=all", "?q=cs"):
        assert len(changelist_queries(alice, query)) == CLUB_QUERIES, query


def test_at_the_networks_real_size_the_lists_run_the_same_queries():
    """东利 (600 members) for its director and all 39,000 for the center, as seeded."""
    call_command("seed_demo", "--scale", "full", verbosity=0)
    director, center = Client(), Client()
    director.force_login(User.objects.get(username="dongli_director"))
    center.force_login(User.objects.get(username="center_admin"))
    director.get(CHANGELIST)  # reads the 高龄 threshold once into the cache

    club_queries = changelist_queries(director)
    center_queries = changelist_queries(center)

    assert Member.objects.filter(club__name="东利党员服务社").count() == 600
    assert Member.objects.count() == 39_000
    assert len(club_queries) == CLUB_QUERIES, "\n".join(club_queries)
    assert len(center_queries) == CENTER_QUERIES, "\n".join(center_queries)
