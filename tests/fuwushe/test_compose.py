"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

`docker-compose config` validates and resolves the compose file (interpolation,
anchors, schema) without talking to a daemon, so these tests run anywhere the
docker-compose client is installed. They need no database.
"""

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"

TEST_SECRET_KEY = "compose-test-secret-key"
TEST_POSTGRES_PASSWORD = "compose-test-password"

# Variables the compose file interpolates, plus docker-compose's own settings:
# taken out of the environment so that the developer's shell cannot change the
# result.
INTERPOLATED = (
    "SECRET_KEY",
    "POSTGRES_PASSWORD",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
)

LONG_RUNNING = ("db", "redis", "web", "worker", "beat")


def compose_binary() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose is not installed, so docker-compose.yml cannot be validated: "
            "install it (Debian: apt-get install docker-compose)"
        )
    return binary


def compose_env(**overrides: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in INTERPOLATED and not name.startswith("COMPOSE_")
    }
    env.update(overrides)
    return env


def run_compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # An empty --env-file: a developer's .env must not supply the secrets here.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return subprocess.run(
        [
            compose_binary(),
            "--env-file",
            str(empty_env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    env = compose_env(SECRET_KEY=TEST_SECRET_KEY, POSTGRES_PASSWORD=TEST_POSTGRES_PASSWORD)
    result = run_compose_config(env, tmp_path)
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    parsed = yaml.safe_load(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def command_words(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    if isinstance(command, str):
        return shlex.split(command)
    return [str(word) for word in command]


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Map each named volume a service mounts to its path in the container."""
    found: dict[str, str] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        found[source] = target
    return found


def test_compose_file_is_valid_and_defines_every_service(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}


def test_exactly_one_service_runs_celery_beat_with_one_replica(config: dict[str, Any]) -> None:
    services = config["services"]
    beats = [
        name
        for name, service in services.items()
        if "celery" in command_words(service) and "beat" in command_words(service)
    ]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_redis_refuses_writes_when_full_instead_of_evicting_queued_tasks(
    config: dict[str, Any],
) -> None:
    words = command_words(config["services"]["redis"])
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"
    assert words[words.index("--appendonly") + 1] == "yes"


def test_named_volumes_exist_and_are_mounted_where_the_services_keep_data(
    config: dict[str, Any],
) -> None:
    assert {"pgdata", "redisdata", "media"} <= set(config["volumes"])
    services = config["services"]
    assert mounts(services["db"])["pgdata"] == "/var/lib/postgresql/data"
    assert mounts(services["redis"])["redisdata"] == "/data"
    for name in ("web", "worker"):
        assert mounts(services[name])["media"] == "/data/media", name
        assert services[name]["environment"]["MEDIA_ROOT"] == "/data/media", name


def test_every_long_running_service_has_a_healthcheck_and_restarts(
    config: dict[str, Any],
) -> None:
    for name in LONG_RUNNING:
        service = config["services"][name]
        test = service.get("healthcheck", {}).get("test")
        assert test and test != ["NONE"], f"{name} has no healthcheck"
        assert service["restart"] == "unless-stopped", name
    assert "/healthz" in " ".join(config["services"]["web"]["healthcheck"]["test"])


def test_app_services_start_after_migrations_succeed_and_redis_is_healthy(
    config: dict[str, Any],
) -> None:
    services = config["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert command_words(services["migrate"])[-2:] == ["migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_web_runs_in_production_mode_with_secrets_from_the_environment(
    config: dict[str, Any],
) -> None:
    web = config["services"]["web"]
    environment = web["environment"]
    assert environment["FUWUSHE_ENV"] == "production"
    assert environment["SECRET_KEY"] == TEST_SECRET_KEY
    assert environment["DATABASE_URL"] == (
        f"postgres://fuwushe:{TEST_POSTGRES_PASSWORD}@db:5432/fuwushe"
    )
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["ALLOWED_HOSTS"] == "localhost"
    assert command_words(web)[0] == "gunicorn"
    # Published on loopback only by default: a TLS proxy in front is the way in.
    assert web["ports"] == ["127.0.0.1:8000:8000/tcp"]


def test_compose_config_fails_without_a_secret_key(tmp_path: Path) -> None:
    result = run_compose_config(compose_env(POSTGRES_PASSWORD=TEST_POSTGRES_PASSWORD), tmp_path)
    assert result.returncode != 0, "docker-compose.yml must not have a default SECRET_KEY"
    assert "SECRET_KEY" in result.stderr


def test_compose_config_fails_without_a_database_password(tmp_path: Path) -> None:
    result = run_compose_config(compose_env(SECRET_KEY=TEST_SECRET_KEY), tmp_path)
    assert result.returncode != 0, "docker-compose.yml must not have a default POSTGRES_PASSWORD"
    assert "POSTGRES_PASSWORD" in result.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += stripped.removesuffix("\\") + " "
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments))
            pending = ""
    return instructions


def test_dockerfile_runs_as_a_non_root_user_and_bakes_in_no_secret() -> None:
    instructions = dockerfile_instructions()
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    for keyword, arguments in instructions:
        if keyword in ("ENV", "ARG"):
            assert "SECRET_KEY" not in arguments, f"{keyword} {arguments}"
    healthchecks = [arguments for keyword, arguments in instructions if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0]
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    assert "requirements-dev.txt" not in runs
    assert "collectstatic --noinput" in runs
