"""`bin/run`: migrate, seed, and keep the web server, one worker and one beat running."""

import argparse
import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from fuwushe.devstack.common import ROOT, RUN_MARKER, StackError, say, stop_processes
from fuwushe.devstack.services import Services, child_env, start_services


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


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that has the kernel send the child SIGTERM when the run command dies,
    however it dies (kill -9, a closed terminal, the OOM killer). Linux only."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died between fork and prctl: then no signal would come.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def stop_leftovers(data_dir: Path) -> int:
    """Stop the processes a previous run on this data directory left (found by RUN_MARKER
    in their environment); return how many. Call only while holding the run lock."""
    import psutil

    leftovers = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if (
                process.pid != os.getpid()
                and process.status() != psutil.STATUS_ZOMBIE
                and process.environ().get(RUN_MARKER) == str(data_dir)
            ):
                leftovers.append(process)
    stop_processes(leftovers, timeout=15)
    return len(leftovers)


@dataclass
class Child:
    """A process the run command supervises, restarted when it exits unexpectedly."""

    name: str
    command: list[str]
    env: dict[str, str]
    process: "subprocess.Popen[bytes] | None" = None
    exits: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


# A child that exits this often within a minute is not restarted again.
MAX_RESTARTS = 3


def _terminate(children: list[Child], timeout: float = 15) -> None:
    processes = [child.process for child in children if child.process is not None]
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


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Stopping(Exception):
    """Ctrl-C, SIGTERM or SIGHUP arrived: stop everything, quietly."""


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    with _single_run(data_dir):
        if stopped := stop_leftovers(data_dir):
            say(f"已停止上次运行遗留的 {stopped} 个进程")
        (data_dir / "celerybeat.pid").unlink(missing_ok=True)
        if not _port_free(args.host, args.port):
            raise StackError(
                f"端口 {args.port} 已被占用，请先关闭占用它的程序，或用 --port 换一个端口。"
            )
        services = start_services(data_dir)
        stop = threading.Event()
        step: list[subprocess.Popen[str]] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()
            # A terminal's Ctrl-C and hang-up reach the running step too; a SIGTERM only us.
            if signum == signal.SIGTERM:
                for process in step:
                    with contextlib.suppress(ProcessLookupError):
                        process.send_signal(signal.SIGINT)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, on_signal)
        children: list[Child] = []
        try:
            env = child_env(services, **{RUN_MARKER: str(data_dir)})
            return _run_stack(args, data_dir, services, env, children, stop, step)
        except Stopping:
            return 0
        finally:
            say("正在停止……")
            _terminate(children)
            services.stop()
            say("已停止。")


def _run_stack(
    args: argparse.Namespace,
    data_dir: Path,
    services: Services,
    env: dict[str, str],
    children: list[Child],
    stop: threading.Event,
    step: list["subprocess.Popen[str]"],
) -> int:
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]

    def run_step(command: list[str], *, capture: bool = False) -> str:
        """Run a command to its end (as its own process, dying with us); Stopping if a
        signal came meanwhile."""
        with subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE if capture else None, text=True,
            preexec_fn=_die_with_parent(),
        ) as process:  # fmt: skip
            step.append(process)
            output, _ = process.communicate()
            step.clear()
        if stop.is_set():
            raise Stopping
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, command, output)
        return output or ""

    say("迁移数据库")
    run_step([*manage, "migrate", "--noinput"])
    credentials = ""
    if args.seed_scale != "none":
        say("生成演示数据")
        seeded = run_step([*manage, "seed_demo", "--scale", args.seed_scale], capture=True)
        print(seeded, end="", flush=True)
        credentials = seeded.split("演示账号：", 1)[-1]
    address = f"{args.host}:{args.port}"
    children.extend(
        [
            Child("网站", [*manage, "runserver", address, "--noreload"], env),
            Child("Celery worker", [python, "-m", "celery", "-A", "fuwushe", "worker",
                  "-l", "INFO", "--concurrency", "2", "-n", f"fuwushe@{socket.gethostname()}"],
                  env),
            Child("Celery beat", [python, "-m", "celery", "-A", "fuwushe", "beat", "-l", "INFO",
                  "-s", str(data_dir / "celerybeat-schedule"),
                  "--pidfile", str(data_dir / "celerybeat.pid")], env),
        ]
    )  # fmt: skip
    for child in children:
        child.start()
    base = f"http://{address}"
    say(f"等待系统就绪（{base}/healthz）……")
    deadline, announced, tick = time.monotonic() + 90, False, 0
    while not stop.wait(0.5):
        tick += 1
        if not _supervise(children, stop):
            return 1
        services.restart_dead()
        if tick % 10 == 0:
            services.watch_configured()
        if not announced and _healthy(f"{base}/healthz"):
            _banner(base, credentials)
            announced = True
        elif not announced and time.monotonic() > deadline:
            say(f"系统未能在 90 秒内就绪，请查看上面的日志和 {base}/healthz 的各项状态。")
            deadline = float("inf")
    return 0


def _supervise(children: list[Child], stop: threading.Event) -> bool:
    """Restart a child that exited; False when one keeps exiting (then the run stops)."""
    for child in children:
        code = child.exited()
        if code is None or stop.is_set():
            continue
        now = time.monotonic()
        child.exits = [t for t in child.exits if now - t < 60] + [now]
        if len(child.exits) > MAX_RESTARTS:
            say(f"{child.name}在一分钟内退出了 {len(child.exits)} 次，正在停止其余进程。")
            return False
        say(f"{child.name}意外退出（退出码 {code}），正在重新启动。")
        child.start()
    return True


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
