"""Shared fixtures. The suite runs on real PostgreSQL and real Redis, never skips them."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2
import pytest
import redis
from django.conf import settings
from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

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


class DjangoOrderFileScheduling(LoadFileScheduling):
    """pytest-xdist's file scheduling, in pytest-django's order.

    A transactional test ends by emptying every table, the rows of data migrations too
    (standard talent tags, area codes), so pytest-django runs those tests after the others.
    xdist would send a whole file, its transactional tests with it, ahead of other files,
    and sorts files by size. Here a work unit is a run of one file in the workers' order,
    and units go out in that order: no worker runs a test after a flush that it would not
    have run after it serially.
    """

    def schedule(self) -> None:
        if self.collection is None and self.registered_collections:
            self.units: dict[str, str] = {}
            previous, runs = "", dict[str, int]()
            for nodeid in next(iter(self.registered_collections.values())):
                path = super()._split_scope(nodeid)
                if path != previous:
                    runs[path] = runs.get(path, -1) + 1
                    previous = path
                self.units[nodeid] = f"{path}#{runs[path]}"
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        return self.units[nodeid]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    if config.getvalue("dist") not in ("load", "loadfile"):
        return None
    # Sorting the units by size would undo pytest-django's order again.
    config.option.loadscopereorder = False
    return DjangoOrderFileScheduling(config, log)


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
