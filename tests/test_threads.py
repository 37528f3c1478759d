"""Background threads: nice() and Execute(..., threaded=True), after the commit."""

import threading

import pytest
from django.db import transaction

from automations import flow
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel
from automations.testing import wait_for_threads

pytestmark = pytest.mark.django_db(transaction=True)


class Slow(flow.Automation):
    start = flow.Execute(this.note)
    heavy = flow.Execute(this.crunch, threaded=True)
    after = flow.Execute(this.note)
    end = flow.End()

    def note(self, task):
        self.data.setdefault("threads", []).append([task.status, threading.current_thread().name])
        self.save()

    def crunch(self, task):
        self.note(task)


def test_a_threaded_node_runs_after_the_request_in_a_thread_of_its_own():
    caller = threading.current_thread().name
    with transaction.atomic():
        automation = Slow()
        # Nothing may start before the caller's transaction commits.
        assert automation.run() == automation.heavy
        assert [t for t in threading.enumerate() if t.name.startswith("automation-")] == []
    wait_for_threads()
    data = AutomationModel.objects.get(pk=automation.id).data
    assert data["threads"][0] == ["start", caller]
    assert data["threads"][1][0] == "heavy" and data["threads"][1][1] != caller
    assert data["threads"][2][0] == "after" and data["threads"][2][1] != caller
    assert AutomationModel.objects.get(pk=automation.id).finished


def test_the_sweep_runs_threaded_nodes_itself():
    from automations.runtime.sweep import run_due

    automation = Slow(autorun=False)
    run_due()
    data = AutomationModel.objects.get(pk=automation.id).data
    assert {name for _, name in data["threads"]} == {threading.current_thread().name}


class Plain(flow.Automation):
    start = flow.Execute(this.note)
    end = flow.End()

    def note(self, task):
        self.data["thread"] = threading.current_thread().name
        self.save()


def test_nice_returns_at_once_and_runs_the_instance_in_a_thread():
    automation = Plain(autorun=False)
    automation.nice()
    wait_for_threads()
    row = AutomationModel.objects.get(pk=automation.id)
    assert row.finished
    assert row.data["thread"] != threading.current_thread().name
    assert AutomationTaskModel.objects.filter(automation=row, finished__isnull=True).count() == 0


def test_a_sweep_with_worker_threads_runs_every_due_task_once():
    from automations.runtime.sweep import run_due
    from tests.concurrency_automations import Counted
    from tests.testapp.models import Ledger

    ids = [Counted(autorun=False).id for _ in range(30)]
    report = run_due(workers=3)
    assert report.outcomes["done"] == 90 and report.outcomes["finished"] == 30
    assert Ledger.objects.filter(automation_id__in=ids).count() == 90
    assert {row.data["count"] for row in AutomationModel.objects.filter(pk__in=ids)} == {3}
