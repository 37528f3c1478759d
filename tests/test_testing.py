"""The FakeClock users test their automations with."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from automations import clock, flow
from automations.flow import this
from automations.testing import FakeClock

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime(2026, 1, 5, 8, 0))


class ThreeDays(flow.Automation):
    start = flow.Execute(this.stamp)
    day_one = flow.Execute(this.stamp).AfterWaitingFor(timedelta(days=1))
    day_three = flow.Execute(this.stamp).AfterWaitingFor(timedelta(days=2))
    end = flow.End()

    def stamp(self, task):
        self.data.setdefault("at", []).append(clock.now().isoformat())
        self.save()


def test_advance_runs_each_wake_at_its_own_time_in_order():
    with FakeClock(START) as fake:
        automation = ThreeDays()
        reports = fake.advance(days=3)
        automation = ThreeDays(automation_id=automation.id)
        assert automation.is_finished()
        assert [datetime.fromisoformat(at) for at in automation.data["at"]] == [
            START,
            START + timedelta(days=1),
            START + timedelta(days=3),
        ]
        assert fake.now == START + timedelta(days=3)
        # day_one runs, day_three is looked at and waits, then runs with its End.
        assert sum(report.steps for report in reports) == 4


def test_the_clock_stands_still_and_is_restored_afterwards():
    with FakeClock(START) as fake:
        assert clock.now() == START
        fake.set(START + timedelta(hours=2))
        assert clock.now() == START + timedelta(hours=2)
    assert abs(clock.now() - timezone.now()) < timedelta(seconds=5)


def test_naive_start_times_are_taken_as_local_time():
    with FakeClock(datetime(2026, 7, 1, 12, 0)) as fake:
        assert timezone.localtime(fake.now).hour == 12


def test_start_many_writes_due_instances_in_bulk():
    from automations.models import AutomationModel, AutomationTaskModel
    from automations.testing import start_many

    ids = start_many(ThreeDays, 7, data=lambda n: {"n": n}, batch=3)
    rows = AutomationModel.objects.filter(pk__in=ids).order_by("pk")
    assert [row.data for row in rows] == [{"n": n} for n in range(7)]
    assert len({row.key for row in rows}) == 7
    tasks = AutomationTaskModel.objects.filter(automation_id__in=ids)
    assert {(task.status, task.finished) for task in tasks} == {("start", None)}
    assert all(task.wake_at is not None for task in tasks)
