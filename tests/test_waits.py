"""Waiting and skipping modifiers on running instances, with a fake clock."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from automations import flow, outcomes
from automations.flow import this
from automations.models import AutomationTaskModel
from automations.testing import FakeClock

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime(2026, 5, 4, 9, 0))


def open_task(automation):
    return AutomationTaskModel.objects.get(automation_id=automation.id, finished__isnull=True)


def done(automation):
    return list(
        AutomationTaskModel.objects.filter(automation_id=automation.id, finished__isnull=False)
        .order_by("pk")
        .values_list("status", "message")
    )


class Webinar(flow.Automation):
    start = flow.Execute(this.init)
    remind = flow.Execute(this.mark, "reminded").AfterWaitingUntil(this.reminder_time)
    replay = flow.Execute(this.mark, "replayed").AfterWaitingFor(timedelta(minutes=150))
    end = flow.End()

    def init(self, task):
        self.data["log"] = []
        self.save()

    def reminder_time(self, task):
        return datetime.fromisoformat(self.data["starts"]) - timedelta(hours=1)

    def mark(self, task, what):
        self.data["log"].append([what, task.data["now"]] if "now" in task.data else what)
        self.save()


def test_wait_until_and_wait_for_run_exactly_when_due_never_before():
    with FakeClock(START) as clock:
        webinar = Webinar(starts=(START + timedelta(days=2)).isoformat())
        task = open_task(webinar)
        assert (task.status, task.wait_reason) == ("remind", outcomes.TIME)
        assert task.wake_at == START + timedelta(days=2, hours=-1)

        clock.advance(timedelta(days=2, hours=-1, microseconds=-1))
        assert open_task(webinar).status == "remind"  # a microsecond early: nothing

        clock.advance(timedelta(microseconds=1))
        task = open_task(webinar)
        assert task.status == "replay"
        # The replay waits 150 minutes from when its node was reached.
        assert task.wake_at == clock.now + timedelta(minutes=150)

        clock.advance(minutes=150)
        webinar = Webinar(automation_id=webinar.id)
        assert webinar.is_finished()
        assert webinar.data["log"] == ["reminded", "replayed"]


def test_a_wait_that_already_passed_runs_at_once():
    with FakeClock(START):
        webinar = Webinar(starts=(START - timedelta(days=1)).isoformat())
        assert open_task(webinar).status == "replay"


class Approval(flow.Automation):
    start = flow.Execute()
    wait_for_approval = (
        flow.Execute(this.note, "approved")
        .AsSoonAs(lambda task: task.data.get("approved"))
        .SkipAfter(timedelta(days=7))
    )
    end = flow.End()

    def note(self, task, what):
        self.data["noted"] = what
        self.save()

    def receive_approve(self, token, data):
        self.data["approved"] = True
        self.save()


def test_as_soon_as_rechecks_with_backoff_and_runs_once_true():
    with FakeClock(START) as clock:
        approval = Approval()
        task = open_task(approval)
        assert task.wait_reason == outcomes.CONDITION
        assert task.wake_at == START + timedelta(minutes=1)
        clock.advance(minutes=1)
        task = open_task(approval)
        assert task.condition_checks == 2
        assert task.wake_at == START + timedelta(minutes=3)  # 1 + 2 minutes

        approval = Approval(automation_id=approval.id)
        approval.data["approved"] = True
        approval.save()
        clock.advance(minutes=2)
        approval = Approval(automation_id=approval.id)
        assert approval.is_finished()
        assert approval.data["noted"] == "approved"


def test_a_message_makes_a_waiting_condition_due_at_once():
    with FakeClock(START) as clock:
        approval = Approval()
        clock.advance(minutes=30)
        assert open_task(approval).wake_at > clock.now
        approval.send_message("approve", "token")
        assert open_task(approval).wake_at == clock.now  # due now, not in minutes
        clock.run_due()
        assert Approval(automation_id=approval.id).is_finished()


def test_skip_after_skips_a_condition_that_never_came_true():
    with FakeClock(START) as clock:
        approval = Approval()
        clock.advance(days=7)
        approval = Approval(automation_id=approval.id)
        assert approval.is_finished()
        assert "noted" not in approval.data
        assert ("wait_for_approval", "skipped") in done(approval)


class SkipIfs(flow.Automation):
    start = flow.Execute()
    maybe = flow.Execute(this.note).SkipIf(lambda task: task.data.get("skip"))
    waits_but_skipped = (
        flow.Execute(this.note).AfterWaitingFor(timedelta(days=5)).SkipIf(this.skip_everything)
    )
    end = flow.End()

    def note(self, task):
        self.data.setdefault("ran", []).append(task.status)
        self.save()

    def skip_everything(self, task):
        return self.data.get("skip")


def test_skip_if_leaves_nodes_unprocessed_even_while_they_would_wait():
    automation = SkipIfs(skip=True)
    assert automation.is_finished()
    assert "ran" not in automation.data
    assert done(automation) == [
        ("start", "OK"),
        ("maybe", "skipped"),
        ("waits_but_skipped", "skipped"),
        ("end", "Finished"),
    ]


def test_skip_if_false_runs_the_node():
    with FakeClock(START) as clock:
        automation = SkipIfs(skip=False)
        assert automation.data["ran"] == ["maybe"]
        clock.advance(days=5)
        assert SkipIfs(automation_id=automation.id).data["ran"] == ["maybe", "waits_but_skipped"]


class CallableWaits(flow.Automation):
    start = flow.Execute().AfterWaitingFor(lambda task: timedelta(hours=task.data["hours"]))
    end = flow.End()


def test_wait_durations_may_be_callables_taking_the_task():
    with FakeClock(START) as clock:
        automation = CallableWaits(hours=5)
        assert open_task(automation).wake_at == START + timedelta(hours=5)
        clock.advance(hours=5)
        assert CallableWaits(automation_id=automation.id).is_finished()


class BadWait(flow.Automation):
    start = flow.Execute().AfterWaitingUntil(lambda task: "tomorrow")
    end = flow.End()


def test_a_callable_returning_the_wrong_type_fails_the_step_with_a_clear_message():
    automation = BadWait()
    task = AutomationTaskModel.objects.get(automation_id=automation.id, status="start")
    assert "AfterWaitingUntil" in task.message and "str" in task.message
    assert automation._db.failed


def test_waiting_instances_are_not_touched_by_other_instances_runs():
    with FakeClock(START):
        first = Webinar(starts=(START + timedelta(days=2)).isoformat())
        before = open_task(first)
        Webinar(starts=(START - timedelta(days=2)).isoformat())
        after = open_task(first)
        assert (after.pk, after.wake_at, after.condition_checks) == (
            before.pk,
            before.wake_at,
            before.condition_checks,
        )
