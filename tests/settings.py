"""Settings for the test suite: ATM_TEST_DB=sqlite (default) or postgres."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DB = os.environ.get("ATM_TEST_DB", "sqlite")

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Europe/Berlin"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "automations",
    "tests.testapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tests" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

ROOT_URLCONF = "tests.urls"
LOGIN_URL = "/accounts/login/"
STATIC_URL = "/static/"
LANGUAGE_CODE = "en"

# Subprocess tests point ATM_TEST_DB_NAME at the test database the parent created.
_db_name = os.environ.get("ATM_TEST_DB_NAME")
# Each test run gets databases of its own, so that two runs on one machine never meet.
_run = os.environ.get("ATM_TEST_RUN_ID", str(os.getpid()))

if DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _db_name or "automations",
            "USER": os.environ.get("ATM_PG_USER", "postgres"),
            "HOST": os.environ.get("ATM_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("ATM_PG_PORT", "5432"),
            "TEST": {"NAME": f"test_automations_{_run}"},
        }
    }
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _db_name or str(BASE_DIR / "var" / "tests.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            # A file, not memory: tests that start other processes share it.
            "TEST": {"NAME": str(BASE_DIR / "var" / f"test_automations_{_run}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"automations": {"handlers": ["null"], "level": "INFO", "propagate": True}},
}

# The daemon: tests start real daemon processes with these (overridable) values.
ATM_DAEMON_RESYNC = float(os.environ.get("ATM_DAEMON_RESYNC", "60"))
ATM_WAKE_ADDRESS = os.environ.get("ATM_WAKE_ADDRESS", str(BASE_DIR / "var" / f"wake-{_run}.sock"))
