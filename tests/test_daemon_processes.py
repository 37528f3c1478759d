"""Real automations-daemon processes against the real database.

PostgreSQL: several daemons side by side, SIGKILL and restart, the server restarted
under a running daemon, a wait announced by another process, SIGTERM, systemd's
notify protocol. SQLite: the same with one daemon, where it applies.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections

from automations.models import AutomationModel, AutomationTaskModel
from tests.concurrency_automations import Counted, WaitsTwoSeconds, start_due_instances
from tests.daemon_process import DaemonProcess
from tests.testapp.models import Ledger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MANY = 10_000


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connections.close_all()  # a fresh view of what other processes committed
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def unfinished(ids) -> int:
    return AutomationModel.objects.filter(pk__in=ids, finished=False).count()


def assert_every_step_exactly_once(ids) -> None:
    per_step = Counter(
        Ledger.objects.filter(automation_id__in=ids).values_list("automation_id", "node")
    )
    assert len(per_step) == 3 * len(ids)
    assert set(per_step.values()) == {1}
    rows = AutomationModel.objects.filter(pk__in=ids)
    assert all(row.finished and not row.failed for row in rows)
    assert {row.data["count"] for row in rows} == {3}


def test_daemons_side_by_side_run_every_step_exactly_once():
    postgres = connection.vendor == "postgresql"
    ids = start_due_instances(Counted, MANY)
    daemons = [DaemonProcess("run") for _ in range(3 if postgres else 1)]
    try:
        for daemon in daemons:
            daemon.wait_for("ready")
        wait_until(lambda: unfinished(ids) == 0, 600, "all instances to finish")
    finally:
        codes = [daemon.terminate() for daemon in daemons]
    assert codes == [0] * len(daemons)
    assert_every_step_exactly_once(ids)
    steps = [sum(event["steps"] for event in daemon.named("pass")) for daemon in daemons]
    assert sum(steps) == 4 * MANY  # three steps and an End each, counted once
    if postgres:
        assert all(n > 0 for n in steps), steps  # the work was shared


def test_a_daemon_killed_mid_work_and_restarted_finishes_everything_once():
    ids = start_due_instances(Counted, MANY)
    with DaemonProcess("run") as first:
        first.wait_for("ready")
        wait_until(lambda: Ledger.objects.count() >= 3000, 300, "some progress")
        assert first.kill() == -signal.SIGKILL
    assert unfinished(ids) > 0
    with DaemonProcess("run") as second:
        second.wait_for("ready")
        wait_until(lambda: unfinished(ids) == 0, 600, "all instances to finish")
        assert second.terminate() == 0
    assert_every_step_exactly_once(ids)


def test_sigterm_finishes_the_step_in_flight_and_exits_0():
    ids = start_due_instances(Counted, 3000)
    with DaemonProcess("run") as daemon:
        daemon.wait_for("ready")
        wait_until(lambda: Ledger.objects.count() >= 300, 120, "some progress")
        assert daemon.terminate(timeout=30) == 0
        assert daemon.wait_for("stop", timeout=1)
    # Nothing half done: every ledger row belongs to a finished task, and vice versa.
    finished_steps = AutomationTaskModel.objects.filter(
        automation_id__in=ids, status__in=("one", "two", "three"), finished__isnull=False
    ).count()
    assert Ledger.objects.filter(automation_id__in=ids).count() == finished_steps
    assert unfinished(ids) > 0  # it really stopped before the end
    with DaemonProcess("run") as again:
        again.wait_for("ready")
        wait_until(lambda: unfinished(ids) == 0, 300, "all instances to finish")
        assert again.terminate() == 0
    assert_every_step_exactly_once(ids)


def test_a_wait_announced_by_another_process_runs_on_time_without_resync():
    with DaemonProcess("run", ATM_DAEMON_RESYNC="3600") as daemon:
        daemon.wait_for("ready")
        time.sleep(0.5)  # let the start-up pass settle: the daemon has nothing to do
        created = time.monotonic()
        automation = WaitsTwoSeconds()  # this test process plays the web request
        step = daemon.wait_for("step done", timeout=10, node="later")
        waited = time.monotonic() - created
        assert daemon.terminate() == 0
    assert 0 <= step["lag_ms"] < 250, step  # on time, never early
    assert 1.9 < waited < 3, waited
    assert step["automation_id"] == automation.id
    assert daemon.named("resync") == []  # only the announcement woke it
    assert Ledger.objects.filter(automation_id=automation.id, node="later").count() == 1


def test_systemd_hears_ready_watchdog_and_stopping_in_order(tmp_path):
    path = str(tmp_path / "notify.sock")
    messages: list[str] = []
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    done = threading.Event()

    def listen():
        while not done.is_set():
            try:
                messages.extend(sock.recv(4096).decode().splitlines())
            except TimeoutError:
                continue

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        with DaemonProcess("run", NOTIFY_SOCKET=path, WATCHDOG_USEC="400000") as daemon:
            daemon.wait_for("ready")
            deadline = time.monotonic() + 10
            while "WATCHDOG=1" not in messages and time.monotonic() < deadline:
                time.sleep(0.05)
            assert daemon.terminate() == 0
        time.sleep(0.3)
    finally:
        done.set()
        listener.join(2)
        sock.close()
    kinds = [m for m in messages if m in ("READY=1", "WATCHDOG=1", "STOPPING=1")]
    assert kinds[0] == "READY=1", messages
    assert "WATCHDOG=1" in kinds and kinds[-1] == "STOPPING=1", messages
    assert kinds.index("READY=1") < kinds.index("WATCHDOG=1") < kinds.index("STOPPING=1")
    assert any(m.startswith("STATUS=") for m in messages)


@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster")
def test_postgres_restarted_under_a_running_daemon_reconnects_and_finishes(postgres_only):
    versions = os.listdir("/etc/postgresql")
    waiting = [WaitsTwoSeconds(autorun=True).id for _ in range(20)]
    ids = start_due_instances(Counted, 500)
    with DaemonProcess("run", ATM_DAEMON_RESYNC="2") as daemon:
        daemon.wait_for("ready")
        connections.close_all()
        for version in versions:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                check=True,
                capture_output=True,
                timeout=60,
            )
        daemon.wait_for("reconnect", timeout=60)
        wait_until(lambda: unfinished(ids + waiting) == 0, 120, "all instances to finish")
        assert daemon.terminate() == 0
    assert daemon.named("database error") or daemon.named("wake channel lost")
    assert_every_step_exactly_once(ids)
    assert Ledger.objects.filter(automation_id__in=waiting, node="later").count() == 20
