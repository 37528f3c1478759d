"""``automations-daemon check``: is everything in place for the daemon to serve?"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Finding:
    ok: bool
    what: str
    fix: str = ""


def run_checks(using: str) -> list[Finding]:
    system = _system_checks()
    findings = [system]
    database = _database(using)
    findings.append(database)
    if database.ok:
        findings.append(_migrations(using))
        if system.ok:  # the wake channel depends on settings the system checks vet
            findings.append(_wake_channel(using))
    return findings


def _system_checks() -> Finding:
    from django.core import checks

    problems = [m for m in checks.run_checks(include_deployment_checks=False) if m.is_serious()]
    if problems:
        text = "; ".join(f"{m.id}: {m.msg}" for m in problems[:5])
        return Finding(
            False,
            f"Django system checks: {len(problems)} error(s): {text}",
            "Run 'manage.py check' and fix the errors it names.",
        )
    return Finding(True, "Django system checks pass")


def _database(using: str) -> Finding:
    from django.db import connections

    try:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure to connect is the finding itself
        return Finding(
            False,
            f"database {using!r} unreachable: {exc}",
            "Check DATABASES in the settings, the server, and the credentials.",
        )
    return Finding(True, f"database {using!r} reachable ({connections[using].vendor})")


def _migrations(using: str) -> Finding:
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [migration for migration, _backwards in plan if migration.app_label == "automations"]
    if pending:
        return Finding(
            False,
            f"{len(pending)} migration(s) of automations not applied",
            "Run 'manage.py migrate'.",
        )
    return Finding(True, "migrations applied")


def _wake_channel(using: str) -> Finding:
    from django.db import connections

    from automations import settings as app_settings
    from automations.runtime.announce import send_datagram

    from .wake import DatagramListener, PostgresListener

    connection = connections[using]
    probe = "2000-01-01T00:00:00+00:00"
    if connection.vendor == "postgresql":
        channel = app_settings.wake_channel()

        def notify() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [channel, probe])

        heard = _round_trip(
            lambda on_wake: PostgresListener(on_wake, connection.get_connection_params(), channel),
            notify,
        )
        if heard is None:
            return Finding(
                False, "wake channel: cannot LISTEN", "Check the database user's rights."
            )
        if not heard:
            return Finding(
                False,
                f"wake channel: NOTIFY on {channel!r} did not arrive",
                "A connection pooler in transaction mode drops LISTEN; connect the "
                "daemon to the server directly.",
            )
        return Finding(True, f"wake channel: PostgreSQL LISTEN/NOTIFY on {channel!r} works")
    address = app_settings.wake_address()
    if not DatagramListener(lambda moment: None, address).bind_free():
        return Finding(True, f"wake channel: {address[1]} is taken, presumably by a running daemon")
    heard = _round_trip(
        lambda on_wake: DatagramListener(on_wake, address), lambda: send_datagram(address, probe)
    )
    if not heard:
        return Finding(
            False,
            f"wake channel: datagram to {address[1]} did not arrive",
            "Check ATM_WAKE_ADDRESS and the firewall.",
        )
    return Finding(True, f"wake channel: datagrams to {address[1]} arrive")


def _round_trip(make_listener, send, timeout: float = 5) -> bool | None:
    """Start a listener, send one announcement; whether it arrived (None: no listener)."""
    received = threading.Event()
    listener = make_listener(lambda moment: received.set())
    listener.start()
    try:
        if not listener.listening.wait(timeout):
            return None
        send()
        return received.wait(timeout)
    finally:
        listener.stop()
        listener.join(3)


def describe(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        mark = "ok " if finding.ok else "FAIL"
        lines.append(f"[{mark}] {finding.what}")
        if not finding.ok and finding.fix:
            lines.append(f"       fix: {finding.fix}")
    return "\n".join(lines)
