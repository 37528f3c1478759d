"""Execute nodes: what they call, with what, and what they record."""

import pytest

from automations import flow
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel
from tests.testapp.models import Ledger

pytestmark = pytest.mark.django_db

calls = []


def record(task, *args, **kwargs):
    calls.append((task.status, args, kwargs))
    return {"args": list(args), "kwargs": kwargs}


class Calls(flow.Automation):
    by_this = flow.Execute(this.method)
    by_self_string = flow.Execute("self.method")
    by_plain_string = flow.Execute("method")
    by_function = flow.Execute(record, 1, "two", key="value")
    by_lambda = flow.Execute(lambda task: calls.append((task.status, "lambda")))
    with_attribute_argument = flow.Execute(record, this.label)
    noop = flow.Execute()
    end = flow.End()

    label = "a label"

    def method(self, task):
        calls.append((task.status, "method", self.id))
        return "plain string result"


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


def test_every_way_of_naming_the_callable_runs_it_once_with_the_task():
    automation = Calls()
    assert calls == [
        ("by_this", "method", automation.id),
        ("by_self_string", "method", automation.id),
        ("by_plain_string", "method", automation.id),
        ("by_function", (1, "two"), {"key": "value"}),
        ("by_lambda", "lambda"),
        ("with_attribute_argument", ("a label",), {}),
    ]
    assert automation.is_finished()


def test_results_that_are_json_are_stored_with_message_ok():
    automation = Calls()
    tasks = {t.status: t for t in AutomationTaskModel.objects.filter(automation_id=automation.id)}
    assert tasks["by_this"].message == "OK"
    assert tasks["by_this"].result == "plain string result"
    assert tasks["by_function"].result == {"args": [1, "two"], "kwargs": {"key": "value"}}
    assert tasks["noop"].message == "OK" and tasks["noop"].result is None
    assert tasks["end"].message == "Finished"


class ReturnsTask(flow.Automation):
    start = flow.Execute(lambda task: task)
    end = flow.End()


def test_a_result_that_is_not_json_is_dropped_not_fatal():
    automation = ReturnsTask()
    task = AutomationTaskModel.objects.get(automation_id=automation.id, status="start")
    assert task.message == "OK"
    assert task.result is None
    assert automation.is_finished() and not automation._db.failed


class Print(flow.Execute):
    def method(self, task_instance, *args):
        calls.append(("method of", type(self).__name__, self.name, args, dict(self.data)))


class UsesSubclass(flow.Automation):
    start = Print("Hello", 42)
    end = flow.End()


def test_an_execute_subclass_implements_method_and_gets_all_its_arguments():
    automation = UsesSubclass(greeting="hi")
    assert calls == [("method of", "Print", "start", ("Hello", 42), {"greeting": "hi"})]
    assert automation.is_finished()


class Failing(flow.Automation):
    start = flow.Execute(this.write_then_fail)
    never = flow.Execute(this.write, "never")
    end = flow.End()

    def write_then_fail(self, task):
        Ledger.objects.create(automation_id=self.id, node="start")
        self.data["touched"] = True
        self.save()
        raise ValueError("Darn, this is not good")

    def write(self, task, node):
        Ledger.objects.create(automation_id=self.id, node=node)


def test_an_unhandled_error_is_recorded_and_stops_the_automation():
    automation = Failing()
    task = AutomationTaskModel.objects.get(automation_id=automation.id, status="start")
    assert task.message == "ValueError('Darn, this is not good')"
    assert "Darn, this is not good" in task.result["error"]
    assert "Traceback" in task.result["error"]
    assert "<html" in task.result["html"].lower()
    assert task.finished is not None
    row = AutomationModel.objects.get(pk=automation.id)
    assert row.finished and row.failed
    assert automation.is_finished()
    assert not AutomationTaskModel.objects.filter(
        automation_id=automation.id, status="never"
    ).exists()


def test_a_failed_step_leaves_no_half_done_database_work():
    automation = Failing()
    assert not Ledger.objects.filter(automation_id=automation.id).exists()
    assert "touched" not in AutomationModel.objects.get(pk=automation.id).data
    assert "touched" not in automation.data


class Handled(flow.Automation):
    start = flow.Execute(lambda task: 1 / 0).OnError(this.recover)
    skipped_by_error = flow.Execute(this.write, "skipped_by_error")
    end = flow.End()
    recover = flow.Execute(this.write, "recover").Next(this.end)

    def write(self, task, node):
        Ledger.objects.create(automation_id=self.id, node=node)


def test_on_error_continues_at_the_handler_and_keeps_the_error_on_the_task():
    automation = Handled()
    assert automation.is_finished() and not automation._db.failed
    assert list(
        Ledger.objects.filter(automation_id=automation.id).values_list("node", flat=True)
    ) == ["recover"]
    task = AutomationTaskModel.objects.get(automation_id=automation.id, status="start")
    assert task.message.startswith("ZeroDivisionError(")
    assert "ZeroDivisionError" in task.result["error"]


