"""The daemon's parts in-process: CLI, logs, wake announcements, systemd protocol."""

import io
import json
import logging
import socket
import threading
from datetime import UTC

import psycopg
import pytest
from click.testing import CliRunner
from django.db import connection, transaction

from automations import flow
from automations.models import AutomationModel, AutomationTaskModel
from automations.runtime.announce import announce, quiet
from automations_daemon import __version__, systemd
from automations_daemon.cli import main
from automations_daemon.logs import configure
from tests.concurrency_automations import Counted, WaitsTwoSeconds, start_due_instances


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    for name in ("django", "apscheduler", "psycopg", "automations"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("automations").setLevel(logging.INFO)


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_commands_need_settings(monkeypatch, restore_logging):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    result = CliRunner().invoke(main, ["status"], env={"DJANGO_SETTINGS_MODULE": ""})
    assert result.exit_code == 2 and "--settings" in result.output


@pytest.mark.django_db(transaction=True)
def test_once_runs_what_is_due_and_status_tells_what_waits(restore_logging):
    ids = start_due_instances(Counted, 5)
    WaitsTwoSeconds()
    runner = CliRunner()
    result = runner.invoke(main, ["once", "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert AutomationModel.objects.filter(pk__in=ids, finished=True).count() == 5
    result = runner.invoke(main, ["status", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output[result.output.index("{") :])
    assert state["open"] == 1 and state["due"] == 0
    assert state["next_wakes"][0]["automation"] == "WaitsTwoSeconds"
    assert state["next_wakes"][0]["waiting_for"] == "time"
    text = runner.invoke(main, ["status"]).output
    assert "open tasks:          1" in text and "daemons alive:       0" in text


@pytest.mark.django_db(transaction=True)
def test_check_passes_here_and_says_what_to_fix_when_not(restore_logging, settings):
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert "[ok ] wake channel" in result.output
    settings.ATM_WAKE_ADDRESS = "nowhere"
    settings.ATM_WAKE_CHANNEL = "not a channel"
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert "[FAIL] Django system checks" in result.output
    assert "automations.E003" in result.output and "fix:" in result.output


def test_json_logs_carry_the_step_fields(db, restore_logging):
    stream = io.StringIO()
    configure("json", "INFO", stream=stream)

    class Short(flow.Automation):
        start = flow.Execute()
        end = flow.End()

    automation = Short()
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    step = next(event for event in events if event["event"] == "step done")
    assert step["automation"].endswith("Short") and step["automation_id"] == automation.id
    assert step["node"] == "start" and step["outcome"] == "done" and step["ended"] is True
    assert {"task_id", "duration_ms", "lag_ms", "timestamp", "level"} <= set(step)


def test_console_logs_for_people(restore_logging):
    stream = io.StringIO()
    configure("console", "INFO", stream=stream)
    logging.getLogger("automations.test").info("hello", extra={"answer": 42})
    assert "hello" in stream.getvalue() and "answer=42" in stream.getvalue()


def listen(conninfo, channel):
    conn = psycopg.connect(**conninfo, autocommit=True)
    conn.execute(f'LISTEN "{channel}"')
    return conn


@pytest.mark.django_db(transaction=True)
def test_postgres_announcements_are_delivered_on_commit_only(postgres_only):
    from django.utils import timezone

    listener = listen(connection.get_connection_params(), "automations_wake")
    try:
        moment = timezone.now()
        with transaction.atomic():
            announce(moment, "default")
            assert list(listener.notifies(timeout=0.3)) == []  # not before the commit
        delivered = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
        assert delivered == [moment.astimezone(UTC).isoformat()]
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            announce(moment, "default")
            raise ZeroDivisionError
        assert list(listener.notifies(timeout=0.3)) == []  # rolled back: nothing
        with quiet():
            announce(moment, "default")
        assert list(listener.notifies(timeout=0.3)) == []
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_a_chain_announces_its_wait_once(postgres_only):
    listener = listen(connection.get_connection_params(), "automations_wake")
    try:
        automation = WaitsTwoSeconds()
        payloads = [n.payload for n in listener.notifies(timeout=1)]
        wait = AutomationTaskModel.objects.get(automation_id=automation.id, finished__isnull=True)
        assert payloads == [wait.wake_at.isoformat()]
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_datagram_announcements_after_commit(settings, tmp_path):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL announces with NOTIFY")
    from django.utils import timezone

    path = str(tmp_path / "wake.sock")
    settings.ATM_WAKE_ADDRESS = path
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.3)
    try:
        moment = timezone.now()
        with transaction.atomic():
            announce(moment, "default")
            with pytest.raises(TimeoutError):
                sock.recv(100)
        assert sock.recv(100).decode() == moment.astimezone(UTC).isoformat()
    finally:
        sock.close()


def test_sending_to_nobody_never_fails(settings, tmp_path):
    from automations.runtime.announce import send_datagram

    send_datagram((socket.AF_UNIX, str(tmp_path / "nobody.sock")), "x")
    send_datagram((socket.AF_INET, ("127.0.0.1", 9)), "x")


def test_systemd_notify_speaks_to_the_socket(monkeypatch, tmp_path):
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert systemd.notify("READY=1", "STATUS=Serving")
        assert sock.recv(100) == b"READY=1\nSTATUS=Serving"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert systemd.notify("READY=1") is False
    monkeypatch.setenv("WATCHDOG_USEC", "3000000")
    assert systemd.watchdog_seconds() == 1.5
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert systemd.watchdog_seconds() is None


def test_abstract_notify_sockets_are_supported(monkeypatch):
    name = f"automations-test-{threading.get_ident()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert systemd.notify("WATCHDOG=1")
        assert sock.recv(100) == b"WATCHDOG=1"


def test_a_stale_unix_wake_socket_counts_as_free(tmp_path):
    from automations_daemon.wake import DatagramListener

    path = str(tmp_path / "wake.sock")
    live = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    live.bind(path)
    assert DatagramListener(lambda moment: None, (socket.AF_UNIX, path)).bind_free() is False
    live.close()  # the file stays behind, as after a SIGKILL
    assert DatagramListener(lambda moment: None, (socket.AF_UNIX, path)).bind_free() is True


@pytest.mark.django_db
def test_a_starting_daemon_forgets_heartbeats_silent_for_a_day():
    from datetime import timedelta

    from automations import clock
    from automations.models import DaemonHeartbeat
    from automations_daemon.daemon import Daemon

    now = clock.now()
    for name, seen in (("old", now - timedelta(days=2)), ("recent", now - timedelta(hours=1))):
        DaemonHeartbeat.objects.create(
            name=name, hostname="h", pid=1, started=seen, seen=seen, version="x"
        )
    daemon = Daemon()
    daemon.write_heartbeat(first=True)
    names = set(DaemonHeartbeat.objects.values_list("name", flat=True))
    assert names == {"recent", daemon.heartbeat_name}
