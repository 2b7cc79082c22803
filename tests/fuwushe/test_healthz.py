import json
import time

import pytest
from django.test import Client

from tests.helpers import django_env, get_in_subprocess

pytestmark = pytest.mark.django_db


def test_it_reports_ok_when_database_broker_and_worker_answer(client: Client, celery_worker):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
    }
    assert body["checks"]["worker"]["workers"] == ["test-worker@localhost"]


def test_it_answers_503_when_no_worker_listens(client: Client):
    response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["broker"]["ok"]
    assert checks["worker"] == {"ok": False, "error": "LookupError", "ms": checks["worker"]["ms"]}


def test_it_answers_503_promptly_when_the_broker_is_down(client: Client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 5
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["broker"]["ok"] is False
    assert checks["worker"]["error"] == "BrokerUnavailable"


def test_it_answers_503_when_the_database_is_down():
    env = django_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/fuwushe")

    result = get_in_subprocess("/healthz", env)

    assert result["status"] == 503
    checks = json.loads(str(result["body"]))["checks"]
    assert checks["database"]["ok"] is False
    assert checks["broker"]["ok"] is True


def test_it_needs_no_login_and_is_never_cached(client: Client):
    response = client.get("/healthz")

    assert response.status_code in (200, 503)
    assert "no-cache" in response.headers["Cache-Control"]


def test_it_only_answers_get(client: Client):
    assert client.post("/healthz").status_code == 405
