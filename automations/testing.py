"""Helpers for testing automations in ordinary Django tests.

``FakeClock`` stands still until you move it; moving it runs everything that falls
due on the way, in order, the way the daemon would::

    from datetime import timedelta
    from automations.testing import FakeClock

    def test_reminder_goes_out_after_three_days(db):
        with FakeClock() as clock:
            workflow = WebinarWorkflow(email="ann@example.com")
            clock.advance(days=3)
        assert workflow.is_finished()
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from . import clock
from .models import AutomationTaskModel
from .runtime.sweep import SweepReport, run_due
from .runtime.threads import wait_for_threads

__all__ = ["FakeClock", "start_many", "wait_for_threads"]


class FakeClock:
    """A clock for tests: time moves only when told, and moving it runs what is due."""

    def __init__(self, start: datetime | None = None):
        self.now = start or timezone.now()
        if timezone.is_naive(self.now):
            self.now = timezone.make_aware(self.now)
        self._previous = None

    def __enter__(self) -> FakeClock:
        self._previous = clock._source
        clock.set_source(lambda: self.now)
        return self

    def __exit__(self, *exc_info) -> None:
        clock.set_source(self._previous)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` without running anything."""
        self.now = moment

    def run_due(self) -> SweepReport:
        """Run what is due at the current fake time."""
        return run_due(now=self.now)

    def next_wake(self) -> datetime | None:
        """The earliest time any open task wants to be looked at."""
        return AutomationTaskModel.objects.aggregate(first=Min("wake_at"))["first"]

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> list[SweepReport]:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``), running each wake on the way.

        Returns one report per moment at which something was due.
        """
        target = self.now + (delta if delta is not None else timedelta(**kwargs))
        reports = []
        for _ in range(100_000):
            wake = self.next_wake()
            if wake is None or wake > target:
                break
            self.now = max(self.now, wake)
            report = run_due(now=self.now)
            reports.append(report)
            if report.steps == 0 and (self.next_wake() or target) <= self.now:
                break  # nothing could run (e.g. a task held elsewhere); do not spin
        self.now = target
        reports.append(run_due(now=self.now))
        return reports


def start_many(cls, count: int, data=None, batch: int = 5000) -> list[int]:
    """``count`` instances of ``cls`` whose first task is due now, written in bulk.

    For load tests and benchmarks: rows go straight to the database (no ``unique``
    check, nothing runs, no announcement). ``data`` is a dict, or a callable taking
    the instance's number and returning one. Returns the new instances' ids.
    """
    from .models import AutomationModel, AutomationTaskModel, new_key

    now = clock.now()
    first = cls._meta.first_node
    ids: list[int] = []
    for offset in range(0, count, batch):
        rows = AutomationModel.objects.bulk_create(
            AutomationModel(
                automation_class=cls._meta.path,
                key=new_key(),
                data=(data(offset + n) if callable(data) else dict(data or {})),
                created=now,
                updated=now,
            )
            for n in range(min(batch, count - offset))
        )
        AutomationTaskModel.objects.bulk_create(
            AutomationTaskModel(automation=row, status=first, created=now, wake_at=now)
            for row in rows
        )
        ids.extend(row.pk for row in rows)
    return ids
