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
    from automations import clock
    from automations.models import AutomationModel, AutomationTaskModel, new_key

    now = clock.now()
    ids = []
    for offset in range(0, count, 2000):
        rows = AutomationModel.objects.bulk_create(
            AutomationModel(
                automation_class=cls._meta.path, key=new_key(), created=now, updated=now
            )
            for _ in range(min(2000, count - offset))
        )
        AutomationTaskModel.objects.bulk_create(
            AutomationTaskModel(
                automation=row, status=cls._meta.first_node, created=now, wake_at=now
            )
            for row in rows
        )
        ids.extend(row.pk for row in rows)
    return ids
