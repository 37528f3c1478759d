"""Shared by the benchmark scripts: Django set-up for a throw-away database, counting."""

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VAR = ROOT / "var"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def prepare_database(db: str, name: str, auto_field: str | None = None) -> dict[str, str]:
    """Create database ``name`` afresh; returns the environment that selects it."""
    VAR.mkdir(exist_ok=True)
    if db == "sqlite":
        path = VAR / f"{name}.sqlite3"
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        host = os.environ.get("ATM_PG_HOST", "127.0.0.1")
        user = os.environ.get("ATM_PG_USER", "postgres")
        with psycopg.connect(host=host, user=user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {"BENCH_DB": db, "BENCH_DB_NAME": name, "DJANGO_SETTINGS_MODULE": "bench_settings"}
    if auto_field:
        env["BENCH_AUTO_FIELD"] = auto_field
    return env


def setup_django(db: str, name: str, auto_field: str | None = None) -> dict[str, str]:
    """Django on a fresh, migrated database ``name``; returns the environment for workers."""
    import django

    env = prepare_database(db, name, auto_field)
    os.environ.update(env)
    sys.path.insert(0, str(HERE))  # bench_settings and benchapp
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


class Counter:
    """Counts SQL statements (without transaction control) and commits on ``default``."""

    def __init__(self):
        self.statements = 0
        self.savepoints = 0
        self.commits = 0

    @contextmanager
    def counting(self):
        from django.db import connection

        def wrapper(execute, sql, params, many, context):
            head = sql.lstrip().upper()
            if head.startswith(("SAVEPOINT", "RELEASE")):
                self.savepoints += 1
            elif not head.startswith(TRANSACTION_CONTROL):
                self.statements += 1
            return execute(sql, params, many, context)

        original_commit = connection.commit

        def commit():
            self.commits += 1
            return original_commit()

        connection.commit = commit
        try:
            with connection.execute_wrapper(wrapper):
                yield self
        finally:
            del connection.commit


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def median(values):
    return statistics.median(values)
