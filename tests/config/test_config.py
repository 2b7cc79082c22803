from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from fuwushe.audit.tracking import acting_as
from fuwushe.config.models import ConfigValue
from fuwushe.config.registry import ADVANCED_AGE_THRESHOLD, VISIT_DEADLINE_DAYS
from fuwushe.config.selectors import config_all, config_get
from fuwushe.config.services import config_reset, config_set
from fuwushe.org.models import Club, Department, StaffPosting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/config/configvalue/"


@pytest.fixture
def carol() -> Any:
    """Carol works at the management center."""
    return UserFactory.create(username="carol", is_superuser=True)


@pytest.fixture
def bob() -> Any:
    """Bob directs 东利党员服务社 in the first department."""
    department = Department.objects.create(code="D1", name="第一老年服务部")
    club = Club.objects.create(code="C01", name="东利党员服务社", department=department)
    bob = UserFactory.create(username="bob")
    StaffPosting.objects.create(user=bob, level="club", club=club, role="director")
    return bob


def events() -> Any:
    """The audit history of settings (the event model pghistory generates)."""
    return apps.get_model("config", "ConfigValueEvent").objects.order_by("pgh_id")


def set_age_line(user: Any, value: object, capture: Any) -> ConfigValue:
    with capture(execute=True):
        return config_set(user=user, key="advanced_age_threshold", value=value)


def test_every_option_has_its_default_from_code_until_the_center_changes_it():
    assert config_get("advanced_age_threshold") == 80
    assert config_get("volunteer_star_hours") == [50, 100, 200, 400, 800]
    assert config_get("visit_deadline_days") == {
        "registration": 30,
        "hospital": 3,
        "special": 7,
        "festival": 15,
        "supporter": 30,
    }
    assert config_get("reminder_lead_days") == 3
    assert not ConfigValue.objects.exists()


def test_an_option_can_be_read_through_its_typed_handle():
    assert config_get(ADVANCED_AGE_THRESHOLD) == 80


def test_an_unknown_option_is_a_key_error():
    with pytest.raises(KeyError):
        config_get("no_such_option")


def test_a_caller_cannot_spoil_a_default_by_changing_what_it_read():
    config_get("volunteer_star_hours").append(1600)

    assert config_get("volunteer_star_hours") == [50, 100, 200, 400, 800]


def test_a_center_override_is_returned_and_cached(
    carol, django_capture_on_commit_callbacks, django_assert_num_queries
):
    set_age_line(carol, 85, django_capture_on_commit_callbacks)

    assert config_get("advanced_age_threshold") == 85
    assert cache.get("config:advanced_age_threshold") == 85
    with django_assert_num_queries(0):
        assert config_get("advanced_age_threshold") == 85


def test_an_option_left_at_its_default_is_cached_too(django_assert_num_queries):
    config_get("reminder_lead_days")

    with django_assert_num_queries(0):
        assert config_get("reminder_lead_days") == 3


def test_changing_a_setting_drops_the_cached_value_once_the_change_commits(
    carol, django_capture_on_commit_callbacks
):
    assert config_get("advanced_age_threshold") == 80

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        config_set(user=carol, key="advanced_age_threshold", value=85)
        # Still the cached "no override" until the transaction commits.
        assert cache.get("config:advanced_age_threshold", "gone") is None

    assert len(callbacks) == 1
    assert cache.get("config:advanced_age_threshold", "gone") == "gone"
    assert config_get("advanced_age_threshold") == 85


def test_resetting_a_setting_brings_back_the_default(carol, django_capture_on_commit_callbacks):
    set_age_line(carol, 85, django_capture_on_commit_callbacks)
    assert config_get("advanced_age_threshold") == 85

    with django_capture_on_commit_callbacks(execute=True):
        config_reset(user=carol, key="advanced_age_threshold")

    assert config_get("advanced_age_threshold") == 80
    assert not ConfigValue.objects.exists()


def test_a_deadline_table_that_names_some_kinds_keeps_the_others_at_their_default(
    carol, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        config_set(user=carol, key="visit_deadline_days", value={"hospital": 2})

    assert config_get(VISIT_DEADLINE_DAYS) == {
        "registration": 30,
        "hospital": 2,
        "special": 7,
        "festival": 15,
        "supporter": 30,
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("advanced_age_threshold", 59, "「高龄年龄线」不能小于 60"),
        ("advanced_age_threshold", 121, "「高龄年龄线」不能大于 120"),
        ("advanced_age_threshold", "80", "「高龄年龄线」应为整数"),
        ("advanced_age_threshold", True, "「高龄年龄线」应为整数"),
        ("volunteer_star_hours", [100, 50], "「志愿者星级时长门槛」应从小到大排列"),
        ("volunteer_star_hours", [50, 50], "「志愿者星级时长门槛」应从小到大排列，且不能重复"),
        ("volunteer_star_hours", [], "「志愿者星级时长门槛」至少要有一项"),
        ("volunteer_star_hours", [0, 50], "「志愿者星级时长门槛」第 1 项不能小于 1"),
        ("volunteer_star_hours", 50, "「志愿者星级时长门槛」应为整数列表"),
        ("visit_deadline_days", {"birthday": 3}, "「五必访时限（天）」没有类别 birthday"),
        ("visit_deadline_days", {"hospital": 0}, "「五必访时限（天）」中“住院”不能小于 1"),
        ("visit_deadline_days", [3], "「五必访时限（天）」应为类别到整数的对应表"),
        ("visit_deadline_days", {}, "「五必访时限（天）」至少要填写一个类别"),
        ("reminder_lead_days", 61, "「提醒提前天数」不能大于 60"),
    ],
)
def test_an_invalid_value_is_refused_with_a_chinese_message_naming_the_option(
    carol, key: str, value: object, message: str
):
    with pytest.raises(ValidationError) as refused:
        config_set(user=carol, key=key, value=value)

    assert message in refused.value.messages[0]
    assert not ConfigValue.objects.exists()


