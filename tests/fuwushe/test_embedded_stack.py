"""The run command's embedded path, booted for real in a temporary directory."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import pytest

from fuwushe import devstack
from tests.helpers import ROOT, django_env

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for_health(url: str, process: subprocess.Popen[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run command exited before it was healthy"
        try:
            status, body = get(url)
            if status == 200:
                return json.loads(body)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} was not healthy within {timeout} s")


def test_the_run_command_boots_embedded_services_and_stops_them_on_ctrl_c(tmp_path: Path):
    data_dir = tmp_path / "data"
    port = free_port()
    env = django_env(
        DATABASE_URL=None, REDIS_URL=None, FUWUSHE_TESTING=None, FUWUSHE_ENV="development"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "fuwushe.devstack", "--data-dir", str(data_dir), "run",
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for_health(f"{base}/healthz", process, timeout=240)
        login_status, login_page = get(f"{base}/admin/login/")
        token_status, token = get(
            f"{base}/api/auth/token/", b"username=center_admin&password=fuwushe-demo-2026"
        )
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=90)

    assert health["status"] == "ok", health
    assert health["checks"]["worker"]["workers"]
    assert login_status == 200 and "党员服务社管理系统" in login_page.decode()
    assert token_status == 200 and json.loads(token)["token"]
    assert "用户名 center_admin" in output
    assert process.returncode == 0, output
    assert "已停止" in output
    assert "停止服务时出错" not in output, output
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), output
    assert not (data_dir / "redis" / "redis.sock").exists(), output


def test_a_stale_postmaster_pid_left_by_a_kill_does_not_block_the_next_start(tmp_path: Path):
    url, stop = devstack.start_embedded_postgres(tmp_path)
    assert stop is not None
    pid_file = tmp_path / "postgres" / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    stop()
    # A killed server leaves its file; its PID now belongs to some other process.
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")

    url, stop = devstack.start_embedded_postgres(tmp_path)
    try:
        devstack.ensure_database(url)
        connection = psycopg2.connect(devstack._libpq_dsn(url))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_setting('server_version_num')")
            row = cursor.fetchone()
            assert row is not None
            database, version = row
        connection.close()
    finally:
        assert stop is not None
        stop()

    assert database == devstack.DATABASE_NAME
    assert int(version) >= 180000
