"""API tokens: none while the password is temporary, and token requests are throttled."""

import logging
import socket
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from fuwushe.api_auth import TEMPORARY_PASSWORD
from fuwushe.org.services import staff_account_create
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
WRONG = "无法使用提供的认证信息登录。"


def ask(username: str, password: str, address: str = "10.0.0.1", **extra: Any) -> Any:
    return Client(REMOTE_ADDR=address, **extra).post(
        TOKEN, {"username": username, "password": password}
    )


def test_no_token_is_issued_while_the_password_is_temporary(world: World):
    user, password = staff_account_create(
        actor=world.people["carol"],
        username="newcomer",
        last_name="新",
        first_name="同事",
        role="part_time",
        club=world.club_a,
    )

    response = ask("newcomer", password)

    assert response.status_code == 403
    assert response.json() == {"detail": TEMPORARY_PASSWORD}
    assert not Token.objects.filter(user=user).exists()


def test_a_token_stops_working_while_the_password_is_temporary(world: World):
    token = Token.objects.create(user=world.people["alice"])
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/me/").status_code == 200

    type(world.people["alice"]).objects.filter(username="alice").update(must_change_password=True)
    response = client.get("/api/me/")

    assert response.status_code == 403
    assert response.json() == {"detail": TEMPORARY_PASSWORD}


def test_a_session_with_a_temporary_password_gets_the_reason_not_a_redirect(world: World):
    alice = world.people["alice"]
    assert alice is not None
    alice.must_change_password = True
    alice.save(update_fields=["must_change_password"])
    client = Client()
    client.force_login(alice)

    response = client.get("/api/members/")

    assert response.status_code == 403
    assert response.json() == {"detail": TEMPORARY_PASSWORD}


def test_a_chosen_password_gets_a_token(world: World):
    response = ask("alice", PASSWORD)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=world.people["alice"]).key}


def test_the_token_endpoint_reads_json_with_the_projects_parser(world: World):
    response = Client().post(
        TOKEN, {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200


def _throttled(response: Any) -> bool:
    if response.status_code != 429:
        return False
    assert response.json()["detail"].startswith("请求已被限流。")
    return True


def test_the_eleventh_request_in_a_minute_from_one_address_is_throttled(world: World):
    answers = [ask(f"guess{i}", "x", address="10.0.0.7") for i in range(11)]

    assert [a.status_code for a in answers[:10]] == [400] * 10
    assert _throttled(answers[10])
    assert ask("alice", PASSWORD, address="10.0.0.8").status_code == 200


def test_the_eleventh_request_in_a_minute_for_one_username_is_throttled(world: World):
    answers = [ask("alice", "wrong", address=f"10.0.1.{i}") for i in range(11)]

    assert [a.json()["non_field_errors"] for a in answers[:10]] == [[WRONG]] * 10
    assert _throttled(answers[10])
    # Even the right password waits: the throttle counts requests, not failures.
    assert _throttled(ask("alice", PASSWORD, address="10.0.2.1"))
    assert ask("bob", PASSWORD, address="10.0.2.1").status_code == 200


def test_a_forwarded_for_header_chosen_by_the_client_does_not_reset_the_count(world: World):
    answers = [
        ask(f"guess{i}", "x", address="10.0.0.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        for i in range(11)
    ]

    assert _throttled(answers[10])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_with_the_cache_down_tokens_are_still_issued_and_the_log_says_so(
    world: World, settings: Any, caplog: pytest.LogCaptureFixture
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }

    with caplog.at_level(logging.WARNING, logger="fuwushe.api"):
        answers = [ask("alice", PASSWORD) for _ in range(12)]

    assert [a.status_code for a in answers] == [200] * 12
    assert "缓存不可用，令牌接口暂不限速" in caplog.messages
