"""Automations the multi-process tests start (importable by the worker processes)."""

from datetime import timedelta

from automations import flow
from automations.flow import this
from tests.testapp.models import Ledger


class Counted(flow.Automation):
    """Three steps; each writes a ledger row and updates ``data`` (read-modify-write)."""

    one = flow.Execute(this.work)
    two = flow.Execute(this.work)
    three = flow.Execute(this.work)
    end = flow.End()

    def work(self, task):
        Ledger.objects.create(automation_id=self.id, node=task.status)
        self.data["count"] = self.data.get("count", 0) + 1
        self.data.setdefault("nodes", []).append(task.status)
        self.save()


class WaitsTwoSeconds(flow.Automation):
    """Starts at once, then waits two seconds before its second step."""

    start = flow.Execute()
    later = flow.Execute(this.work).AfterWaitingFor(timedelta(seconds=2))
    end = flow.End()

    def work(self, task):
        Ledger.objects.create(automation_id=self.id, node=task.status)


def start_due_instances(cls, count: int) -> list[int]:
    """``count`` instances whose first task is due now, written in bulk (fast set-up)."""
    from automations.testing import start_many

    return start_many(cls, count)
