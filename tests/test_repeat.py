"""Repeat nodes on running instances."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from automations import flow, outcomes
from automations.flow import this
from automations.models import AutomationTaskModel
from automations.testing import FakeClock

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime(2026, 5, 4, 9, 7))


class Poll(flow.Automation):
    start = flow.Execute(this.tick)
    again = flow.Repeat().EveryNMinutes(30)

    def tick(self, task):
        self.data["ticks"] = self.data.get("ticks", 0) + 1
        self.save()


def test_repeat_goes_back_to_the_first_node_on_schedule():
    with FakeClock(START) as clock:
        poll = Poll()
        assert poll.data["ticks"] == 1
        repeat = AutomationTaskModel.objects.get(automation_id=poll.id, finished__isnull=True)
        assert (repeat.status, repeat.wait_reason) == ("again", outcomes.REPEAT)
        assert repeat.wake_at == START + timedelta(minutes=30)
        clock.advance(minutes=95)
        assert Poll(automation_id=poll.id).data["ticks"] == 4  # +30, +60, +90
        open_task = AutomationTaskModel.objects.get(automation_id=poll.id, finished__isnull=True)
        assert open_task.wake_at == START + timedelta(minutes=120)


class Nightly(flow.Automation):
    start = flow.Execute()
    work = flow.Execute(this.tick)
    loop = flow.Repeat(this.work).At(21, 0)

    def tick(self, task):
        self.data.setdefault("at", []).append(timezone.localtime(task.created).strftime("%H:%M"))
        self.save()


def test_repeat_at_fires_at_the_given_local_time_each_day():
    with FakeClock(START) as clock:
        nightly = Nightly()
        wake = AutomationTaskModel.objects.get(
            automation_id=nightly.id, finished__isnull=True
        ).wake_at
        assert timezone.localtime(wake).strftime("%Y-%m-%d %H:%M") == "2026-05-04 21:00"
        clock.advance(days=2)
        assert Nightly(automation_id=nightly.id).data["at"] == ["09:07", "21:00", "21:00"]


def test_a_long_outage_runs_the_loop_once_not_for_every_missed_slot():
    with FakeClock(START) as clock:
        poll = Poll()
        clock.set(START + timedelta(hours=10, minutes=1))
        clock.run_due()
        poll = Poll(automation_id=poll.id)
        assert poll.data["ticks"] == 2
        open_task = AutomationTaskModel.objects.get(automation_id=poll.id, finished__isnull=True)
        assert open_task.wake_at == START + timedelta(hours=10, minutes=30)
