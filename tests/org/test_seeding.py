from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from fuwushe.org import seed_data
from fuwushe.org.models import Club, Community, Department, StaffPosting, User
from fuwushe.org.roles import group_name
from fuwushe.org.scoping import CENTER, CLUB, DEPARTMENT, scope_for
from fuwushe.org.seeding import DEMO_PASSWORD, DEMO_USERS, plan_club_staff
from fuwushe.org.selectors import with_staffing
from fuwushe.seeding import SCALES, SeedContext

pytestmark = pytest.mark.django_db

NAMED_CLUBS = ["东利", "锦华第三", "通明苑", "景苑南区", "萃苑", "物兴", "胜北"]
ORG_MODELS: list[Any] = [Department, Club, Community, StaffPosting, User]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[Any]]:
    rows = {m.__name__: list(m.objects.order_by("pk").values_list()) for m in ORG_MODELS}
    rows["memberships"] = sorted(User.groups.through.objects.values_list("user_id", "group_id"))
    return rows


def audit_event_count() -> int:
    return sum(model.pgh_event_model.objects.count() for model in ORG_MODELS)


def club(name: str) -> Club:
    return Club.objects.get(name=f"{name}党员服务社")


def test_it_seeds_76_active_clubs_and_the_21_merged_into_them_in_the_reform():
    seed("--org-only")

    assert Club.objects.active().count() == 76
    assert Club.objects.filter(status=Club.Status.MERGED).count() == 21
    assert Club.objects.count() == 97


def test_every_merged_club_points_to_an_active_club_that_now_serves_its_community():
    seed("--org-only")

    for merged in Club.objects.filter(status=Club.Status.MERGED).select_related("merged_into"):
        assert merged.merged_into is not None
        assert merged.merged_into.status == Club.Status.ACTIVE
        assert merged.merged_into.department_id == merged.department_id
        assert merged.merged_on is not None and merged.merged_on.year in (2018, 2019)
        community = merged.name.removesuffix("党员服务社")
        assert merged.merged_into.communities.filter(name=community).exists()


def test_the_clubs_named_in_the_published_accounts_are_active():
    seed("--org-only")

    for name in NAMED_CLUBS:
        assert club(name).status == Club.Status.ACTIVE


def test_dongli_is_the_first_pilot_and_serves_one_community_of_thousands_of_households():
    seed("--org-only")

    dongli = club("东利")
    assert dongli.founded_on is not None and dongli.founded_on.year == 2007
    assert Club.objects.order_by("founded_on").first() == dongli
    [community] = dongli.communities.all()
    assert community.households is not None and community.households >= 1000


def test_every_active_club_serves_a_community_and_they_span_8_cities_and_20_counties():
    seed("--org-only")

    served = list(
        Club.objects.active().annotate(n=Count("communities")).values_list("n", flat=True)
    )
    assert min(served) >= 1
    assert max(served) > 1
    assert Community.objects.filter(club__status=Club.Status.MERGED).count() == 0
    assert Community.objects.count() >= 100
    assert Community.objects.values("city").distinct().count() == 8
    assert Community.objects.values("city", "county").distinct().count() >= 20


def test_every_department_has_a_party_branch_and_clubs():
    seed("--org-only")

    departments = Department.objects.annotate(n=Count("clubs"))
    for name, branch_name, clubs in departments.values_list("name", "branch_name", "n"):
        assert branch_name == f"{name}党支部"
        assert clubs > 0


def test_running_it_twice_changes_nothing():
    seed()
    before, events = snapshot(), audit_event_count()

    seed()

    assert snapshot() == before
    assert audit_event_count() == events


def test_running_it_again_leaves_notes_people_wrote_about_a_club():
    seed("--org-only")
    Club.objects.filter(code=seed_data.DONGLI).update(notes="2007 年首批试点。")

    seed("--org-only")

    assert club("东利").notes == "2007 年首批试点。"


def test_running_it_again_keeps_a_demo_user_moved_elsewhere_where_they_were_moved():
    seed("--org-only")
    StaffPosting.objects.filter(user__username="dongli_director").update(
        club=club("胜北"), role=StaffPosting.Role.DEPUTY
    )

    seed("--org-only")

    posting = StaffPosting.objects.get(user__username="dongli_director")
    assert (posting.club, posting.role) == (club("胜北"), StaffPosting.Role.DEPUTY)


