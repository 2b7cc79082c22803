"""The test command and the suite fail, never skip, when a service is missing."""

import subprocess
import sys

from fuwushe.devstack import _libpq_dsn
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


def test_the_suite_fails_rather_than_skips_when_redis_is_missing():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/fuwushe/test_settings.py",
            "-q",
            "-p",
            "no:cacheprovider",
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

    assert _libpq_dsn(url) == "dbname=fuwushe user=postgres host=/srv/Data/pg"
    assert _libpq_dsn("postgres://u@db:5432/x") == "postgres://u@db:5432/x"
