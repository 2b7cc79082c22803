"""The dev stack's pieces: the test command fails, never skips, when a service is missing;
what a crashed run leaves behind is recognised and cleared, and nothing else."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from fuwushe.devstack.common import RUN_MARKER
from fuwushe.devstack.postgres import clear_stale_socket_locks, libpq_dsn
from fuwushe.devstack.run import stop_leftovers
from tests.helpers import ROOT, django_env

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def test_the_test_command_fails_at_once_when_redis_is_missing():
    result = subprocess.run(
        [sys.executable, "-m", "fuwushe.devstack", "test"],
        env=django_env(CI="true", REDIS_URL=CLOSED_REDIS),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "无法连接 REDIS_URL 指定的 Redis" in result.stdout


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_suite_fails_rather_than_skips_when_redis_is_missing(workers: str):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/fuwushe/test_settings.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            workers,
        ],
        env=django_env(CI="true", REDIS_URL=CLOSED_REDIS),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Redis 不可用" in result.stdout + result.stderr
    assert "skipped" not in result.stdout


def test_a_socket_directory_url_becomes_a_libpq_host():
    url = "postgres://postgres@%2Fsrv%2FData%2Fpg/fuwushe"

    assert libpq_dsn(url) == "dbname=fuwushe user=postgres host=/srv/Data/pg"
    assert libpq_dsn("postgres://u@db:5432/x") == "postgres://u@db:5432/x"


def a_zombie() -> int:
    """The pid of a process that has exited and was not reaped (as under a lazy PID 1)."""
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 5
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return child.pid


def a_postmaster() -> int:
    """The machine's own PostgreSQL server (only looked at)."""
    servers = [p.pid for p in psutil.process_iter(["name", "ppid"]) if p.info["name"] == "postgres"]
    return min(servers, key=lambda pid: psutil.Process(pid).create_time())


def test_a_socket_lock_whose_pid_is_dead_or_a_zombie_is_removed_and_a_live_servers_kept(
    tmp_path: Path,
):
    zombie, other, live = (tmp_path / name for name in ("zombie", "other", "live"))
    for directory, pid in ((zombie, a_zombie()), (other, os.getpid()), (live, a_postmaster())):
        directory.mkdir()
        (directory / ".s.PGSQL.5432.lock").write_text(f"{pid}\n/data\n1764600000\n5432\n")

    removed = clear_stale_socket_locks({zombie, other, live})

    assert sorted(removed) == sorted([zombie / ".s.PGSQL.5432.lock", other / ".s.PGSQL.5432.lock"])
    assert (live / ".s.PGSQL.5432.lock").exists()


def test_only_the_leftovers_of_a_run_on_the_same_data_directory_are_stopped(tmp_path: Path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    left = [
        subprocess.Popen(["sleep", "60"], env={**os.environ, RUN_MARKER: str(path)})
        for path in (ours, theirs)
    ]
    try:
        stopped = stop_leftovers(ours)

        assert stopped == 1
        assert left[0].wait(5) == -signal.SIGTERM
        assert left[1].poll() is None
    finally:
        for process in left:
            process.kill()
            process.wait()
