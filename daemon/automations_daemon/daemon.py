"""The daemon: sleep until the earliest wake, run what is due, repeat.

APScheduler's ``BlockingScheduler`` holds three jobs, all in memory:

* ``wake``: a one-off job at the earliest ``wake_at`` in the database. It runs a
  pass (the same ``run_due`` as ``automation_step``) and moves itself to the next
  earliest ``wake_at``. Announcements of earlier waits move it forward.
* ``resync``: every ``ATM_DAEMON_RESYNC`` seconds, reads the earliest ``wake_at`` (in
  case an announcement was missed) and writes the heartbeat.
* ``watchdog``: under systemd with ``WatchdogSec=``, pings while passes are healthy.

The database is the only source of truth: the daemon remembers one timestamp.
Signal handlers only set the stop event; the pass in flight finishes its chain.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.db import connections, router
from django.db.backends.signals import connection_created
from django.db.models import Min

from automations import clock
from automations import settings as app_settings
from automations.models import AutomationModel, AutomationTaskModel, DaemonHeartbeat
from automations.runtime.announce import quiet
from automations.runtime.engine import DATABASE_TROUBLE
from automations.runtime.sweep import run_due
from automations.scheduling import earliest

from . import __version__, systemd
from .logs import get_logger
from .wake import listener_for

log = get_logger("automations.daemon")

RETRY = (1, 2, 5, 10, 30, 60)  # seconds between attempts while the database is away


class StatementCounter:
    """Counts the SQL statements of the daemon's own connections (reported on resync)."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        connection_created.connect(self._watch, weak=False, dispatch_uid="automations-daemon")
        for connection in connections.all():
            self._watch(connection=connection)

    def _watch(self, sender=None, connection=None, **kwargs) -> None:
        if self._wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(self._wrapper)

    def _wrapper(self, execute, sql, params, many, context):
        with self.lock:
            self.count += 1
        return execute(sql, params, many, context)

    def take(self) -> int:
        """Statements since the last call."""
        with self.lock:
            count, self.count = self.count, 0
        return count


