"""Settings for fenxiao, read from environment variables.

Production is the default: ``DEBUG`` is off and ``SECRET_KEY`` must be given, otherwise start-up
stops with a clear error.  ``make run`` and ``make test`` set development values explicitly.

Environment variables:

- ``DEBUG``          "1"/"true" to enable debug mode (default off).
- ``SECRET_KEY``     required when DEBUG is off.
- ``DATABASE_URL``   e.g. ``postgres://user:pass@host:5432/db``; default ``sqlite:///<repo>/db.sqlite3``.
- ``ALLOWED_HOSTS``  comma-separated; default ``localhost,127.0.0.1`` (plus ``*`` in debug).
- ``MEDIA_ROOT``     where uploads go; default ``<repo>/media``.
- ``PLATFORM_FEE_BPS`` default platform fee in basis points (200 = 2%).
- ``PLATFORM_NAME``, ``PLATFORM_LOGO`` the platform's name (default "fenxiao 分销") and logo.
- ``KUAIDI100_CUSTOMER``, ``KUAIDI100_KEY``, ``KUAIDI100_SALT``, ``KUAIDI100_CALLBACK_URL`` parcel
  tracking through Kuaidi100 (docs/shipping.md); off when no key is set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random string "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1") + (["*"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "fenxiao.core.task_apps.TasksDatabaseConfig",  # django_tasks_db, named for the admin
    "fenxiao.core",
    "fenxiao.accounts",
    "fenxiao.catalog",
    "fenxiao.ledger",
    "fenxiao.payments",
    "fenxiao.trade",
    "fenxiao.distribution",
    "fenxiao.aftersales",
    "fenxiao.crm",
    "fenxiao.analytics",
    "fenxiao.marketing",
    "fenxiao.openapi",
    "fenxiao.web",
]

MIDDLEWARE = [
    "fenxiao.core.observability.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fenxiao.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fenxiao.core.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fenxiao.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fenxiao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fenxiao.web.context_processors.platform",
            ],
        },
    },
]

WSGI_APPLICATION = "fenxiao.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of deadlocking on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not :memory:) so tests with several threads share one database; one per process
    # so parallel runs never collide.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.path.join(
        tempfile.gettempdir(), f"fenxiao-test-{os.getpid()}.sqlite3"
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A streaming-replication standby for the data cube's reads (docs/deployment.md, fenxiao/core/replica.py).
if os.environ.get("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["REPLICA_DATABASE_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["fenxiao.core.replica.ReplicaRouter"]

# Background tasks (Django's Tasks framework; docs/deployment.md): TASK_BACKEND=database (the
# default: the task table in DATABASE_URL, SQLite or PostgreSQL) or rq (RQ on Redis at REDIS_URL).
# The queues, highest priority first: payments and notifications ahead of analytics and exports.
TASK_QUEUES = ["payments", "notifications", "default", "analytics", "exports"]
TASK_BACKEND = os.environ.get("TASK_BACKEND", "database")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
if TASK_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {queue: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for queue in TASK_QUEUES}
elif TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
else:
    raise ImproperlyConfigured("TASK_BACKEND is database or rq")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["fenxiao.accounts.backends.PhoneOrEmailBackend"]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Argon2id first (Django's strongest); the others only verify older hashes, which are upgraded at sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Behind a reverse proxy: how many proxies append to X-Forwarded-For (sign-in throttling by address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Each app keeps its own translations in <app>/locale/ (found automatically).  Django's own apps
# come first in INSTALLED_APPS, so their catalogues would win for a msgid both use ("Filter" would
# read 过滤器); fenxiao/locale/ (first in precedence) holds our wording of those few.
LOCALE_PATHS = [BASE_DIR / "fenxiao" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or not env_bool("STATIC_MANIFEST", True)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: 5 MiB per image, and never more than 25 megapixels (decompression-bomb guard).
MAX_IMAGE_UPLOAD_BYTES = int(os.environ.get("MAX_IMAGE_UPLOAD_BYTES", str(5 * 1024 * 1024)))
MAX_IMAGE_PIXELS = 25_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

PLATFORM_FEE_BPS = int(os.environ.get("PLATFORM_FEE_BPS", "200"))

# The platform's name and logo (header, titles, favicon); see docs/shipping.md for tracking.
PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "fenxiao 分销")
PLATFORM_LOGO = os.environ.get("PLATFORM_LOGO", "fenxiao/logo.svg")  # a static path or an https URL

# Parcel tracking (trade.tracking): Kuaidi100's query/subscribe protocol; off when no key is set.
KUAIDI100_URL = os.environ.get("KUAIDI100_URL", "https://poll.kuaidi100.com")
KUAIDI100_CUSTOMER = os.environ.get("KUAIDI100_CUSTOMER", "")
KUAIDI100_KEY = os.environ.get("KUAIDI100_KEY", "")
KUAIDI100_SALT = os.environ.get("KUAIDI100_SALT", "")
KUAIDI100_CALLBACK_URL = os.environ.get("KUAIDI100_CALLBACK_URL", "")
TRACKING_PROVIDER = os.environ.get("TRACKING_PROVIDER", "kuaidi100" if KUAIDI100_KEY else "")

# Hot public reads (the product page's catalogue data and offers) are cached per process for
# this many seconds (0 turns it off); edits through the ORM invalidate at once in the process
# that made them, other processes within this bound (docs/deployment.md, "Caching").
HOT_CACHE_SECONDS = int(os.environ.get("HOT_CACHE_SECONDS", "10"))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fenxiao",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "5000"))},
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to standard output; LOG_FORMAT=json gives one JSON object per line (production).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "fenxiao.core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per request; the development server already prints its own.
        "fenxiao.request": {"level": os.environ.get("REQUEST_LOG_LEVEL", "WARNING" if DEBUG else "INFO")},
        # The Tasks framework logs two lines per task (started, finished); failures still show.
        "django_tasks": {"level": os.environ.get("TASK_LOG_LEVEL", "WARNING")},
        "django_tasks_db": {"level": os.environ.get("TASK_LOG_LEVEL", "WARNING")},
    },
}
# GET /metrics answers loopback clients, or this bearer token (Prometheus' authorization).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# SMS verification codes (fenxiao.accounts.sms): "console" (the default, for development and tests:
# the code is logged and printed, never sent) or "tencent" (Tencent Cloud SMS, docs/sms.md).
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console")
TENCENT_SMS = {
    "SECRET_ID": os.environ.get("TENCENT_SMS_SECRET_ID", ""),
    "SECRET_KEY": os.environ.get("TENCENT_SMS_SECRET_KEY", ""),
    "REGION": os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou"),
    "SDK_APP_ID": os.environ.get("TENCENT_SMS_SDK_APP_ID", ""),
    "SIGN_NAME": os.environ.get("TENCENT_SMS_SIGN_NAME", ""),
    "TEMPLATE_ID": os.environ.get("TENCENT_SMS_TEMPLATE_ID", ""),
    # Only for tests against a local server speaking API 3.0; empty means sms.tencentcloudapi.com.
    "ENDPOINT": os.environ.get("TENCENT_SMS_ENDPOINT", ""),
    "PROTOCOL": os.environ.get("TENCENT_SMS_PROTOCOL", "https"),
}
