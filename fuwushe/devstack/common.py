"""What every part of the dev stack shares: paths, messages, errors."""

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

ROOT = Path(__file__).resolve().parents[2]
# Set in the environment of every process the run command starts, so that the next run
# recognises the ones a crashed run left behind (the environment survives pid reuse).
RUN_MARKER = "FUWUSHE_RUN_DATA_DIR"
LOG_TAIL_LINES = 20


def say(message: str) -> None:
    # After the terminal closed, stdout is gone: stopping must go on regardless.
    with contextlib.suppress(OSError, ValueError):
        print(f"[fuwushe] {message}", flush=True)


class StackError(RuntimeError):
    """A service could not be started or reached; the message says which and why."""


def failed_start(name: str, log: Path, error: Exception | None = None) -> str:
    """What to say when a server does not start: which, why, and only its log's tail."""
    try:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])
    except FileNotFoundError:
        tail = "（没有日志）"
    why = f"（{type(error).__name__}）" if error else ""
    return f"内置 {name} 未能启动{why}。日志 {log} 的最后 {LOG_TAIL_LINES} 行：\n{tail}"


def live_process(pid: int | None) -> "psutil.Process | None":
    """The process of that pid, unless it is gone or a zombie no one reaped."""
    import psutil

    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process
    except psutil.NoSuchProcess:
        return None


def stop_processes(processes: "list[psutil.Process]", timeout: float) -> None:
    """SIGTERM, then SIGKILL what still runs after `timeout` seconds.

    A zombie counts as gone: orphans are reaped by PID 1 only now and then, and
    psutil.wait_procs would wait for that.
    """
    import psutil

    def running() -> "list[psutil.Process]":
        alive = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
        return alive

    for signal_them, wait in (("terminate", timeout), ("kill", 5.0)):
        for process in running():
            with contextlib.suppress(psutil.NoSuchProcess):
                getattr(process, signal_them)()
        deadline = time.monotonic() + wait
        while running() and time.monotonic() < deadline:
            time.sleep(0.05)


def default_data_dir() -> Path:
    return Path(os.environ.get("FUWUSHE_DATA_DIR", ROOT / ".data")).resolve()
