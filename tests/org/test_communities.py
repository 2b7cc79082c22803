"""Matching a community as a ledger writes it to the club's register (fuwushe/org/communities)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from fuwushe.org.communities import CommunityLookup, community_keys
from fuwushe.org.models import Community
from fuwushe.org.services import community_aliases_add
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(world: World) -> dict[str, Community]:
    """Club A's register: one name bare, one with its suffix, one with an old name."""
    club = world.club_a
    return {
        "东利": Community.objects.create(name="东利", club=club),
        "西城": Community.objects.create(name="西城小区", club=club),
        "胜利": Community.objects.create(name="胜利", club=club, aliases=["老胜利街"]),
    }


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("东利", "东利"),
        ("东利小区", "东利"),
        ("东利社区", "东利"),
        ("东利居委会", "东利"),
        ("东利片区", "东利"),
        (" 东 利 小区 ", "东利"),
        ("东利小区3号楼", "东利"),
        ("东利小区1-5栋", "东利"),
        ("东利 12#", "东利"),
        ("东利１２＃", "东利"),
        ("西城", "西城"),
        ("西城社区", "西城"),
        ("西城小区2号楼", "西城"),
        ("老胜利街", "胜利"),
        ("老胜利街小区", "胜利"),
    ],
)
def test_a_written_name_matches_ignoring_suffix_spaces_width_and_building(
    world: World, register: dict[str, Community], written: str, expected: str
):
    lookup = CommunityLookup.for_clubs()

    assert lookup.match(world.club_a.pk, written) == register[expected].pk


def test_an_unknown_name_or_another_clubs_community_matches_nothing(
    world: World, register: dict[str, Community]
):
    lookup = CommunityLookup.for_clubs()

    assert lookup.match(world.club_a.pk, "南山小区") is None
    assert lookup.match(world.club_b.pk, "东利小区") is None


def test_a_name_two_communities_of_the_club_answer_to_matches_neither(
    world: World, register: dict[str, Community]
):
    Community.objects.create(name="北园", club=world.club_a, aliases=["东利"])
    Community.objects.create(name="新村1", club=world.club_a)
    Community.objects.create(name="新村2", club=world.club_a)
    lookup = CommunityLookup.for_clubs()

    assert lookup.match(world.club_a.pk, "东利小区") is None
    assert lookup.match(world.club_a.pk, "新村") is None
    assert lookup.match(world.club_a.pk, "新村2") == Community.objects.get(name="新村2").pk


def test_building_numbers_are_cut_only_after_the_name(world: World):
    assert community_keys("东利小区3号楼") == ["东利小区3号楼", "东利"]
    assert community_keys("东利") == ["东利"]
    assert community_keys("小区") == ["小区"]


def test_the_lookup_reads_the_register_in_one_query(
    world: World, register: dict[str, Community], django_assert_num_queries
):
    with django_assert_num_queries(1):
        lookup = CommunityLookup.for_clubs()
        for _ in range(100):
            lookup.match(world.club_a.pk, "东利小区3号楼")


def test_a_mapped_name_matches_for_this_lookup_only(world: World, register: dict[str, Community]):
    lookup = CommunityLookup.for_clubs()
    lookup.map(world.club_a.pk, "南山", register["西城"].pk)

    assert lookup.match(world.club_a.pk, "南山小区") == register["西城"].pk
    assert CommunityLookup.for_clubs().match(world.club_a.pk, "南山") is None


def test_club_staff_add_an_alias_to_their_own_community_and_it_is_audited(
    world: World, register: dict[str, Community]
):
    community = community_aliases_add(
        actor=world.people["alice"], community=register["东利"], aliases=["东利新村", "东利"]
    )

    community.refresh_from_db()
    assert community.aliases == ["东利新村"]
    event = Community.pgh_event_model.objects.filter(pgh_obj=community).last()  # type: ignore[attr-defined]
    assert event.aliases == ["东利新村"]


def test_an_alias_another_community_of_the_club_goes_by_is_refused(
    world: World, register: dict[str, Community]
):
    with pytest.raises(ValidationError) as refused:
        community_aliases_add(
            actor=world.people["alice"], community=register["东利"], aliases=["老胜利街小区"]
        )

    assert refused.value.message_dict["aliases"] == [
        "其他写法“老胜利街小区”已是本服务社另一个小区的名称或其他写法，同一写法只能指一个小区。"
    ]


def test_staff_of_another_club_may_not_add_an_alias(world: World, register: dict[str, Community]):
    with pytest.raises(PermissionDenied, match="无权修改小区“东利”"):
        community_aliases_add(
            actor=world.people["charlie"], community=register["东利"], aliases=["东利新村"]
        )


def signed_in(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def change_form(community: Community, aliases: str) -> dict[str, object]:
    return {
        "name": community.name,
        "club": community.club_id,
        "city": community.city,
        "county": community.county,
        "households": "",
        "aliases": aliases,
    }


def test_club_staff_edit_only_the_aliases_of_their_own_communities_in_the_admin(
    world: World, register: dict[str, Community]
):
    community = register["东利"]
    url = f"/admin/org/community/{community.pk}/change/"

    saved = signed_in("bob").post(
        url, {**change_form(community, "东利新村,老东利"), "name": "改名"}
    )
    other = signed_in("charlie").get(url)

    community.refresh_from_db()
    assert saved.status_code == 302
    assert (community.name, community.aliases) == ("东利", ["东利新村", "老东利"])
    assert other.status_code == 302  # another club's community: "does not exist", to the index


def test_the_admin_refuses_an_alias_another_community_of_the_club_goes_by(
    world: World, register: dict[str, Community]
):
    community = register["东利"]
    url = f"/admin/org/community/{community.pk}/change/"

    page = signed_in("carol").post(url, change_form(community, "西城"))

    assert page.status_code == 200
    assert "其他写法“西城”已是本服务社另一个小区的名称或其他写法" in page.content.decode()
    community.refresh_from_db()
    assert community.aliases == []