def test_a_club_user_cannot_change_a_setting(bob):
    with pytest.raises(PermissionDenied, match="只有管理中心的用户可以修改系统设置"):
        config_set(user=bob, key="advanced_age_threshold", value=85)

    assert not ConfigValue.objects.exists()


def test_a_user_without_a_posting_cannot_reset_a_setting():
    nobody = UserFactory.create(username="nobody")

    with pytest.raises(PermissionDenied):
        config_reset(user=nobody, key="advanced_age_threshold")


def test_a_center_administrator_without_superuser_rights_can_change_a_setting(
    django_capture_on_commit_callbacks,
):
    dora = UserFactory.create(username="dora")
    StaffPosting.objects.create(user=dora, level="center", role="center_admin")

    set_age_line(dora, 85, django_capture_on_commit_callbacks)

    assert config_get("advanced_age_threshold") == 85


def test_config_all_tells_which_options_are_at_their_default(
    carol, django_capture_on_commit_callbacks
):
    set_age_line(carol, 85, django_capture_on_commit_callbacks)

    current = {row.option.key: (row.value, row.is_default) for row in config_all()}

    assert current["advanced_age_threshold"] == (85, False)
    assert current["reminder_lead_days"] == (3, True)


def test_every_write_is_kept_in_the_audit_history(carol, django_capture_on_commit_callbacks):
    with acting_as(carol, source="test"), django_capture_on_commit_callbacks(execute=True):
        config_set(user=carol, key="advanced_age_threshold", value=85)
        config_set(user=carol, key="advanced_age_threshold", value=90)
        config_reset(user=carol, key="advanced_age_threshold")

    history = list(events())
    assert [e.pgh_label for e in history] == ["insert", "update", "delete"]
    assert [e.value for e in history] == [85, 90, 90]
    assert {e.pgh_context.metadata["user"] for e in history} == {carol.pk}


@pytest.mark.parametrize("page", ["", "add/", "{pk}/change/", "{pk}/history/", "{pk}/delete/"])
def test_a_club_user_is_refused_every_admin_page_of_the_settings(
    client: Client, bob, carol, page: str, django_capture_on_commit_callbacks
):
    config = set_age_line(carol, 85, django_capture_on_commit_callbacks)
    client.force_login(bob)

    response = client.get(ADMIN + page.format(pk=config.pk))

    assert response.status_code == 403


@pytest.mark.parametrize("page", ["", "add/", "{pk}/change/", "{pk}/history/", "{pk}/delete/"])
def test_a_center_user_reaches_every_admin_page_of_the_settings(
    client: Client, carol, page: str, django_capture_on_commit_callbacks
):
    config = set_age_line(carol, 85, django_capture_on_commit_callbacks)
    client.force_login(carol)

    response = client.get(ADMIN + page.format(pk=config.pk))

    assert response.status_code == 200


def test_a_club_user_cannot_post_a_setting_through_the_admin(client: Client, bob):
    client.force_login(bob)

    response = client.post(ADMIN + "add/", {"key": "advanced_age_threshold", "value": "85"})

    assert response.status_code == 403
    assert not ConfigValue.objects.exists()


def test_the_admin_list_shows_every_option_with_its_current_and_default_value(
    client: Client, carol, django_capture_on_commit_callbacks
):
    set_age_line(carol, 85, django_capture_on_commit_callbacks)
    client.force_login(carol)

    page = client.get(ADMIN).content.decode()

    for label in ["高龄年龄线", "志愿者星级时长门槛", "五必访时限（天）", "提醒提前天数"]:
        assert label in page
    assert "50、100、200、400、800" in page
    assert "已修改" in page
    assert f"{ADMIN}add/?key=reminder_lead_days" in page


def test_the_add_form_starts_from_the_default_of_the_option_it_was_opened_for(
    client: Client, carol
):
    client.force_login(carol)

    page = client.get(ADMIN + "add/?key=volunteer_star_hours").content.decode()

    assert "[50, 100, 200, 400, 800]" in page


def test_a_center_user_sets_a_value_through_the_admin(client: Client, carol):
    client.force_login(carol)

    response = client.post(
        ADMIN + "add/", {"key": "advanced_age_threshold", "value": "85", "_save": "保存"}
    )

    assert response.status_code == 302
    config = ConfigValue.objects.get()
    assert (config.value, config.updated_by) == (85, carol)
    assert config_get("advanced_age_threshold") == 85
    event = events().get()
    assert event.pgh_label == "insert"
    assert event.pgh_context.metadata["user"] == carol.pk


def test_a_center_user_changes_and_resets_a_value_through_the_admin(
    client: Client, carol, django_capture_on_commit_callbacks
):
    config = set_age_line(carol, 85, django_capture_on_commit_callbacks)
    client.force_login(carol)

    changed = client.post(f"{ADMIN}{config.pk}/change/", {"value": "90", "_save": "保存"})
    assert changed.status_code == 302
    assert ConfigValue.objects.get().value == 90

    deleted = client.post(f"{ADMIN}{config.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert config_get("advanced_age_threshold") == 80
    assert [e.pgh_label for e in events()] == ["insert", "update", "delete"]


def test_the_admin_form_explains_an_invalid_value_in_chinese(client: Client, carol):
    client.force_login(carol)

    response = client.post(
        ADMIN + "add/", {"key": "advanced_age_threshold", "value": "200", "_save": "保存"}
    )

    assert response.status_code == 200
    assert "「高龄年龄线」不能大于 120" in response.content.decode()
    assert not ConfigValue.objects.exists()
