"""Run what is due: the shared code of ``automation_step``, the daemon and tests."""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections
from django.db.models import Q

from .. import clock
from .. import settings as app_settings
from ..exceptions import AutomationClassNotFound
from ..models import AutomationTaskModel
from ..registry import load
from . import engine
from .transactions import database_alias

logger = logging.getLogger("automations.sweep")


@dataclass
class SweepReport:
    """What one sweep did."""

    now: datetime
    tasks_seen: int = 0
    outcomes: Counter = field(default_factory=Counter)
    unimportable: int = 0

    @property
    def steps(self) -> int:
        return sum(n for kind, n in self.outcomes.items() if kind != engine.NOT_OPEN)

    def __str__(self) -> str:
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.outcomes.items()))
        steps = self.steps
        return f"{steps} step{'' if steps == 1 else 's'} ({parts or 'nothing due'})"


def due_tasks(now: datetime, *, after: tuple[datetime, int] | None, limit: int, using: str):
    """Up to ``limit`` due tasks, oldest first, after the keyset position ``after``."""
    queryset = AutomationTaskModel.objects.using(using).filter(wake_at__lte=now)
    if after is not None:
        wake_at, pk = after
        queryset = queryset.filter(Q(wake_at__gt=wake_at) | Q(wake_at=wake_at, pk__gt=pk))
    return list(
        queryset.order_by("wake_at", "pk").values_list(
            "wake_at", "pk", "automation_id", "automation__automation_class"
        )[:limit]
    )


def run_due(
    now: datetime | None = None,
    *,
    limit: int | None = None,
    workers: int = 1,
    stop: threading.Event | None = None,
) -> SweepReport:
    """Run every task due at ``now`` (and what follows from it), in batches, oldest first.

    Only tasks whose ``wake_at`` has passed are read, through the index; waiting
    instances cost nothing. Safe to run in several processes at once: an instance
    another worker holds is skipped here (``SKIP LOCKED``) and run there; each batch
    is worked through in random order, so that workers seldom meet.

    ``workers``: threads running chains side by side (each with its own connection).
    ``stop``: once set, no new chain starts; the ones in flight finish.
    """
    now = now or clock.now()
    using = database_alias()
    report = SweepReport(now=now)
    if workers > 1:
        return _run_due_in_threads(now, workers, report, using, stop)
    for _wake_at, task_id, automation_id, path in _due(now, using, stop):
        if limit is not None and report.steps >= limit:
            break
        report.tasks_seen += 1
        run_due_task(path, automation_id, task_id, report, using)
    return report


def _due(now: datetime, using: str, stop: threading.Event | None):
    """Due tasks batch by batch (keyset, oldest first), each batch shuffled."""
    batch_size = app_settings.step_batch_size()
    position = None
    while not (stop and stop.is_set()):
        batch = due_tasks(now, after=position, limit=batch_size, using=using)
        if not batch:
            return
        position = batch[-1][:2]
        random.shuffle(batch)
        for item in batch:
            if stop and stop.is_set():
                return
            yield item


def _run_due_in_threads(
    now: datetime, workers: int, report: SweepReport, using: str, stop
) -> SweepReport:
    work: queue.Queue = queue.Queue(maxsize=workers * 4)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            while (item := work.get()) is not None:
                _wake_at, task_id, automation_id, path = item
                mine = SweepReport(now=now)
                try:
                    run_due_task(path, automation_id, task_id, mine, using)
                except BaseException as exc:  # handed to the caller below
                    failures.append(exc)
                    return
                with lock:
                    report.tasks_seen += 1
                    report.outcomes.update(mine.outcomes)
                    report.unimportable += mine.unimportable
        finally:
            connections.close_all()  # this thread's own connection

    threads = [
        threading.Thread(target=worker, name=f"automations-worker-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()

    def hand_over(item) -> bool:
        while not failures:
            try:
                work.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    try:
        for item in _due(now, using, stop):
            if not hand_over(item):
                break
    finally:
        for _ in threads:  # one end marker per worker still running
            while any(thread.is_alive() for thread in threads):
                try:
                    work.put(None, timeout=0.5)
                    break
                except queue.Full:
                    continue
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return report


def run_due_task(
    path: str, automation_id: int, task_id: int, report: SweepReport, using: str
) -> None:
    """Run one due task and its chain; problems of this instance stay with it."""
    try:
        cls = load(path)
    except AutomationClassNotFound as exc:
        report.unimportable += 1
        record_unimportable(path, automation_id, task_id, exc, using)
        return
    instance = cls._for_id(automation_id)
    try:
        chain = engine.run_chain(instance, task_id, skip_locked=True)
    except engine.DATABASE_TROUBLE:
        raise
    except Exception:  # loop boundary: one broken instance must not stop the sweep
        logger.exception(
            "unexpected error while running a task",
            extra={"automation": path, "automation_id": automation_id, "task_id": task_id},
        )
        report.outcomes["crashed"] += 1
        return
    for step in chain.steps:
        report.outcomes[step.outcome] += 1
        if step.ended_inline:
            report.outcomes[engine.FINISHED] += 1


def record_unimportable(
    path: str, automation_id: int, task_id: int, exc: Exception, using: str
) -> None:
    """An instance whose class is gone: record the error on its task and stop it."""
    from ..models import AutomationModel
    from .transactions import lock_open_task, step_transaction

    logger.error(
        "automation class cannot be imported: %s",
        exc,
        extra={"automation": path, "automation_id": automation_id, "task_id": task_id},
    )
    with step_transaction(using):
        task = lock_open_task(using, automation_id, task_id)
        if task is None:
            return
        now = clock.now()
        AutomationTaskModel.objects.using(using).filter(pk=task_id).update(
            finished=now,
            message=engine._message(repr(exc)),
            result={"error": str(exc), "html": ""},
            wake_at=None,
        )
        engine.stop_automation(AutomationModel(pk=automation_id), now, using)
