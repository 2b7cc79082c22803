import os

import pytest
from django.conf import settings

from fuwushe.celery import app as celery_app
from fuwushe.settings import celery_broker_url, redis_url_for_db
from tests.helpers import PRODUCTION_ENV, django_env, get_in_subprocess, run_manage


def production_env(**overrides: str | None) -> dict[str, str]:
    services = {"DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
    return django_env(FUWUSHE_TESTING=None, **{**services, **PRODUCTION_ENV, **overrides})


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env=production_env(SECRET_KEY=None))

    assert result.returncode != 0
    assert "生产模式必须设置 SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = run_manage("check", env=production_env(DEBUG="true"))

    assert result.returncode != 0
    assert "生产模式不能开启 DEBUG" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage("check", env=production_env(ALLOWED_HOSTS=None))

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_is_the_default_mode():
    result = run_manage("check", env=django_env(FUWUSHE_ENV=None, SECRET_KEY=None))

    assert result.returncode != 0
    assert "生产模式必须设置 SECRET_KEY" in result.stderr


def test_a_malformed_boolean_is_refused_by_name():
    result = run_manage("check", env=django_env(DEBUG="maybe"))

    assert result.returncode != 0
    assert "环境变量 DEBUG 应为 true/false" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_redirects_to_https_but_not_the_health_probe():
    env = production_env()

    admin = get_in_subprocess("/admin/login/", env, host="fuwushe.example.cn")
    health = get_in_subprocess("/healthz", env, host="fuwushe.example.cn")

    assert admin["status"] == 301
    assert admin["location"] == "https://fuwushe.example.cn/admin/login/"
    assert health["status"] in (200, 503)


def test_the_suite_keeps_to_its_own_redis_database_and_queue():
    # Serially on TEST_REDIS_DB; under pytest-xdist gw0 on it, gw1 on the one below, ...
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    db = int(os.environ.get("TEST_REDIS_DB", "15")) - int(worker.removeprefix("gw") or 0)
    ours = redis_url_for_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), db)
    queue = f"fuwushe-test-{worker}" if worker else "fuwushe-test"

    assert settings.TESTING is True
    assert ours == settings.REDIS_URL
    assert celery_app.conf.task_default_queue == queue
    assert celery_app.conf.broker_url == celery_broker_url(settings.REDIS_URL)


def test_each_xdist_worker_gets_its_own_redis_database_and_queue():
    script = (
        "from django.conf import settings;"
        "print(settings.REDIS_URL, settings.CELERY_TASK_DEFAULT_QUEUE)"
    )
    seen = {}
    for worker in ("", "gw0", "gw1"):
        env = django_env(
            REDIS_URL="redis://127.0.0.1:6379/0", TEST_REDIS_DB="15", PYTEST_XDIST_WORKER=worker
        )
        result = run_manage("shell", "-c", script, env=env)
        assert result.returncode == 0, result.stderr
        seen[worker] = result.stdout.splitlines()[-1].split()

    assert seen == {
        "": ["redis://127.0.0.1:6379/15", "fuwushe-test"],
        "gw0": ["redis://127.0.0.1:6379/15", "fuwushe-test-gw0"],
        "gw1": ["redis://127.0.0.1:6379/14", "fuwushe-test-gw1"],
    }


def test_a_worker_that_would_reach_below_redis_database_1_is_refused():
    env = django_env(TEST_REDIS_DB="1", PYTEST_XDIST_WORKER="gw1")

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "TEST_REDIS_DB 太小" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/15"),
        ("redis://:secret@redis:6379", "redis://:secret@redis:6379/15"),
        ("unix:///srv/redis.sock?db=0", "unix:///srv/redis.sock?db=15"),
    ],
)
def test_redis_url_for_db_replaces_only_the_database_number(url: str, expected: str):
    assert redis_url_for_db(url, 15) == expected


def test_celery_gets_kombus_spelling_of_a_unix_socket():
    assert (
        celery_broker_url("unix:///srv/redis.sock?db=3")
        == "redis+socket:///srv/redis.sock?virtual_host=3"
    )
    assert celery_broker_url("redis://redis:6379/0") == "redis://redis:6379/0"


def test_the_interface_speaks_chinese_in_shanghai_time():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_every_model_change_has_its_migration():
    result = run_manage("makemigrations", "--check", "--dry-run", env=django_env())

    assert result.returncode == 0, result.stdout + result.stderr


def test_manage_py_names_a_settings_error_instead_of_a_django_traceback():
    result = run_manage(
        "makemigrations", "--check", env=django_env(FUWUSHE_ENV=None, SECRET_KEY=None)
    )

    assert result.returncode == 1
    assert "配置错误：生产模式必须设置 SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
