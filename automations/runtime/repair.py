"""Putting a stopped instance back on its feet (the admin's "retry" action)."""

from __future__ import annotations

from django.db import IntegrityError

from .. import clock
from ..exceptions import AutomationError
from ..models import AutomationModel, AutomationTaskModel
from .announce import announce
from .instances import singleton_key
from .transactions import database_alias, lock_automation, step_transaction


class CannotRetry(AutomationError):
    """The task's automation is not stopped by an error, or may not start again."""


def retry(task: AutomationTaskModel) -> AutomationTaskModel:
    """Run the failed ``task``'s node again: a new task, due now, after the failed one.

    The instance is running again; tasks it had open on other paths wake up too.
    Returns the new task. Raises ``CannotRetry`` if the instance did not fail, or if
    it is ``unique`` and another instance with the same values runs meanwhile.
    """
    using = database_alias()
    with step_transaction(using):
        row = lock_automation(using, task.automation_id)
        if row is None or not row.failed:
            raise CannotRetry(f"Automation #{task.automation_id} has not stopped with an error")
        failed = AutomationTaskModel.objects.using(using).get(pk=task.pk)
        if failed.finished is None:
            raise CannotRetry(f"Task {task.pk} is still open")
        now = clock.now()
        cls = row.get_automation_class()
        try:
            AutomationModel.objects.using(using).filter(pk=row.pk).update(
                finished=False,
                failed=False,
                updated=now,
                singleton_key=singleton_key(cls, row.data),
            )
        except IntegrityError as exc:
            raise CannotRetry(
                f"Another {cls.__name__} with the same unique values is running"
            ) from exc
        # Paths that were parked when the instance stopped wake up again.
        AutomationTaskModel.objects.using(using).filter(
            automation_id=row.pk, finished__isnull=True, wake_at__isnull=True
        ).exclude(wait_reason__in=("person", "join")).update(wake_at=now)
        again = AutomationTaskModel(
            automation_id=row.pk,
            previous_id=failed.pk,
            split_task_id=failed.split_task_id,
            status=failed.status,
            created=now,
            wake_at=now,
        )
        again.save(using=using, force_insert=True)
        announce(now, using)
    return again
