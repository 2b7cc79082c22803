"""The members registry in the admin, used through the real URLs by the named people."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from fuwushe.audit.models import SensitiveAccess
from fuwushe.config.registry import ADVANCED_AGE_THRESHOLD
from fuwushe.config.services import config_set
from fuwushe.org.models import Club, Community, User
from members import services
from members.models import (
    Member,
    MemberRole,
    MemberTransfer,
    PartyApplicant,
    Person,
    TalentTag,
    years_before,
)
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/members/member/"
ADD = "/admin/members/member/add/"
TRANSFERS = "/admin/members/membertransfer/"
APPLICANTS = "/admin/members/partyapplicant/"


def id_number(born: date, *, seq: int = 1, male: bool = True, region: str = "370102") -> str:
    """A valid 18-character ID number (odd sequence code for men, even for women)."""
    body = f"{region}{born:%Y%m%d}{seq * 2 + (1 if male else 0):03d}"
    return body + ric.calc_check_digit(body + "0")


def aged(years: int, *, days: int = 30) -> date:
    """A birth date `years` (and some days) ago."""
    return years_before(timezone.localdate(), years) - timedelta(days=days)


def person(world: World, name: str) -> User:
    user = world.people[name]
    assert user is not None
    return user


def reveals_by(world: World, name: str) -> Any:
    """The log entries of a user's looks at people (the world has others of its own)."""
    return SensitiveAccess.objects.filter(user=person(world, name), subject_type="members.person")


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(person(world, name))
    return client


def community(club: Club) -> Community:
    return Community.objects.filter(club=club).first() or Community.objects.create(
        name=f"{club.name[:2]}苑", club=club
    )


def add_member(world: World, club: Club, name: str, born: date, **fields: Any) -> Member:
    """A member put on the roster by the club's director, through the services."""
    actor = person(world, "alice" if club == world.club_a else "charlie")
    details = {
        "name": name,
        "id_number": fields.pop("id_number", None) or id_number(born, seq=fields.pop("seq", 1)),
        "phone": fields.pop("phone", ""),
        "community": fields.pop("community", community(club)),
        "building": fields.pop("building", ""),
    }
    return services.member_create(actor=actor, club=club, person=details, **fields)


WANG_ID = id_number(date(1945, 3, 1), seq=18)
WANG_PHONE = "13805461234"


@pytest.fixture
def wang(world: World) -> Member:
    """王允功 of club A: 80 or older, building 12."""
    return add_member(
        world,
        world.club_a,
        "王允功",
        date(1945, 3, 1),
        id_number=WANG_ID,
        phone=WANG_PHONE,
        building="12号楼",
        joined_party_on=date(1968, 7, 1),
    )