def test_running_it_again_keeps_a_renamed_club_a_renamed_demo_user_and_an_ended_posting():
    seed()
    Club.objects.filter(code=seed_data.DONGLI).update(
        name="东利社区党员服务社", address="新地址 1 号"
    )
    Department.objects.filter(code="D01").update(name="第一老年服务部（改）")
    User.objects.filter(username="dept_admin").update(last_name="李", first_name="秀芝")
    StaffPosting.objects.filter(user__username="c002_staff1").update(ended_on="2026-06-30")
    clubs, postings = Club.objects.count(), StaffPosting.objects.count()

    seed()

    dongli = Club.objects.get(code=seed_data.DONGLI)
    assert (dongli.name, dongli.address) == ("东利社区党员服务社", "新地址 1 号")
    assert Department.objects.get(code="D01").name == "第一老年服务部（改）"
    admin = User.objects.get(username="dept_admin")
    assert (admin.last_name, admin.first_name) == ("李", "秀芝")
    assert not StaffPosting.objects.filter(user__username="c002_staff1", ended_on=None).exists()
    assert (Club.objects.count(), StaffPosting.objects.count()) == (clubs, postings)


def test_running_it_again_creates_a_deleted_demo_user_with_its_posting():
    seed("--org-only")
    User.objects.filter(username="dongli_staff").delete()

    seed("--org-only")

    user = User.objects.get(username="dongli_staff")
    assert user.check_password(DEMO_PASSWORD)
    assert scope_for(user).club_id == club("东利").pk
    assert list(user.groups.values_list("name", flat=True)) == [
        group_name(StaffPosting.Role.PART_TIME)
    ]


def test_org_only_creates_the_organisation_and_demo_users_but_no_club_staff():
    seed("--org-only")

    assert Club.objects.exists() and Community.objects.exists()
    usernames = set(User.objects.values_list("username", flat=True))
    assert usernames == {demo.username for demo in DEMO_USERS}


def test_the_center_admin_sees_everything_without_being_a_superuser():
    seed("--org-only")

    user = User.objects.get(username="center_admin")
    assert user.is_staff and not user.is_superuser
    assert scope_for(user).level == CENTER
    assert User.objects.get(username="admin").is_superuser


def test_a_department_admin_sees_the_department_holding_dongli():
    seed("--org-only")

    scope = scope_for(User.objects.get(username="dept_admin"))

    assert scope.level == DEPARTMENT
    assert scope.department_id == club("东利").department_id


def test_the_second_department_admin_sees_shengbei_in_another_department():
    seed("--org-only")

    scope = scope_for(User.objects.get(username="dept_admin2"))

    assert scope.level == DEPARTMENT
    assert scope.department_id == club("胜北").department_id != club("东利").department_id


def test_dongli_staff_see_only_dongli():
    seed("--org-only")

    for username in ("dongli_director", "dongli_staff"):
        scope = scope_for(User.objects.get(username=username))
        assert scope.level == CLUB
        assert scope.club_id == club("东利").pk


def test_demo_users_are_in_the_group_of_their_role():
    seed("--org-only")

    director = User.objects.get(username="shengbei_director")
    assert list(director.groups.values_list("name", flat=True)) == [
        group_name(StaffPosting.Role.DIRECTOR)
    ]


def test_every_demo_user_can_sign_in_with_the_demo_password(client):
    seed("--org-only")

    for demo in DEMO_USERS:
        assert client.login(username=demo.username, password=DEMO_PASSWORD), demo.username
        assert not User.objects.get(username=demo.username).must_change_password
        client.logout()


def test_synthetic_club_staff_have_chinese_names_but_cannot_sign_in():
    seed()

    staff = User.objects.get(username="c002_staff1")
    assert staff.last_name in "王李张刘陈杨赵孙徐马高于董郭韩崔宋曹吕任姜朱田周袁许魏薛"
    assert staff.first_name
    assert not staff.has_usable_password()
    assert staff.postings.get().role == StaffPosting.Role.DIRECTOR
    assert list(staff.groups.values_list("name", flat=True)) == [
        group_name(StaffPosting.Role.DIRECTOR)
    ]


def test_some_clubs_are_short_staffed_and_most_are_not():
    seed()

    clubs: Any = with_staffing(Club.objects.active())  # annotations the type checker cannot see
    statuses = list(clubs.values_list("staffing_status", flat=True))

    assert 0 < statuses.count("short") < len(statuses) // 4


def test_the_same_seed_plans_the_same_staff_and_another_seed_different_staff():
    def plan(seed: int) -> list[Any]:
        rng = SeedContext(scale=SCALES["small"], seed=seed).rng("club_staff")
        return plan_club_staff(seed_data.ACTIVE_CLUBS, rng)

    assert plan(2007) == plan(2007)
    assert plan(2007) != plan(2008)


def test_a_club_attached_to_an_elderly_station_shares_a_staff_member_with_it():
    seed()

    posting = StaffPosting.objects.filter(club__elderly_station="孤东老年站").exclude(
        elderly_station=""
    )
    assert posting.get().elderly_station == "孤东老年站"
