"""What the benchmarks share: Django on a database of their own, timing, memory, query
counts, and the report — human-readable lines, then one JSON object as the last line.

A benchmark's core takes an already configured Django (the tests run it inside the test
database); only its `main` calls `setup_django`.
"""

import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "fuwushe_bench"
# Redis database of the benchmarks: the cache of a benchmark database must not mix with
# the developer's (both use the same key prefix).
DEFAULT_REDIS_DB = 14
LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fuwushe"

T = TypeVar("T")


# --- set-up ---------------------------------------------------------------------------


def setup_django(database: str, *, redis_db: int = DEFAULT_REDIS_DB) -> None:
    """Configure Django on the benchmark database `database`, creating and migrating it.

    The server and credentials come from DATABASE_URL (or the local default); the database
    name is always the benchmark's, and the developer's own database is refused.
    """
    developer_url = os.environ.get("DATABASE_URL", LOCAL_DATABASE_URL)
    if database == _database_name(developer_url):
        raise SystemExit(f"拒绝在开发数据库“{database}”上运行基准测试，请换一个数据库名。")
    url = _with_path(developer_url, f"/{database}")
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = _with_path(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), f"/{redis_db}"
    )
    os.environ.setdefault("FUWUSHE_ENV", "development")
    # Time what production runs: no debug templates, no query log.
    os.environ["DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fuwushe.settings"
    sys.path.insert(0, str(ROOT))
    _create_database(url)

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _create_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            name = _database_name(url)
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


# --- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    samples_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95_ms(self) -> float:
        """Nearest rank: the sample that 95% of the samples do not exceed."""
        ordered = sorted(self.samples_ms)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def time_in_turn(
    calls: dict[str, Callable[[], object]], *, repeat: int, warmup: int = 2
) -> dict[str, Timing]:
    """Time each call `repeat` times after `warmup` untimed rounds (caches, connections).

    The calls take turns, round after round, so that a change in the machine's load (other
    work on a shared machine) slows them all alike and their ratios stay fair.
    """
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(repeat):
        for key, call in calls.items():
            started = time.perf_counter()
            call()
            samples[key].append((time.perf_counter() - started) * 1000)
    return {key: Timing(values) for key, values in samples.items()}


@dataclass
class QueryCount:
    count: int = 0


@contextmanager
def query_counter() -> Iterator[QueryCount]:
    """Count the SQL statements run on the default database inside the block (with no
    log kept: Django's query log stops at 9,000 entries)."""
    from django.db import connection

    counted = QueryCount()

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        counted.count += 1
        return execute(*args)

    with connection.execute_wrapper(count):
        yield counted


def peak_memory_mb(call: Callable[[], T]) -> tuple[T, float]:
    """The call's result and the peak of Python memory allocated during it, in MB."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    try:
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, (peak - baseline) / 2**20


def peak_rss_mb() -> float:
    """The process's resident-set high-water mark (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- reporting --------------------------------------------------------------------------


def say(out: TextIO, line: str) -> None:
    out.write(line + "\n")


def print_figures(figures: dict[str, Any], out: TextIO | None = None) -> None:
    """The last line of every benchmark: one JSON object that scripts can read."""
    stream = out or sys.stdout
    stream.write(json.dumps(figures, ensure_ascii=False) + "\n")
    stream.flush()


def rounded(value: float, digits: int = 1) -> float:
    return round(value, digits)
