"""automation_step and the sweep: only what is due, through the index, never fatal."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from automations import clock as automation_clock
from automations import flow
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel
from automations.runtime.sweep import run_due
from automations.testing import FakeClock

pytestmark = pytest.mark.django_db


class Timer(flow.Automation):
    start = flow.Execute(this.count).AfterWaitingFor(timedelta(hours=1))
    end = flow.End()

    def count(self, task):
        self.data["ran"] = self.data.get("ran", 0) + 1
        self.save()


class Condition(flow.Automation):
    start = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()


def make_waiters(count):
    with FakeClock(automation_clock.now() - timedelta(minutes=10)):
        for _ in range(count):
            Timer()
            Condition()
        # Keep the condition waiters out of the way of the sweep below.
        AutomationTaskModel.objects.filter(wait_reason="condition").update(
            wake_at=automation_clock.now() + timedelta(days=1)
        )


def test_automation_step_runs_what_is_due_and_nothing_else():
    with FakeClock() as clock:
        due, later = Timer(), Timer()
        AutomationTaskModel.objects.filter(automation_id=later.id).update(
            wake_at=clock.now + timedelta(hours=5)
        )
        clock.set(clock.now + timedelta(hours=1))
        out = StringIO()
        call_command("automation_step", stdout=out)
        assert "2 steps" in out.getvalue()  # the timer's node, then its End
        assert AutomationModel.objects.get(pk=due.id).data == {"ran": 1}
        assert AutomationModel.objects.get(pk=later.id).data == {}
        out = StringIO()
        call_command("automation_step", stdout=out)
        assert "0 steps" in out.getvalue()


@pytest.mark.parametrize("waiters", [0, 40])
def test_waiting_instances_cost_no_query_and_no_instantiation(waiters, monkeypatch):
    make_waiters(waiters)
    instantiated = []
    monkeypatch.setattr(
        flow.Automation,
        "_from_row",
        classmethod(
            lambda cls, row: instantiated.append(cls) or pytest.fail("instantiated a waiter")
        ),
    )
    with CaptureQueriesContext(connection) as queries:
        report = run_due()
    assert report.steps == 0 and instantiated == []
    assert len(queries) == 1  # the one indexed query for due tasks, whatever the waiters


def test_an_instance_whose_class_is_gone_is_recorded_and_others_still_run():
    with FakeClock() as clock:
        gone, fine = Timer(), Timer()
        AutomationModel.objects.filter(pk=gone.id).update(automation_class="tests.nowhere.Removed")
        clock.set(clock.now + timedelta(hours=1))
        out, err = StringIO(), StringIO()
        call_command("automation_step", stdout=out, stderr=err)
        assert "cannot be imported" in err.getvalue()
        task = AutomationTaskModel.objects.get(automation_id=gone.id)
        assert "AutomationClassNotFound" in task.message and "tests.nowhere.Removed" in task.message
        row = AutomationModel.objects.get(pk=gone.id)
        assert row.finished and row.failed
        assert AutomationModel.objects.get(pk=fine.id).data == {"ran": 1}
        # Reported once, not on every sweep.
        err = StringIO()
        call_command("automation_step", stdout=StringIO(), stderr=err)
        assert err.getvalue() == ""


class Removed(flow.Automation):
    start = flow.Execute().AfterWaitingFor(timedelta(hours=1))
    middle = flow.Execute()
    end = flow.End()


def test_a_task_at_a_node_that_no_longer_exists_is_recorded_not_fatal():
    with FakeClock() as clock:
        automation = Removed()
        AutomationTaskModel.objects.filter(automation_id=automation.id).update(
            status="deleted_node"
        )
        clock.set(clock.now + timedelta(hours=1))
        report = run_due()
        assert report.outcomes["failed"] == 1
        task = AutomationTaskModel.objects.get(automation_id=automation.id)
        assert "deleted_node" in task.message


def test_the_sweep_limit_stops_early():
    with FakeClock() as clock:
        for _ in range(5):
            Timer()
        clock.set(clock.now + timedelta(hours=1))
        assert run_due(limit=4).steps == 4
        assert run_due().steps == 6


def test_a_database_error_taking_the_lock_is_not_blamed_on_the_automation(monkeypatch):
    from django.db import ProgrammingError

    from automations.runtime.statements import StepStatements

    with FakeClock() as clock:
        automation = Timer()
        clock.set(clock.now + timedelta(hours=1))

        def broken(self, *args, **kwargs):
            raise ProgrammingError("relation does not exist")

        monkeypatch.setattr(StepStatements, "lock_open_task", broken)
        report = run_due()
        assert report.outcomes == {"crashed": 1}
        monkeypatch.undo()
        task = AutomationTaskModel.objects.get(automation_id=automation.id, status="start")
        assert task.finished is None and task.message == ""  # still due, nothing recorded
        assert not AutomationModel.objects.get(pk=automation.id).failed
        assert run_due().steps == 2  # runs once the database is fine again
