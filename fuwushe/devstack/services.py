"""The database and Redis a command runs on: configured, or embedded and shared."""

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fuwushe.devstack.common import StackError, say
from fuwushe.devstack.postgres import (
    ensure_database,
    postgres_ping,
    postgres_running,
    redact,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from fuwushe.devstack.redis_server import (
    redis_ping,
    redis_running,
    start_embedded_redis,
    stop_embedded_redis,
)


@dataclass
class Embedded:
    """An embedded server: how to start it (returning its URL), see it runs, and stop it."""

    name: str
    start: Callable[[Path], str]
    running: Callable[[Path], bool]
    stop: Callable[[Path], None]


POSTGRES = Embedded("PostgreSQL", start_embedded_postgres, postgres_running, stop_embedded_postgres)
REDIS = Embedded("Redis", start_embedded_redis, redis_running, stop_embedded_redis)


class ServicesLock:
    """Who uses the embedded servers: every bin/run and bin/test holds this lock, shared.

    The kernel drops a lock with its process, however it dies, so "nobody holds it" means
    a server found running was left by a crash and is ours to take over and to stop.
    Taking and leaving go through a second, exclusive lock, one process at a time.
    """

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.users: IO[str] = open(data_dir / "services.lock", "a")  # noqa: SIM115 - held for the run

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        with open(self.data_dir / "services-start.lock", "a") as gate:
            fcntl.flock(gate, fcntl.LOCK_EX)
            yield

    def alone(self) -> bool:
        """True when no other process uses the servers (then this one holds the lock alone)."""
        try:
            fcntl.flock(self.users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def share(self) -> None:
        fcntl.flock(self.users, fcntl.LOCK_SH)

    def close(self) -> None:
        self.users.close()


@dataclass
class Services:
    database_url: str
    redis_url: str
    data_dir: Path | None = None
    embedded: list[Embedded] = field(default_factory=list)
    lock: ServicesLock | None = None
    # Configured (not embedded) services found unreachable, so each change is said once.
    unreachable: set[str] = field(default_factory=set)
    # After a failed restart, when to try again (monotonic time by server name).
    retry_at: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the embedded servers unless another bin/run or bin/test still uses them."""
        if self.lock is None or self.data_dir is None:
            return
        with self.lock.changing():
            if self.embedded and not self.lock.alone():
                names = "和".join(server.name for server in self.embedded)
                say(f"另有 bin/run 或 bin/test 在使用内置服务，{names} 继续运行。")
            else:
                for server in reversed(self.embedded):
                    try:
                        server.stop(self.data_dir)
                    except Exception as exc:  # noqa: BLE001 - report, then stop the rest
                        say(f"停止内置 {server.name} 时出错：{exc!r}")
            self.embedded.clear()
        self.lock.close()
        self.lock = None

    def restart_dead(self) -> None:
        """Start again an embedded server that exited; say plainly when that fails."""
        if self.lock is None or self.data_dir is None:
            return
        for server in self.embedded:
            if server.running(self.data_dir) or time.monotonic() < self.retry_at.get(
                server.name, 0.0
            ):
                continue
            say(f"内置 {server.name} 已退出，正在重新启动……")
            try:
                with self.lock.changing():
                    url = server.start(self.data_dir)
            except StackError as exc:
                say(f"{exc}\n内置 {server.name} 未能重新启动，其余进程继续运行，15 秒后再试。")
                self.retry_at[server.name] = time.monotonic() + 15
                continue
            if url not in (self.database_url, self.redis_url):
                say(f"内置 {server.name} 的地址变了（{url}），请重新运行 bin/run。")
            say(f"内置 {server.name} 已重新启动。")

    def watch_configured(self) -> None:
        """Say when a configured (not embedded) service stops or starts answering."""
        checks = {}
        if POSTGRES not in self.embedded:
            checks["DATABASE_URL 指定的 PostgreSQL"] = lambda: postgres_ping(self.database_url)
        if REDIS not in self.embedded:
            checks["REDIS_URL 指定的 Redis"] = lambda: redis_ping(self.redis_url)
        for name, answers in checks.items():
            up = answers()
            if not up and name not in self.unreachable:
                say(f"无法连接{name}；其余进程继续运行，它恢复后自动重连。")
                self.unreachable.add(name)
            elif up and name in self.unreachable:
                say(f"{name}已恢复。")
                self.unreachable.discard(name)


def start_services(data_dir: Path) -> Services:
    """Use DATABASE_URL / REDIS_URL when set, otherwise the embedded servers."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    services = Services(database_url=database_url, redis_url=redis_url, data_dir=data_dir)
    try:
        if database_url:
            say(f"使用 DATABASE_URL 指定的 PostgreSQL：{redact(database_url)}")
        if redis_url:
            say(f"使用 REDIS_URL 指定的 Redis：{redact(redis_url)}")
            if not redis_ping(redis_url):
                raise StackError(f"无法连接 REDIS_URL 指定的 Redis：{redact(redis_url)}")
        if not (database_url and redis_url):
            services.lock = ServicesLock(data_dir)
            with services.lock.changing():
                alone = services.lock.alone()
                if not database_url:
                    services.database_url = _start(POSTGRES, data_dir, services, alone)
                if not redis_url:
                    services.redis_url = _start(REDIS, data_dir, services, alone)
                services.lock.share()
        ensure_database(services.database_url)
    except BaseException:
        services.stop()
        raise
    return services


def _start(server: Embedded, data_dir: Path, services: Services, alone: bool) -> str:
    """Start an embedded server, or reuse the running one; the last user out stops it."""
    if server.running(data_dir):
        if alone:
            say(f"接管上次运行后仍在运行的内置 {server.name}")
    else:
        say(f"启动内置 {server.name}（数据目录 {data_dir}）")
    url = server.start(data_dir)
    services.embedded.append(server)
    return url


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
