"""The run command's embedded path, booted for real in a temporary directory.

One data directory serves the module: the first boot creates it (initdb, migrate, seed);
the tests after it crash the stack in one way or another and boot it again. A test that
needs the stack running starts it if the one before left it stopped.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg2
import pytest

from fuwushe.devstack.common import RUN_MARKER, StackError
from fuwushe.devstack.postgres import (
    DATABASE_NAME,
    ensure_database,
    libpq_dsn,
    postgres_running,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from fuwushe.devstack.redis_server import redis_running, redis_socket_path, stop_embedded_redis
from fuwushe.devstack.run import stop_leftovers
from tests.helpers import ROOT, django_env

pytestmark = pytest.mark.slow

RUN_ENV = django_env(
    DATABASE_URL=None, REDIS_URL=None, FUWUSHE_TESTING=None, FUWUSHE_ENV="development"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(
    url: str, data: bytes | None = None, method: str | None = None, token: str = ""
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if method == "PATCH" else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running; a zombie (nothing reaps orphans here) has died."""
    running = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass
    return running


class Stack:
    """The run command on one data directory and port, started again as tests need."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.root / f"run-{self.runs}.log"

    def start(self, seed_scale: str = "none") -> None:
        self.runs += 1
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fuwushe.devstack", "--data-dir", str(self.data_dir),
                 "run", "--port", str(self.port), "--seed-scale", seed_scale],
                cwd=ROOT, env=RUN_ENV, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_for_output(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.running(), f"the run command exited:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s"
            time.sleep(0.2)

    def health(self) -> tuple[int, dict[str, Any]]:
        status, body = request(f"{self.base}/healthz")
        return status, json.loads(body)

    def wait_healthy(self, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.running(), f"the run command exited:\n{self.output()[-3000:]}"
            try:
                status, body = self.health()
                if status == 200:
                    return body
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"not healthy within {timeout} s:\n{self.output()[-3000:]}")

    def children(self) -> list[psutil.Process]:
        """The processes the run command started (they carry its marker)."""
        found = []
        for process in psutil.process_iter():
            try:
                if process.environ().get(RUN_MARKER) == str(self.data_dir):
                    found.append(process)
            except psutil.Error:
                pass
        return alive(found)

    def interrupt(self, timeout: float = 60) -> float:
        """Ctrl-C; return how long the run command took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout)
        return time.monotonic() - started

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop_everything(self) -> None:
        if self.running():
            self.interrupt()
        stop_leftovers(self.data_dir)
        stop_embedded_postgres(self.data_dir)
        stop_embedded_redis(self.data_dir)


def private_dir() -> Path:
    # Not under pytest's base directory: run as root, PostgreSQL runs as another user, and
    # every pytest session starting on the machine makes that directory private again.
    return Path(tempfile.mkdtemp(prefix="fuwushe-stack-"))


