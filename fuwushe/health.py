"""The /healthz probe: database, broker and worker state as JSON."""

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fuwushe.celery import app as celery_app

Check = dict[str, Any]


def _timed(probe: Callable[[], Check]) -> Check:
    started = time.monotonic()
    try:
        result = {"ok": True, **probe()}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the class name says which
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _broker() -> Check:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _workers() -> Check:
    # One answer is enough to call the workers alive; waiting for more costs the timeout.
    replies = celery_app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT, limit=1)
    names = sorted(name for reply in replies or [] for name in reply)
    if not names:
        raise LookupError("no worker answered")
    return {"workers": names}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _timed(_database), "broker": _timed(_broker)}
    if checks["broker"]["ok"]:
        checks["worker"] = _timed(_workers)
    else:
        # Asking workers goes through the broker; without one it would only hang.
        checks["worker"] = {"ok": False, "error": "BrokerUnavailable", "ms": 0.0}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
