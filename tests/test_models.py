"""The two models: their documented fields and methods, and history deletion."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from automations import flow
from automations.models import AutomationModel, AutomationTaskModel
from automations.testing import FakeClock

pytestmark = pytest.mark.django_db


class Short(flow.Automation):
    start = flow.Execute()
    end = flow.End()


class Long(flow.Automation):
    start = flow.Execute().AfterWaitingFor(timedelta(days=1))
    end = flow.End()


def test_task_fields_and_data_shortcut():
    automation = Long(topic="x")
    task = AutomationTaskModel.objects.get(automation_id=automation.id)
    assert task.data == {"topic": "x"}
    assert task.automation.data is task.data
    assert task.get_node() == automation.start
    assert str(task).startswith("start #")


def test_hours_since_created_counts_while_open_and_is_zero_once_finished():
    with FakeClock() as clock:
        automation = Long()
        task = AutomationTaskModel.objects.get(automation_id=automation.id)
        clock.set(clock.now + timedelta(hours=6))
        assert task.hours_since_created() == pytest.approx(6)
        clock.advance(days=1)
        task.refresh_from_db()
        assert task.finished is not None and task.hours_since_created() == 0


def test_delete_history_removes_old_finished_instances_with_their_tasks():
    with FakeClock() as clock:
        old = Short()
        running = Long()
        clock.set(clock.now + timedelta(days=40))
        recent = Short()
        total, per_model = AutomationModel.delete_history(30)
        assert per_model == {"automations.AutomationTaskModel": 2, "automations.AutomationModel": 1}
        assert total == 3
        remaining = set(AutomationModel.objects.values_list("pk", flat=True))
        assert remaining == {running.id, recent.id} and old.id not in remaining


def test_the_delete_history_command_prints_the_counts():
    with FakeClock() as clock:
        Short()
        clock.set(clock.now + timedelta(days=15))
        out = StringIO()
        call_command("automation_delete_history", "14", stdout=out)
        assert out.getvalue().strip() == (
            "Deleted 3 objects: 1 automations and 2 automation tasks finished more than "
            "14 days ago."
        )
        out = StringIO()
        call_command("automation_delete_history", stdout=out)  # default: 30 days
        assert out.getvalue().startswith("Deleted 0 objects")


def test_automation_model_run_is_the_sweep():
    with FakeClock() as clock:
        automation = Long()
        clock.set(clock.now + timedelta(days=1))
        report = AutomationModel.run()
        assert report.steps == 2  # the waiting node and the End after it
        assert AutomationModel.objects.get(pk=automation.id).finished


class SavesThroughTaskData(flow.Automation):
    start = flow.Execute(lambda task: task.data.update(seen=True) or task.data.save())
    end = flow.End()


def test_task_data_saves_itself_as_documented():
    automation = SavesThroughTaskData()
    assert AutomationModel.objects.get(pk=automation.id).data == {"seen": True}
    assert automation.data == {"seen": True} and isinstance(automation.data, dict)
    automation.data["more"] = 1
    automation.data.save()
    assert AutomationModel.objects.get(pk=automation.id).data == {"seen": True, "more": 1}
