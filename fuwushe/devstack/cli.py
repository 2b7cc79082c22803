"""The two commands, `run` and `test`, as `python -m fuwushe.devstack` takes them."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from fuwushe.devstack.common import ROOT, StackError, default_data_dir, say
from fuwushe.devstack.run import run
from fuwushe.devstack.services import child_env, start_services

# pytest-xdist workers at most: CI has two cores. Each worker has its own test database
# (pytest-django) and Redis database (counting down from TEST_REDIS_DB, fuwushe/settings.py).
TEST_WORKERS = 2


def parallel_args() -> list[str]:
    """pytest's options for a worker per core, at most TEST_WORKERS; a later `-n 0` wins.

    Whole files go to one worker: some share a running stack or a parsed workbook per module.
    """
    workers = min(TEST_WORKERS, os.cpu_count() or 1)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


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
            ("pytest", [sys.executable, "-m", "pytest", *parallel_args(), *pytest_args]),
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
    except KeyboardInterrupt:
        # Ctrl-C while the servers were starting; whatever had started is stopped.
        say("已中止。")
        return 130
