"""Helpers for tests that run Django in a separate process with its own environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "FUWUSHE_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-for-tests-" + "x7Qp2Lm9" * 4,
    "ALLOWED_HOSTS": "fuwushe.example.cn",
    "DEBUG": "",
}


def django_env(**overrides: str | None) -> dict[str, str]:
    """The current environment with overrides; None removes a variable."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def get_in_subprocess(
    path: str, env: dict[str, str], secure: bool = False, host: str = "testserver"
) -> dict[str, object]:
    """GET `path` with Django's test client in a fresh process; return status, headers, body."""
    script = f"""
import json, django
django.setup()
from django.test import Client
response = Client().get({path!r}, secure={secure!r}, HTTP_HOST={host!r})
print(json.dumps({{"status": response.status_code,
                   "location": response.headers.get("Location"),
                   "body": response.content.decode()}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "fuwushe.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
