"""Staff accounts, postings, scopes and temporary passwords."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from fuwushe.org import services
from fuwushe.org.models import Club, StaffPosting, User
from fuwushe.org.scoping import CENTER, CLUB, DEPARTMENT, NOWHERE, scope_for
from fuwushe.org.selectors import with_staffing
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db


def person(world: World, name: str) -> User:
    user = world.people[name]
    assert user is not None
    return user


def test_each_person_gets_the_scope_of_their_current_posting(world: World):
    assert scope_for(person(world, "carol")).level == CENTER
    dora = scope_for(person(world, "dora"))
    assert (dora.level, dora.department_id) == (DEPARTMENT, world.department1.pk)
    alice = scope_for(person(world, "alice"))
    assert (alice.level, alice.club_id, alice.department_id) == (
        CLUB,
        world.club_a.pk,
        world.department1.pk,
    )


def test_an_ended_posting_gives_no_scope(world: World):
    bob = person(world, "bob")
    StaffPosting.objects.filter(user=bob).update(ended_on="2020-01-01", started_on="2019-01-01")

    assert scope_for(User.objects.get(pk=bob.pk)).level == NOWHERE


def test_a_department_administrator_creates_staff_for_her_clubs(world: World):
    user, password = services.staff_account_create(
        actor=person(world, "dora"),
        username="erin",
        last_name="鄂",
        first_name="琳",
        role="full_time",
        club=world.club_a,
    )

    assert scope_for(user).club_id == world.club_a.pk
    assert user.must_change_password and user.check_password(password)
    assert user.groups.filter(name="岗位：专职工作人员").exists()


def test_a_department_administrator_cannot_create_staff_for_another_department(world: World):
    with pytest.raises(PermissionDenied, match="本服务部所属服务社"):
        services.staff_account_create(
            actor=person(world, "dora"),
            username="frank",
            last_name="范",
            first_name="克",
            role="director",
            club=world.club_b,
        )
    assert not User.objects.filter(username="frank").exists()


def test_club_staff_cannot_create_accounts(world: World):
    with pytest.raises(PermissionDenied):
        services.staff_account_create(
            actor=person(world, "alice"),
            username="gina",
            last_name="葛",
            first_name="娜",
            role="part_time",
            club=world.club_a,
        )


def test_a_posting_must_match_its_level(world: World):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffPosting.objects.create(
            user=person(world, "alice"), level="club", department=world.department1, role="director"
        )


def test_a_user_has_at_most_one_open_posting(world: World):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffPosting.objects.create(
            user=person(world, "alice"), level="club", club=world.club_b, role="deputy"
        )


def test_a_new_posting_ends_the_open_one(world: World):
    services.staff_posting_create(
        actor=person(world, "carol"), user=person(world, "bob"), role="deputy", club=world.club_b
    )

    bob = User.objects.get(username="bob")
    assert scope_for(bob).club_id == world.club_b.pk
    assert StaffPosting.objects.filter(user=bob).count() == 2


def test_a_reset_password_must_be_changed_at_the_next_sign_in(world: World, client: Client):
    password = services.staff_password_reset(actor=person(world, "dora"), user=person(world, "bob"))

    assert client.login(username="bob", password=password)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/password_change/"

    client.post(
        "/admin/password_change/",
        {
            "old_password": password,
            "new_password1": "Qz7-新密码-2026",
            "new_password2": "Qz7-新密码-2026",
        },
    )
    assert User.objects.get(username="bob").must_change_password is False
    assert client.get("/admin/").status_code == 200


def test_nobody_resets_a_password_outside_their_scope(world: World):
    with pytest.raises(PermissionDenied):
        services.staff_password_reset(actor=person(world, "dora"), user=person(world, "charlie"))
    assert User.objects.get(username="charlie").check_password(PASSWORD)


def test_a_deactivated_account_cannot_sign_in_and_keeps_its_history(world: World, client: Client):
    services.staff_account_deactivate(actor=person(world, "carol"), user=person(world, "charlie"))

    assert not client.login(username="charlie", password=PASSWORD)
    posting = StaffPosting.objects.get(user__username="charlie")
    assert posting.ended_on is not None


def test_nobody_deactivates_themselves(world: World):
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        services.staff_account_deactivate(actor=person(world, "carol"), user=person(world, "carol"))


def test_the_admin_creates_an_account_and_shows_its_temporary_password_once(
    world: World, client: Client
):
    client.force_login(person(world, "dora"))

    response = client.post(
        "/admin/org/user/add/",
        {"username": "hana", "last_name": "韩", "first_name": "娜", "role": "part_time",
         "club": world.club_a.pk},
        follow=True,
    )  # fmt: skip

    assert response.status_code == 200
    assert "临时密码" in response.content.decode()
    assert scope_for(User.objects.get(username="hana")).club_id == world.club_a.pk


def test_the_admin_refuses_an_account_for_another_departments_club(world: World, client: Client):
    client.force_login(person(world, "dora"))

    response = client.post(
        "/admin/org/user/add/",
        {"username": "ivan", "last_name": "伊", "first_name": "万", "role": "part_time",
         "club": world.club_b.pk},
    )  # fmt: skip

    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.filter(username="ivan").exists()


def test_the_staffing_rule_flags_clubs_with_fewer_than_two_staff(world: World):
    clubs: dict[int, Any] = {c.pk: c for c in with_staffing(Club.objects.all())}

    assert clubs[world.club_a.pk].staff_count == 2
    assert clubs[world.club_a.pk].staffing_status == "ok"
    assert clubs[world.club_b.pk].staff_count == 1
    assert clubs[world.club_b.pk].staffing_status == "short"


def test_a_merged_club_is_not_flagged_as_under_staffed(world: World):
    merged = Club.objects.create(
        code="T003",
        name="丙小区党员服务社",
        department=world.department1,
        status="merged",
        merged_into=world.club_a,
        merged_on="2018-09-30",
    )

    club: Any = with_staffing(Club.objects.filter(pk=merged.pk)).get()

    assert club.staffing_status == "inactive"


def test_the_center_sees_under_staffed_clubs_in_the_club_list(world: World, client: Client):
    client.force_login(person(world, "carol"))

    page = client.get("/admin/org/club/?staffing=short").content.decode()

    assert world.club_b.name in page
    assert world.club_a.name not in page