@pytest.fixture(scope="module")
def pg_dir() -> Iterator[Path]:
    """A data directory for the server alone (initialised by the first test using it)."""
    path = private_dir()
    yield path
    stop_embedded_postgres(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    stack = Stack(private_dir())
    yield stack
    stack.stop_everything()
    shutil.rmtree(stack.root, ignore_errors=True)


@pytest.fixture
def running(stack: Stack) -> Stack:
    if not stack.running():
        stack.start("small" if stack.runs == 0 else "none")
    stack.wait_healthy()
    return stack


def postmaster(stack: Stack) -> int:
    return int((stack.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def redis_server(stack: Stack) -> int:
    return int((stack.data_dir / "redis" / "redis.pid").read_text().strip())


def sign_in(stack: Stack) -> str:
    status, body = request(
        f"{stack.base}/api/auth/token/", b"username=center_admin&password=fuwushe-demo-2026"
    )
    assert status == 200, body
    return str(json.loads(body)["token"])


def test_the_run_command_boots_embedded_services_and_prints_the_demo_accounts(running: Stack):
    health = running.wait_healthy()
    login_status, login_page = request(f"{running.base}/admin/login/")

    assert health["status"] == "ok", health
    assert health["checks"]["worker"]["workers"]
    assert login_status == 200 and "党员服务社管理系统" in login_page.decode()
    assert sign_in(running)
    running.wait_for_output("按 Ctrl-C 停止。", timeout=10)
    assert "用户名 center_admin  密码 fuwushe-demo-2026" in running.output()


def test_with_its_redis_hung_a_member_edit_saves_and_healthz_says_503_broker(running: Stack):
    token = sign_in(running)
    _, listed = request(f"{running.base}/api/members/?page_size=1", token=token)
    member = json.loads(listed)["results"][0]["id"]
    redis_pid = redis_server(running)

    os.kill(redis_pid, signal.SIGSTOP)
    try:
        saved, body = request(
            f"{running.base}/api/members/{member}/",
            json.dumps({"former_unit": "胜利油田测井公司"}).encode(),
            method="PATCH",
            token=token,
        )
        _, read = request(f"{running.base}/api/members/{member}/", token=token)
        status, health = running.health()
    finally:
        # Killed while stopped: the run command is to notice and start a new one.
        os.kill(redis_pid, signal.SIGKILL)

    assert saved == 200, body
    assert json.loads(read)["former_unit"] == "胜利油田测井公司"
    assert status == 503
    assert health["checks"]["broker"] == {
        "ok": False,
        "error": "TimeoutError",
        "ms": health["checks"]["broker"]["ms"],
    }
    assert health["checks"]["database"]["ok"] is True
    running.wait_for_output("内置 Redis 已重新启动。", timeout=15)
    assert redis_server(running) != redis_pid
    assert running.wait_healthy(timeout=60)["checks"]["broker"]["ok"] is True


def test_after_a_kill_9_of_the_run_command_its_children_die_and_the_next_run_takes_over(
    running: Stack,
):
    children = running.children()
    assert len(children) >= 3  # web, worker (and its pool), beat

    running.kill()

    deadline = time.monotonic() + 20
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive(children) == [], [p.cmdline() for p in alive(children)]
    # The servers daemonise: they outlive the run command until the next one takes them.
    assert postgres_running(running.data_dir) and redis_running(running.data_dir)

    running.start()
    running.wait_healthy(timeout=90)
    output = running.output()
    assert "接管上次运行后仍在运行的内置 PostgreSQL" in output
    assert "接管上次运行后仍在运行的内置 Redis" in output
    assert "端口" not in output


def test_a_restart_straight_after_postgres_and_the_run_command_were_killed_works(
    running: Stack,
):
    lock = running.data_dir / "postgres" / ".s.PGSQL.5432.lock"
    os.kill(postmaster(running), signal.SIGKILL)
    running.kill()
    assert lock.exists()

    running.start()

    running.wait_healthy(timeout=90)
    output = running.output()
    assert "已清除上次异常退出留下的 postmaster.pid" in output
    assert "已清除上次异常退出留下的 PostgreSQL 套接字锁文件" in output
    assert "Showing contents of postgres server log" not in output


def test_ctrl_c_stops_the_running_stack_and_its_servers(running: Stack):
    took = running.interrupt()

    output = running.output()
    assert running.process is not None and running.process.returncode == 0, output
    assert took < 30
    assert "已停止。" in output and "停止内置" not in output
    assert running.children() == []
    assert not (running.data_dir / "postgres" / "postmaster.pid").exists()
    assert not redis_socket_path(running.data_dir).exists()


def test_ctrl_c_while_waiting_for_healthz_stops_everything_within_seconds(stack: Stack):
    if stack.running():
        stack.interrupt()
    stack.start()
    stack.wait_for_output("等待系统就绪", timeout=60)

    took = stack.interrupt(timeout=30)

    assert took < 8, stack.output()
    assert stack.process is not None and stack.process.returncode == 0
    assert "党员服务社管理系统已启动" not in stack.output()
    assert stack.children() == []
    assert not postgres_running(stack.data_dir)
    assert not redis_running(stack.data_dir)


def test_a_stale_postmaster_pid_left_by_a_kill_does_not_block_the_next_start(pg_dir: Path):
    start_embedded_postgres(pg_dir)
    pid_file = pg_dir / "postgres" / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    stop_embedded_postgres(pg_dir)
    # A killed server leaves its file; its PID now belongs to some other process.
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")

    url = start_embedded_postgres(pg_dir)
    try:
        ensure_database(url)
        connection = psycopg2.connect(libpq_dsn(url))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_setting('server_version_num')")
            row = cursor.fetchone()
            assert row is not None
            database, version = row
        connection.close()
    finally:
        stop_embedded_postgres(pg_dir)

    assert database == DATABASE_NAME
    assert int(version) >= 180000


def test_a_server_that_cannot_start_is_named_with_only_the_tail_of_its_log(
    pg_dir: Path, capfd: pytest.CaptureFixture[str]
):
    start_embedded_postgres(pg_dir)
    stop_embedded_postgres(pg_dir)
    with open(pg_dir / "postgres" / "postgresql.auto.conf", "a") as conf:
        conf.write("shared_buffers = 'plenty'\n")

    with pytest.raises(StackError) as refused:
        start_embedded_postgres(pg_dir)

    message = str(refused.value)
    assert message.startswith("内置 PostgreSQL 未能启动")
    assert "shared_buffers" in message
    assert len(message.splitlines()) <= 21
    assert "Showing contents" not in capfd.readouterr().err
