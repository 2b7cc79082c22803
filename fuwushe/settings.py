"""Settings for fuwushe, all read from the environment (README: "配置")."""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 应为 true/false，实际为 {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应为整数，实际为 {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def redis_url_for_db(url: str, db: int) -> str:
    """Return the Redis URL pointing at database number `db`."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = parse_qs(parts.query)
        query["db"] = [str(db)]
        # urlunsplit would drop the empty host and its "//".
        return f"unix://{parts.path}?{urlencode(query, doseq=True)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def celery_broker_url(redis_url: str) -> str:
    """Translate a redis-py URL into the spelling kombu expects for unix sockets."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


# --- Mode -------------------------------------------------------------------
# Production is the default so that a forgotten variable fails closed; bin/run
# and bin/test set FUWUSHE_ENV=development.
ENVIRONMENT = envstr("FUWUSHE_ENV", "production")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured("FUWUSHE_ENV 只能是 development 或 production")
PRODUCTION = ENVIRONMENT == "production"
TESTING = envbool("FUWUSHE_TESTING", False)

DEBUG = envbool("DEBUG", not PRODUCTION)
SECRET_KEY = envstr("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if TESTING:
    ALLOWED_HOSTS.append("testserver")

if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("生产模式必须设置 SECRET_KEY 环境变量")
    if DEBUG:
        raise ImproperlyConfigured("生产模式不能开启 DEBUG")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("生产模式必须设置 ALLOWED_HOSTS 环境变量（逗号分隔的域名）")
    for required in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(required):
            raise ImproperlyConfigured(f"生产模式必须设置 {required} 环境变量")
elif not SECRET_KEY:
    SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105

CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# --- Applications -------------------------------------------------------------
INSTALLED_APPS = [
    # Unfold's apps come before django.contrib.admin so their templates win.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "pgtrigger",
    "pghistory",
    "fuwushe",
    "fuwushe.org",
    "fuwushe.audit",
    "fuwushe.files",
    "fuwushe.config",
    "fuwushe.imports",
    "members",
    "volunteers",
    "visits",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and JSON compressed (a change list page is ~440 KB of HTML); below WhiteNoise,
    # which serves its own compressed static files. Django pads the gzip header against
    # BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "fuwushe.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "fuwushe.org.middleware.PasswordChangeRequiredMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fuwushe.urls"
WSGI_APPLICATION = "fuwushe.wsgi.application"
AUTH_USER_MODEL = "org.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"
# Where a sign-in lands when its ?next= is missing or points off the site.
LOGIN_REDIRECT_URL = "admin:index"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fuwushe")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL 必须指向 PostgreSQL")

# Tests keep to their own Redis database and queue, so that a worker left
# running against the development database can never consume their tasks.
# Under pytest-xdist each worker (gw0, gw1, ...) counts down from TEST_REDIS_DB and
# has its own queue, so that one worker's flush never empties another's database.
REDIS_URL = envstr("REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_WORKER = envstr("PYTEST_XDIST_WORKER")  # "gw0", "gw1", ... under pytest-xdist
if TESTING:
    TEST_REDIS_DB = envint("TEST_REDIS_DB", 15) - int(TEST_WORKER.removeprefix("gw") or 0)
    if TEST_REDIS_DB < 1:
        raise ImproperlyConfigured(
            f"TEST_REDIS_DB 太小：测试进程 {TEST_WORKER} 的 Redis 数据库号将是 {TEST_REDIS_DB}"
        )
    REDIS_URL = redis_url_for_db(REDIS_URL, TEST_REDIS_DB)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "fuwushe-test" if TESTING else "fuwushe",
        # A hung or unreachable Redis must cost a request a second, not redis-py's 5 s per
        # call: readers of the cache fall back to the database (fuwushe/config/selectors.py).
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
    }
}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_QUEUE", "fuwushe")
if TESTING:
    CELERY_TASK_DEFAULT_QUEUE = f"fuwushe-test-{TEST_WORKER}" if TEST_WORKER else "fuwushe-test"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
HEALTH_WORKER_TIMEOUT = float(envstr("HEALTH_WORKER_TIMEOUT", "1.0"))

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# The admin theme ships no Chinese: its strings are translated here.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves what collectstatic gathered; development serves from the apps.
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles"))) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded files are private (ID cards, photos, kept import files): there is no
# MEDIA_URL; they are only ever served through scoped views.
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
# Container health checks call /healthz over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
# The network's hosts are intranet names that can never be on the browsers' HSTS
# preload list, so the warning that asks for preloading does not apply.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

if TESTING:
    # Hashing cost is for attackers, not for the test suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fuwushe.org.services.RevokeApiTokensOnPasswordChange"},
]

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fuwushe.api_auth.SessionAuthentication",
        "fuwushe.api_auth.TokenAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "fuwushe.api_errors.JSONParser",
        "fuwushe.api_errors.FormParser",
        "fuwushe.api_errors.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "fuwushe.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token_address": "10/min", "token_username": "10/min"},
    # Throttles count per client address: behind the proxy that is X-Forwarded-For's
    # last entry, never a value the client chose itself.
    "NUM_PROXIES": 1 if SECURE_PROXY_SSL_HEADER else 0,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "党员服务社管理系统 API",
    "DESCRIPTION": (
        "老年服务管理中心党员服务社网络的数据接口。"
        "所有数据按用户所在层级（中心、服务部、服务社）限定范围。"
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Served from the sidecar package: the intranet has no route to a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status": name each enum after its model, not its field.
    "ENUM_NAME_OVERRIDES": {
        "ClubStatusEnum": "fuwushe.org.models.Club.Status",
        "MemberStatusEnum": "members.models.Member.Status",
        "MemberTransferStatusEnum": "members.models.MemberTransfer.Status",
    },
}

# --- Admin --------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "党员服务社管理系统",
    "SITE_HEADER": "党员服务社",
    "SITE_SUBHEADER": "老年服务管理中心",
    "SITE_SYMBOL": "volunteer_activism",
    "SHOW_HISTORY": True,
    "ENVIRONMENT": "fuwushe.admin_site.environment_label",
    "STYLES": ["fuwushe.admin_site.stylesheet"],
}
IMPORT_EXPORT_USE_TRANSACTIONS = True

# --- Audit --------------------------------------------------------------------
# Database triggers (fuwushe.audit.track) record every insert, update and delete of
# a tracked model, bulk_create and queryset.update() included; the middleware (and
# fuwushe.audit.acting_as outside requests) attaches who did it and where.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PGHISTORY_ADMIN_MODEL = "pghistory.Events"

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

# --- Private files ------------------------------------------------------------
# The largest photo, attachment or import file accepted (fuwushe.files), in megabytes.
PRIVATE_FILE_MAX_BYTES = envint("PRIVATE_FILE_MAX_MB", 20) * 1024 * 1024
# An imported ledger is kept as a private file: one limit for both.
FUWUSHE_IMPORT_MAX_BYTES = PRIVATE_FILE_MAX_BYTES
# Memory a workbook's parse may add, in a child process (fuwushe.imports.limits), in MB.
FUWUSHE_IMPORT_MEMORY_MB = envint("FUWUSHE_IMPORT_MEMORY_MB", 512)