def test_one_failing_instance_does_not_affect_another():
    bad = Failing()
    good = Calls()
    assert bad._db.failed
    assert good.is_finished() and not good._db.failed


class Crash(BaseException):
    """Stands for the process dying mid-step (not an error the step can record)."""


class CrashesOnce(flow.Automation):
    start = flow.Execute(this.work)
    end = flow.End()

    def work(self, task):
        Ledger.objects.create(automation_id=self.id, node="start")
        if not self.data.get("crash_done"):
            # Survives the rollback: a plain module-level flag, like a real restart would.
            CrashesOnce.crashes += 1
            self.data["crash_done"] = True
            raise Crash()

    crashes = 0


def test_a_crash_mid_step_leaves_the_task_to_run_again_and_never_half_done():
    automation = CrashesOnce(autorun=False)
    with pytest.raises(Crash):
        automation.run()
    task = AutomationTaskModel.objects.get(automation_id=automation.id, status="start")
    assert task.finished is None and task.wake_at is not None  # still due
    assert not Ledger.objects.filter(automation_id=automation.id).exists()
    automation = CrashesOnce(automation_id=automation.id)
    automation.data["crash_done"] = True
    automation.save()
    automation.run()
    assert Ledger.objects.filter(automation_id=automation.id).count() == 1
    assert automation.is_finished()


class Steps(flow.Automation):
    one = flow.Execute(this.write, "one")
    two = flow.Execute(this.write, "two")
    three = flow.Execute(this.write, "three")
    end = flow.End()

    def write(self, task, node):
        Ledger.objects.create(automation_id=self.id, node=node)


def test_a_chain_commits_after_the_step_limit_and_goes_on_from_due_tasks(settings):
    from automations.runtime.engine import run_chain

    settings.ATM_STEPS_PER_TRANSACTION = 2
    automation = Steps(autorun=False)
    first = AutomationTaskModel.objects.get(automation_id=automation.id)
    chain = run_chain(Steps._for_id(automation.id), first.pk)
    # Two steps in the first transaction, then the rest from the due task it left.
    assert [step.outcome for step in chain.steps] == ["done", "done", "done"]
    assert chain.last_node == "end"
    assert list(
        Ledger.objects.filter(automation_id=automation.id).values_list("node", flat=True)
    ) == ["one", "two", "three"]
    assert AutomationModel.objects.get(pk=automation.id).finished


def test_tasks_a_chain_leaves_unrun_are_due_for_the_sweep(settings, monkeypatch):
    from automations.runtime import engine
    from automations.runtime.sweep import run_due

    settings.ATM_STEPS_PER_TRANSACTION = 1
    automation = Steps(autorun=False)
    first = AutomationTaskModel.objects.get(automation_id=automation.id)
    # Let the first transaction lock; find the instance busy afterwards, as if this
    # process had stopped between two transactions.
    original, calls = engine.lock_open_task, []

    def lock_once(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs) if len(calls) == 1 else None

    monkeypatch.setattr(engine, "lock_open_task", lock_once)
    chain = engine.run_chain(Steps._for_id(automation.id), first.pk)
    monkeypatch.undo()
    assert [step.outcome for step in chain.steps] == ["done", "not-open"]
    left = AutomationTaskModel.objects.get(automation_id=automation.id, finished__isnull=True)
    assert left.status == "two" and left.wake_at is not None
    run_due()
    assert AutomationModel.objects.get(pk=automation.id).finished
    assert Ledger.objects.filter(automation_id=automation.id).count() == 3


class FailsUntilFixed(flow.Automation):
    start = flow.Execute(this.work)
    end = flow.End()

    def work(self, task):
        if not self.data.get("fixed"):
            raise RuntimeError("not yet")
        Ledger.objects.create(automation_id=self.id, node="start")


def test_a_failed_task_can_be_retried_once_the_cause_is_fixed():
    from automations.runtime.repair import CannotRetry, retry
    from automations.runtime.sweep import run_due

    automation = FailsUntilFixed()
    failed = AutomationTaskModel.objects.get(automation_id=automation.id)
    assert automation._db.failed
    AutomationModel.objects.filter(pk=automation.id).update(data={"fixed": True})
    again = retry(failed)
    assert again.status == "start" and again.previous_id == failed.pk
    row = AutomationModel.objects.get(pk=automation.id)
    assert not row.finished and not row.failed
    run_due()
    assert AutomationModel.objects.get(pk=automation.id).finished
    assert Ledger.objects.filter(automation_id=automation.id).count() == 1
    with pytest.raises(CannotRetry):
        retry(failed)  # finished normally now: nothing to retry
