"""Shared fixtures. The suite runs on real PostgreSQL and real Redis, never skips them."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2
import pytest
import redis
from django.conf import settings

from fuwushe.celery import app as celery_app

if TYPE_CHECKING:
    from tests.scoping.world import World


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the whole run at once when a service is missing: a skip would hide it."""
    db = settings.DATABASES["default"]
    try:
        psycopg2.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or None,
            connect_timeout=5,
        ).close()
    except psycopg2.OperationalError as exc:
        pytest.exit(f"PostgreSQL 不可用（测试必须连接真实数据库）：{exc}", returncode=1)
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis 不可用（测试必须连接真实 Redis）：{exc}", returncode=1)


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Empty the suite's own Redis database around each test (never the developer's)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded files go to a temporary folder, never the developer's data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world() -> "World":
    """The named people and records of every scoped model (tests/scoping/world.py)."""
    from tests.scoping.world import build_world

    return build_world()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[object]:
    """A real Celery worker, in a thread, on the suite's own Redis database and queue.

    Transactional: the worker's thread has its own database connection, and Celery's
    Django fix-up closes connections when a worker starts.
    """
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        hostname="test-worker@localhost",
        shutdown_timeout=10,
    ) as worker:
        yield worker
