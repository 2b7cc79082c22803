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
    assert settings.TESTING is True
    assert settings.REDIS_URL.endswith("/15") or "db=15" in settings.REDIS_URL
    assert celery_app.conf.task_default_queue == "fuwushe-test"
    assert celery_app.conf.broker_url == celery_broker_url(settings.REDIS_URL)


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
