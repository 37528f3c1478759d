"""Settings of the benchmark's throw-away database (also read by daemon processes).

BENCH_DB: sqlite or postgres; BENCH_DB_NAME: file stem or database name;
BENCH_AUTO_FIELD: the id field (the original 0.9.4.1 uses AutoField).
"""

import os
from pathlib import Path

VAR = Path(__file__).resolve().parent.parent / "var"
DB = os.environ.get("BENCH_DB", "sqlite")
NAME = os.environ.get("BENCH_DB_NAME", "atm_bench")

if DB == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR / f"{NAME}.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": NAME,
            "USER": os.environ.get("ATM_PG_USER", "postgres"),
            "HOST": os.environ.get("ATM_PG_HOST", "127.0.0.1"),
        }
    }

SECRET_KEY = "bench-only"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "automations", "benchapp"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = os.environ.get("BENCH_AUTO_FIELD", "django.db.models.BigAutoField")
LOGGING_CONFIG = None
ATM_WAKE_ADDRESS = os.environ.get("ATM_WAKE_ADDRESS", str(VAR / f"bench-wake-{NAME}.sock"))
