from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from fuwushe import seeding
from fuwushe.org.seeding import CHANGED_PASSWORD, DEMO_PASSWORD
from fuwushe.seeding import SCALES, SeedContext

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_center_administrator_who_can_sign_in_without_being_a_superuser():
    output = seed()

    user = get_user_model().objects.get(username="center_admin")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(DEMO_PASSWORD)
    assert f"用户名 center_admin  密码 {DEMO_PASSWORD}" in output


def test_it_creates_a_superuser_named_admin_who_can_sign_in():
    output = seed()

    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(DEMO_PASSWORD)
    assert f"系统超级管理员  用户名 admin  密码 {DEMO_PASSWORD}" in output


def test_running_it_twice_changes_nothing():
    seed()
    before = list(get_user_model().objects.values_list("username", "password", "is_superuser"))

    seed()

    after = list(get_user_model().objects.values_list("username", "password", "is_superuser"))
    assert after == before


def test_it_keeps_a_changed_demo_password_and_says_it_is_no_longer_the_demo_one():
    seed()
    user = get_user_model().objects.get(username="center_admin")
    user.set_password("something-else-entirely")
    user.save()

    output = seed()

    user.refresh_from_db()
    assert user.check_password("something-else-entirely")
    assert f"用户名 center_admin  密码 {CHANGED_PASSWORD}" in output
    assert f"用户名 dept_admin  密码 {DEMO_PASSWORD}" in output


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="生产模式下不生成演示数据"):
        seed()
    assert not get_user_model().objects.exists()


def test_org_only_runs_only_the_organisation_seeders(monkeypatch):
    calls: list[str] = []

    def records(context: SeedContext) -> str:
        calls.append("records")
        return "ok"

    monkeypatch.setitem(seeding._registry, "records", seeding.Seeder("records", 99, False, records))

    seed("--org-only")
    assert calls == []
    seed()
    assert calls == ["records"]


def test_each_seeder_draws_from_its_own_repeatable_random_stream():
    first = SeedContext(scale=SCALES["small"], seed=7)
    second = SeedContext(scale=SCALES["small"], seed=7)

    assert first.rng("members").random() == second.rng("members").random()
    assert first.rng("members").random() != first.rng("visits").random()
    assert SeedContext(scale=SCALES["small"], seed=8).rng("members").random() != (
        first.rng("members").random()
    )


def test_scales_grow_from_small_to_the_real_network_to_ten_times_it():
    assert SCALES["full"].count(39_000) == 39_000
    assert SCALES["stress"].count(39_000) == 390_000
    assert 0 < SCALES["small"].count(39_000) < 39_000