def keep_connections_healthy() -> None:
    """Drop this thread's connections that failed; keep the healthy ones open.

    Unlike ``close_old_connections()`` this ignores ``CONN_MAX_AGE``: that setting is
    about web requests, and at its default of 0 the daemon would reconnect for every
    pass (milliseconds of wake latency, for nothing).
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or not connection.errors_occurred:
            continue
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def next_wake(using: str) -> datetime | None:
    """The earliest ``wake_at`` of any open task: one indexed query."""
    return AutomationTaskModel.objects.using(using).aggregate(first=Min("wake_at"))["first"]


class Daemon:
    def __init__(self, workers: int = 1, resync: float | None = None):
        self.using = router.db_for_write(AutomationModel)
        vendor = connections[self.using].vendor
        if vendor == "sqlite" and workers > 1:
            log.warning("one worker on SQLite", requested=workers, reason="SQLite has one writer")
            workers = 1
        self.workers = workers
        self.resync_seconds = resync or app_settings.daemon_resync()
        self.stop_event = threading.Event()
        self.scheduled: datetime | None = None  # when the wake job will fire
        self.requested: datetime | None = None  # asked for while a pass runs
        self.in_pass = False
        self.schedule_lock = threading.Lock()
        self.idle = threading.Event()  # no pass running
        self.idle.set()
        self.pass_started: float | None = None
        self.database_failures = 0
        self.heartbeat_name = f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"
        self.started = clock.now()
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(3)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.listener = listener_for(self.using, self.announced)
        self.statements = StatementCounter()

    # Life cycle -------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until SIGTERM / SIGINT; returns the exit status."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            return self._serve()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _serve(self) -> int:
        vendor = connections[self.using].vendor
        log.info(
            "start",
            version=__version__,
            pid=os.getpid(),
            database=vendor,
            workers=self.workers,
            resync_s=self.resync_seconds,
            wake_channel=self.listener.kind if self.listener else None,
        )
        systemd.notify("STATUS=Starting")
        if self.listener is not None:
            self.listener.start()
        self.scheduler.add_job(
            self.resync, IntervalTrigger(seconds=self.resync_seconds), id="resync"
        )
        watchdog = systemd.watchdog_seconds()
        if watchdog:
            self.scheduler.add_job(self.watchdog, IntervalTrigger(seconds=watchdog), id="watchdog")
        self.schedule(clock.now())  # catch up with whatever is due already
        self.write_heartbeat(first=True)
        if self.listener is not None:
            self.listener.listening.wait(5)
        systemd.notify("READY=1", "STATUS=Serving")
        log.info("ready", next_wake=None if self.scheduled is None else self.scheduled.isoformat())
        threading.Thread(target=self._stop_scheduler, name="stopper", daemon=True).start()
        self.scheduler.start()  # blocks until the stopper shuts it down
        return self._shutdown()

    def _on_signal(self, signum, frame) -> None:
        # Only flag the stop; the stopper thread and the pass in flight do the rest.
        self.stop_event.set()

    def _stop_scheduler(self) -> None:
        self.stop_event.wait()
        log.info("stop requested")
        self.scheduler.shutdown(wait=False)

    def _shutdown(self) -> int:
        systemd.notify("STOPPING=1", "STATUS=Stopping: finishing the step in flight")
        log.info("stopping", pass_in_flight=not self.idle.is_set())
        self.idle.wait()  # the pass in flight finishes its chain, then returns
        if self.listener is not None:
            self.listener.stop()
            self.listener.join(5)
        # If the database is away, the row simply looks stale soon enough.
        with contextlib.suppress(*DATABASE_TROUBLE):
            DaemonHeartbeat.objects.using(self.using).filter(name=self.heartbeat_name).delete()
        connections.close_all()
        log.info("stop")
        return 0

    # Jobs -------------------------------------------------------------------------------

    def wake(self) -> None:
        """A pass: run everything due, then sleep until the next earliest wake."""
        if self.stop_event.is_set():
            return
        with self.schedule_lock:
            fired, self.scheduled, self.requested = self.scheduled, None, None
            self.in_pass = True
        self.idle.clear()
        self.pass_started = time.monotonic()
        upcoming = None
        try:
            keep_connections_healthy()
            log.info("wake", scheduled=None if fired is None else fired.isoformat())
            with quiet():
                report = run_due(now=clock.now(), workers=self.workers, stop=self.stop_event)
            if report.tasks_seen:
                log.info(
                    "pass",
                    steps=report.steps,
                    outcomes=dict(report.outcomes),
                    unimportable=report.unimportable,
                    duration_ms=round((time.monotonic() - self.pass_started) * 1000, 3),
                )
            upcoming = next_wake(self.using)
            self._database_back()
        except DATABASE_TROUBLE as exc:
            upcoming = self._database_error(exc, during="pass")
        finally:
            with self.schedule_lock:
                self.in_pass = False
                requested, self.requested = self.requested, None
            self.pass_started = None
            keep_connections_healthy()
            self.idle.set()
        self.schedule(earliest(upcoming, requested))

    def resync(self) -> None:
        """Re-read the earliest wake (an announcement may have been missed); heartbeat."""
        try:
            keep_connections_healthy()
            earliest = next_wake(self.using)
            self.write_heartbeat()
            self._database_back()
        except DATABASE_TROUBLE as exc:
            self.schedule(self._database_error(exc, during="resync"))
            return
        finally:
            keep_connections_healthy()
        log.info(
            "resync",
            next_wake=None if earliest is None else earliest.isoformat(),
            statements=self.statements.take(),
        )
        self.schedule(earliest)

    def watchdog(self) -> None:
        """Ping systemd unless a pass has been stuck for longer than the watchdog allows."""
        started = self.pass_started
        limit = (systemd.watchdog_seconds() or 0) * 2
        if started is not None and time.monotonic() - started > limit:
            log.error("pass stuck, not pinging the watchdog", running_s=time.monotonic() - started)
            return
        systemd.notify("WATCHDOG=1")

    # Scheduling -----------------------------------------------------------------------

    def schedule(self, moment: datetime | None) -> None:
        """Fire the wake job at ``moment`` if that is earlier than what is planned."""
        if moment is None or self.stop_event.is_set():
            return
        with self.schedule_lock:
            if self.in_pass:  # the pass reschedules when it ends
                self.requested = earliest(self.requested, moment)
                return
            if self.scheduled is not None and self.scheduled <= moment:
                return
            self.scheduled = moment
            self.scheduler.add_job(
                self.wake, DateTrigger(run_date=moment), id="wake", replace_existing=True
            )
        systemd.notify(f"STATUS=Serving; next wake at {moment.isoformat()}")

    def announced(self, moment: datetime) -> None:
        """A wait until ``moment`` was committed somewhere (called by the listener)."""
        log.debug("wake announced", wake_at=moment.isoformat())
        self.schedule(moment)

    # Heartbeat and database trouble -----------------------------------------------------

    def write_heartbeat(self, first: bool = False) -> None:
        now = clock.now()
        try:
            if first:  # daemons that died without stopping leave rows; a day later they go
                DaemonHeartbeat.objects.using(self.using).filter(
                    seen__lt=now - timedelta(days=1)
                ).delete()
            updated = (
                DaemonHeartbeat.objects.using(self.using)
                .filter(name=self.heartbeat_name)
                .update(seen=now)
            )
            if not updated:
                DaemonHeartbeat.objects.using(self.using).create(
                    name=self.heartbeat_name,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    version=__version__,
                    started=self.started,
                    seen=now,
                )
        except DATABASE_TROUBLE as exc:
            if first:
                self.schedule(self._database_error(exc, during="start"))
            else:
                raise

    def _database_error(self, exc: BaseException, during: str) -> datetime:
        """Log it, drop broken connections; returns when to try again (with back-off)."""
        delay = RETRY[min(self.database_failures, len(RETRY) - 1)]
        self.database_failures += 1
        log.error(
            "database error",
            during=during,
            error=str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc),
            attempt=self.database_failures,
            retry_in_s=delay,
        )
        systemd.notify(f"STATUS=Database unreachable, retrying in {delay}s")
        for connection in connections.all():
            connection.close_if_unusable_or_obsolete()
        return clock.now() + timedelta(seconds=delay)

    def _database_back(self) -> None:
        if self.database_failures:
            log.info("reconnect", channel="database", after_attempts=self.database_failures)
            self.database_failures = 0
            systemd.notify("STATUS=Serving")


def run_once(workers: int = 1) -> int:
    """Run what is due now and return (the same pass as the daemon's)."""
    log.info("once", version=__version__, pid=os.getpid())
    started = time.monotonic()
    try:
        with quiet():
            report = run_due(now=clock.now(), workers=workers)
    except DATABASE_TROUBLE as exc:
        log.error("database error", during="once", error=str(exc).strip())
        return 1
    log.info(
        "pass",
        steps=report.steps,
        outcomes=dict(report.outcomes),
        unimportable=report.unimportable,
        duration_ms=round((time.monotonic() - started) * 1000, 3),
    )
    earliest = next_wake(router.db_for_write(AutomationModel))
    log.info("next wake", next_wake=None if earliest is None else earliest.isoformat())
    return 0