def member_form(club: Club, **overrides: Any) -> dict[str, Any]:
    """What the add form posts when a user fills it in (duties left empty)."""
    data = {
        "name": "",
        "gender": "",
        "ethnicity": "汉族",
        "birth_date": "",
        "id_number": "",
        "phone": "",
        "phone_alt": "",
        "emergency_contact": "",
        "emergency_phone": "",
        "community": "",
        "building": "",
        "unit": "",
        "room": "",
        "club": club.pk,
        "category": "retired",
        "joined_party_on": "",
        "registered_on": timezone.localdate().isoformat(),
        "former_unit": "",
        "relationship_held_at": "",
        "relationship_organisation": "",
        "education": "",
        "health_note": "",
        "notes": "",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def change_form(member: Member, **overrides: Any) -> dict[str, Any]:
    """What the change form posts when nothing is touched (sensitive boxes stay empty)."""
    p = member.person
    data = member_form(
        member.club,
        name=p.name,
        gender=p.gender,
        ethnicity=p.ethnicity,
        birth_date=p.birth_date.isoformat(),
        community=p.community_id or "",
        building=p.building,
        category=member.category,
        joined_party_on=member.joined_party_on.isoformat() if member.joined_party_on else "",
        registered_on=member.registered_on.isoformat(),
    )
    roles = list(member.roles.all())
    data.update({"roles-TOTAL_FORMS": str(len(roles)), "roles-INITIAL_FORMS": str(len(roles))})
    for i, role in enumerate(roles):
        data.update(
            {
                f"roles-{i}-id": role.pk,
                f"roles-{i}-member": member.pk,
                f"roles-{i}-ended_on": role.ended_on.isoformat() if role.ended_on else "",
            }
        )
    data.pop("club")
    data.update(overrides)
    return data


def page(response: Any) -> str:
    return response.content.decode()


def listed(client: Client, query: str = "") -> str:
    response = client.get(f"{CHANGELIST}{query}")
    assert response.status_code == 200
    return page(response)


def shows(html: str, member: Member) -> bool:
    return f'href="{CHANGELIST}{member.pk}/change/' in html


# --- adding ------------------------------------------------------------------------


def test_a_director_adds_a_member_and_the_typed_values_are_normalised(world: World):
    alice = signed_in(world, "alice")
    number = next(
        n
        for seq in range(50)
        if (n := id_number(date(1949, 12, 31), seq=seq, male=False))[-1] == "X"
    )

    response = alice.post(
        ADD,
        member_form(
            world.club_a,
            name=" 李\u00a0秀英 ",
            id_number=number.lower(),
            phone="138 0546-1234",
            building=" 3 ",
            community=community(world.club_a).pk,
            lives_alone="on",
            tags=[TalentTag.objects.get(name="讲师").pk],
        ),
    )

    assert response.status_code == 302, page(response)[:3000]
    member = Member.objects.select_related("person").get(person__id_number=number.upper())
    assert member.club == world.club_a
    assert member.person.name == "李秀英"
    assert member.person.phone == "13805461234"
    assert member.person.building == "3"
    assert member.person.birth_date == date(1949, 12, 31)
    assert member.person.gender == "female"
    assert member.lives_alone
    assert [tag.name for tag in member.tags.all()] == ["讲师"]
    history = page(alice.get(f"{CHANGELIST}{member.pk}/history/"))
    assert "艾丽思" in history
    assert "新建" in history


def test_an_old_fifteen_digit_number_is_converted_only_when_asked(world: World):
    alice = signed_in(world, "alice")
    old = "370102450301123"
    form = member_form(world.club_a, name="赵老", id_number=old)

    refused = alice.post(ADD, form)
    converted = alice.post(ADD, {**form, "convert_old_id": "on"})

    assert refused.status_code == 200
    assert "15 位旧身份证号" in page(refused)
    assert converted.status_code == 302, page(converted)[:3000]
    saved = Person.objects.get(name="赵老")
    assert saved.id_number == "37010219450301123" + ric.calc_check_digit("370102194503011230")
    assert saved.birth_date == date(1945, 3, 1)


def test_the_form_names_the_club_holding_a_person_and_nothing_else_of_them(
    world: World, wang: Member
):
    charlie = signed_in(world, "charlie")

    response = charlie.post(ADD, member_form(world.club_b, name="张三", id_number=WANG_ID))

    assert response.status_code == 200
    html = page(response)
    assert "甲小区党员服务社" in html
    assert "不能重复登记" in html
    assert "王允功" not in html
    assert WANG_PHONE not in html and "138****1234" not in html
    assert Member.objects.get(person__id_number=WANG_ID).club == world.club_a
    assert Person.objects.get(id_number=WANG_ID).name == "王允功"
    assert not Person.objects.filter(name="张三").exists()


def test_a_refused_duty_row_leaves_nothing_saved(world: World):
    alice = signed_in(world, "alice")
    form = member_form(
        world.club_a,
        name="钱进",
        id_number=id_number(date(1950, 5, 5), seq=7),
        **{
            "roles-TOTAL_FORMS": "2",
            "roles-0-role": "publicity",
            "roles-0-started_on": "2024-01-01",
            "roles-1-role": "publicity",
            "roles-1-started_on": "2024-02-01",
        },
    )

    response = alice.post(ADD, form)

    assert response.status_code == 200
    assert "不能重复登记" in page(response)
    assert not Person.objects.filter(name="钱进").exists()


def test_a_form_shown_again_with_errors_leaves_nothing_saved(world: World):
    alice = signed_in(world, "alice")
    form = member_form(
        world.club_a,
        name="孙立",
        id_number=id_number(date(1950, 5, 5), seq=8),
        **{
            "roles-TOTAL_FORMS": "1",
            "roles-0-role": "publicity",
            "roles-0-started_on": "2024-03-01",
            "roles-0-ended_on": "2024-01-01",
        },
    )

    response = alice.post(ADD, form)

    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in page(response)
    assert not Person.objects.filter(name="孙立").exists()


def test_a_duty_added_on_the_change_form_goes_through_the_services(world: World, wang: Member):
    alice = signed_in(world, "alice")
    form = change_form(
        wang,
        **{
            "roles-TOTAL_FORMS": "1",
            "roles-0-role": "patrol_captain",
            "roles-0-started_on": "2025-01-01",
            "roles-0-member": wang.pk,
        },
    )

    response = alice.post(f"{CHANGELIST}{wang.pk}/change/", form)

    assert response.status_code == 302, page(response)[:3000]
    assert MemberRole.objects.current().filter(member=wang, role="patrol_captain").exists()
    assert "巡逻队长" in listed(alice, "?role=captains")


# --- masking and revealing ---------------------------------------------------------


@pytest.mark.parametrize("name", ["bob", "alice"])
def test_the_list_masks_id_numbers_and_phones_for_everyone(world: World, wang: Member, name):
    html = listed(signed_in(world, name))

    assert shows(html, wang)
    assert WANG_ID not in html
    assert WANG_PHONE not in html
    assert "370102**********" + WANG_ID[-2:] in html
    assert "138****1234" in html


def test_the_change_form_is_not_filled_in_with_the_id_number_or_phone(world: World, wang: Member):
    html = page(signed_in(world, "alice").get(f"{CHANGELIST}{wang.pk}/change/"))

    assert WANG_ID not in html
    assert WANG_PHONE not in html
    assert f"当前：370102**********{WANG_ID[-2:]}，留空则不修改" in html
    assert "当前：138****1234" in html
    assert "显示完整身份证号和电话" in html


def test_part_time_staff_get_no_reveal_button_and_403_on_the_reveal_page(
    world: World, wang: Member
):
    bob = signed_in(world, "bob")
    reveal = reverse("admin:members_member_reveal", args=[wang.pk])

    assert "显示完整身份证号和电话" not in page(bob.get(f"{CHANGELIST}{wang.pk}/change/"))
    assert bob.get(reveal).status_code == 403
    assert bob.post(reveal, {"reason": "想看看"}).status_code == 403
    assert not reveals_by(world, "bob").exists()


def test_a_director_reveals_the_full_values_and_the_showing_is_logged_once(
    world: World, wang: Member
):
    alice = signed_in(world, "alice")
    reveal = reverse("admin:members_member_reveal", args=[wang.pk])

    confirm = alice.get(reveal)
    assert confirm.status_code == 200
    assert WANG_ID not in page(confirm)
    assert not reveals_by(world, "alice").exists()

    shown = alice.post(reveal, {"reason": "核对身份证原件"})

    assert shown.status_code == 200
    assert WANG_ID in page(shown) and WANG_PHONE in page(shown)
    access = reveals_by(world, "alice").get()
    assert access.club == world.club_a
    assert access.action == "reveal"
    assert access.fields == ["id_number", "phone"]
    assert access.subject_type == "members.person"
    assert access.subject_ids == [wang.person_id]
    assert access.reason == "核对身份证原件"


def test_a_director_of_another_club_cannot_reveal_a_member_outside_her_club(
    world: World, wang: Member
):
    reveal = reverse("admin:members_member_reveal", args=[wang.pk])

    assert signed_in(world, "charlie").post(reveal, {"reason": ""}).status_code == 404
    assert not reveals_by(world, "charlie").exists()


def test_a_phone_change_keeps_the_id_number_and_shows_masked_in_the_history(
    world: World, wang: Member
):
    alice = signed_in(world, "alice")

    response = alice.post(
        f"{CHANGELIST}{wang.pk}/change/", change_form(wang, phone="139-0546-5678")
    )

    assert response.status_code == 302, page(response)[:3000]
    wang.person.refresh_from_db()
    assert wang.person.phone == "13905465678"
    assert wang.person.id_number == WANG_ID
    history = page(alice.get(f"{CHANGELIST}{wang.pk}/history/"))
    assert "138****1234" in history and "139****5678" in history
    assert WANG_PHONE not in history and "13905465678" not in history
    assert WANG_ID not in history


def test_typing_wu_in_a_phone_box_removes_that_number(world: World, wang: Member):
    services.member_update(
        actor=person(world, "alice"), member=wang, person={"phone_alt": "0546-8123456"}
    )
    alice = signed_in(world, "alice")

    response = alice.post(f"{CHANGELIST}{wang.pk}/change/", change_form(wang, phone_alt="无"))

    assert response.status_code == 302, page(response)[:3000]
    wang.person.refresh_from_db()
    assert (wang.person.phone_alt, wang.person.phone) == ("", WANG_PHONE)


def test_a_changed_birth_date_is_checked_against_the_stored_id_number(world: World, wang: Member):
    alice = signed_in(world, "alice")

    response = alice.post(
        f"{CHANGELIST}{wang.pk}/change/", change_form(wang, birth_date="1946-03-01")
    )

    assert response.status_code == 200
    assert "不一致" in page(response)
    wang.person.refresh_from_db()
    assert wang.person.birth_date == date(1945, 3, 1)


# --- finding people ----------------------------------------------------------------


@pytest.mark.parametrize("term", ["wyg", "wangyun", WANG_ID[-4:], "1234", "12号", "允功"])
def test_staff_find_a_member_by_pinyin_id_or_phone_tail_and_building(
    world: World, wang: Member, term: str
):
    other = add_member(world, world.club_a, "李秀英", aged(70), building="7", seq=40)

    html = listed(signed_in(world, "bob"), f"?q={term}")

    assert shows(html, wang)
    assert not shows(html, other)


def test_search_never_reaches_another_clubs_members(world: World, wang: Member):
    html = listed(signed_in(world, "charlie"), "?q=wyg")

    assert not shows(html, wang)
    assert "王允功" not in html


# --- filters -----------------------------------------------------------------------


def test_age_bands_and_advanced_age_follow_the_configured_threshold(
    world: World, django_capture_on_commit_callbacks: Any
):
    young = add_member(world, world.club_a, "周青", aged(58), seq=41)
    sixties = add_member(world, world.club_a, "吴六", aged(65), seq=42)
    late_seventies = add_member(world, world.club_a, "郑七", aged(77), seq=43)
    old = add_member(world, world.club_a, "冯老", aged(91), seq=44)
    alice = signed_in(world, "alice")

    assert [shows(listed(alice, "?age=under60"), m) for m in (young, sixties)] == [True, False]
    assert shows(listed(alice, "?age=60"), sixties)
    assert shows(listed(alice, "?age=70"), late_seventies)
    assert shows(listed(alice, "?age=90"), old)
    default = listed(alice, "?age=advanced")
    assert shows(default, old) and not shows(default, late_seventies)
    assert "高龄（80岁及以上）" in default

    with django_capture_on_commit_callbacks(execute=True):  # drops the cached value
        config_set(user=person(world, "carol"), key=ADVANCED_AGE_THRESHOLD.key, value=75)

    lowered = listed(alice, "?age=advanced")
    assert shows(lowered, old) and shows(lowered, late_seventies)
    assert not shows(lowered, sixties)
    assert "高龄（75岁及以上）" in lowered
    assert shows(listed(alice, "?care=advanced"), late_seventies)


def test_care_filters_find_the_flagged_and_any_care_situation(world: World):
    alone = add_member(world, world.club_a, "陈独", aged(70), seq=45, lives_alone=True)
    widow = add_member(world, world.club_a, "褚遗", aged(70), seq=46, widowed=True)
    none = add_member(world, world.club_a, "卫无", aged(65), seq=47)
    old = add_member(world, world.club_a, "蒋高", aged(85), seq=48)
    alice = signed_in(world, "alice")

    lives_alone = listed(alice, "?care=lives_alone")
    assert shows(lives_alone, alone) and not shows(lives_alone, widow)
    anything = listed(alice, "?care=any")
    assert all(shows(anything, m) for m in (alone, widow, old))
    assert not shows(anything, none)


def test_the_list_shows_members_on_the_roster_unless_asked_for_all(world: World, wang: Member):
    gone = add_member(world, world.club_a, "沈故", aged(88), seq=49)
    services.member_mark_deceased(
        actor=person(world, "alice"), member=gone, died_on=timezone.localdate()
    )
    alice = signed_in(world, "alice")

    default = listed(alice)
    assert shows(default, wang) and not shows(default, gone)
    everyone = listed(alice, "?status=all")
    assert shows(everyone, wang) and shows(everyone, gone)
    deceased = listed(alice, "?status=deceased")
    assert shows(deceased, gone) and not shows(deceased, wang)


def test_the_community_and_club_filters_offer_only_rows_in_scope(world: World, wang: Member):
    html = listed(signed_in(world, "alice"))
    center = listed(signed_in(world, "carol"))

    assert "甲小苑" in html and "乙小苑" not in html
    assert "乙小区党员服务社" not in html
    assert "乙小苑" in center and "乙小区党员服务社" in center


def test_members_are_found_by_community_club_and_talent_tag(world: World, wang: Member):
    lecturer = add_member(
        world, world.club_a, "褚讲", aged(70), seq=50, tags=[TalentTag.objects.get(name="讲师")]
    )
    elsewhere = add_member(world, world.club_b, "乙某", aged(70), seq=51)
    alice, carol = signed_in(world, "alice"), signed_in(world, "carol")

    by_community = listed(alice, f"?person__community__id__exact={community(world.club_a).pk}")
    by_tag = listed(alice, f"?tags__id__exact={TalentTag.objects.get(name='讲师').pk}")
    by_club = listed(carol, f"?club__id__exact={world.club_b.pk}")

    assert shows(by_community, wang)
    assert shows(by_tag, lecturer) and not shows(by_tag, wang)
    assert shows(by_club, elsewhere) and not shows(by_club, wang)


# --- actions -----------------------------------------------------------------------


def run_action(client: Client, url: str, action: str, rows: list[Any], **fields: Any) -> Any:
    """Choose the action on the list, then submit its confirmation page."""
    selected = [row.pk for row in rows]
    first = client.post(url, {"action": action, "_selected_action": selected, "index": 0})
    assert first.status_code == 200, first.status_code
    return client.post(
        url,
        {"action": action, "_selected_action": selected, "confirm": "yes", **fields},
        follow=True,
    )


def test_a_transfer_is_seen_by_the_new_club_only_once_it_accepts(world: World, wang: Member):
    alice, charlie = signed_in(world, "alice"), signed_in(world, "charlie")

    asked = run_action(
        alice, CHANGELIST, "transfer", [wang], to_club=world.club_b.pk, reason="随子女居住"
    )

    assert "等待“乙小区党员服务社”接收" in page(asked)
    transfer = MemberTransfer.objects.get(member=wang)
    assert transfer.status == MemberTransfer.Status.PENDING
    assert charlie.get(f"{CHANGELIST}{wang.pk}/change/").status_code != 200
    assert not shows(listed(charlie, "?status=all"), wang)
    assert "王允功" in page(charlie.get(TRANSFERS))

    accepted = run_action(charlie, TRANSFERS, "accept", [transfer], note="欢迎")

    assert "已接收 1 名党员" in page(accepted)
    wang.refresh_from_db()
    assert wang.club == world.club_b
    assert not shows(listed(alice, "?status=all"), wang)
    assert alice.get(f"{CHANGELIST}{wang.pk}/change/").status_code != 200
    assert shows(listed(charlie), wang)
    assert charlie.get(f"{CHANGELIST}{wang.pk}/change/").status_code == 200
    # Each side's staff are named to their own side only.
    outgoing = page(alice.get(f"{TRANSFERS}?status=all"))
    assert "艾丽思" in outgoing and "查理明" not in outgoing
    assert "对方单位工作人员" in outgoing


def test_the_sending_club_cannot_accept_its_own_transfer_but_can_withdraw_it(
    world: World, wang: Member
):
    alice = signed_in(world, "alice")
    transfer = services.member_transfer_request(
        actor=person(world, "alice"), member=wang, to_club=world.club_b
    )

    refused = run_action(alice, TRANSFERS, "accept", [transfer], note="")
    withdrawn = run_action(alice, TRANSFERS, "withdraw", [transfer], note="填错了")

    assert "王允功" in page(refused) and "无权" in page(refused)
    assert "已撤回 1 个转接申请" in page(withdrawn)
    transfer.refresh_from_db()
    assert transfer.status == MemberTransfer.Status.CANCELLED
    wang.refresh_from_db()
    assert wang.club == world.club_a


def test_a_transfer_page_is_read_only(world: World, wang: Member):
    transfer = services.member_transfer_request(
        actor=person(world, "alice"), member=wang, to_club=world.club_b
    )
    charlie = signed_in(world, "charlie")

    response = charlie.get(f"{TRANSFERS}{transfer.pk}/change/")

    assert response.status_code == 200
    assert 'name="_save"' not in page(response)
    assert charlie.get(f"{TRANSFERS}add/").status_code == 403


def test_marking_a_member_deceased_takes_them_off_the_default_list(world: World, wang: Member):
    alice = signed_in(world, "alice")
    day = timezone.localdate() - timedelta(days=3)

    response = run_action(alice, CHANGELIST, "mark_deceased", [wang], died_on=day.isoformat())

    assert "已登记 1 名党员去世" in page(response)
    wang.refresh_from_db()
    assert (wang.status, wang.died_on) == (Member.Status.DECEASED, day)
    assert not shows(listed(alice), wang)


def test_a_refused_action_names_the_member_and_the_reason(world: World, wang: Member):
    alice = signed_in(world, "alice")
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = run_action(alice, CHANGELIST, "mark_deceased", [wang], died_on=tomorrow.isoformat())

    assert "王允功：去世日期不能晚于今天" in page(response)
    wang.refresh_from_db()
    assert wang.status == Member.Status.ACTIVE


def test_marking_a_member_moved_away(world: World, wang: Member):
    alice = signed_in(world, "alice")

    response = run_action(
        alice, CHANGELIST, "mark_moved_away", [wang], left_on="2025-06-01", note="随子女去青岛"
    )

    assert "已登记 1 名党员迁出" in page(response)
    wang.refresh_from_db()
    assert wang.status == Member.Status.MOVED_AWAY
    assert "随子女去青岛" in wang.notes


# --- party applicants and tags -------------------------------------------------------


def test_an_applicant_is_added_and_moved_to_the_next_stage(world: World):
    alice = signed_in(world, "alice")
    form = {
        **{k: v for k, v in member_form(world.club_a).items() if not k.startswith("roles-")},
        "name": "韩新",
        "id_number": id_number(date(1990, 4, 4), seq=9),
        "applied_on": "2025-01-10",
    }

    created = alice.post(f"{APPLICANTS}add/", form)

    assert created.status_code == 302, page(created)[:3000]
    applicant = PartyApplicant.objects.get(person__name="韩新")
    assert applicant.club == world.club_a

    response = run_action(alice, APPLICANTS, "advance", [applicant], on="2025-07-01")

    assert "已有 1 人进入下一阶段" in page(response)
    applicant.refresh_from_db()
    assert applicant.stage == PartyApplicant.Stage.ACTIVIST
    assert applicant.activist_on == date(2025, 7, 1)


def test_an_applicants_details_are_changed_through_the_person_service(world: World):
    applicant = services.applicant_create(
        actor=person(world, "alice"),
        club=world.club_a,
        person={"name": "韩新", "id_number": id_number(date(1990, 4, 4), seq=9)},
        applied_on=date(2025, 1, 10),
    )
    p = applicant.person
    form = {
        **{k: v for k, v in member_form(world.club_a).items() if k in PERSON_KEYS},
        "name": p.name,
        "gender": p.gender,
        "birth_date": p.birth_date.isoformat(),
        "phone": "13912345678",
    }

    response = signed_in(world, "bob").post(f"{APPLICANTS}{applicant.pk}/change/", form)

    assert response.status_code == 302, page(response)[:3000]
    p.refresh_from_db()
    assert p.phone == "13912345678"
    applicant.refresh_from_db()
    assert applicant.stage == PartyApplicant.Stage.APPLICANT


PERSON_KEYS = set(services.PERSON_FIELDS)


@pytest.mark.parametrize("name", ["alice", "bob", "charlie", "dora"])
def test_the_talent_tags_are_kept_by_the_center(world: World, name: str):
    client = signed_in(world, name)

    assert client.get("/admin/members/talenttag/").status_code == 403
    assert client.get("/admin/members/talenttag/add/").status_code == 403
    assert signed_in(world, "carol").get("/admin/members/talenttag/").status_code == 200


def test_only_the_center_may_delete_a_member(world: World, wang: Member):
    assert signed_in(world, "alice").get(f"{CHANGELIST}{wang.pk}/delete/").status_code == 403
    assert signed_in(world, "carol").get(f"{CHANGELIST}{wang.pk}/delete/").status_code == 200


def test_a_department_administrator_sees_masked_details_without_inputs(world: World, wang: Member):
    html = page(signed_in(world, "dora").get(f"{CHANGELIST}{wang.pk}/change/"))

    assert "王允功" in html
    assert "370102**********" + WANG_ID[-2:] in html
    assert WANG_ID not in html
    assert 'name="id_number"' not in html


def test_the_health_note_is_shown_only_to_staff_who_may_see_sensitive_data(world: World):
    alice = world.people["alice"]
    member = services.member_create(
        actor=alice,
        club=world.club_a,
        person={"name": "健康保密", "id_number": id_number(date(1944, 5, 6), seq=77)},
        health_note="肺癌晚期",
    )
    services.member_update(actor=alice, member=member, health_note="肺癌晚期，住院")
    change = f"{CHANGELIST}{member.pk}/change/"
    history = f"{CHANGELIST}{member.pk}/history/"

    def page(name: str, url: str) -> str:
        client = Client()
        client.force_login(world.people[name])
        return client.get(url).content.decode()

    assert "肺癌晚期" in page("alice", change)
    assert "肺癌晚期" not in page("bob", change)
    assert "肺癌晚期" not in page("bob", history)
    assert "肺癌晚期" not in page("alice", history)
