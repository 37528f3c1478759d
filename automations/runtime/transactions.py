"""The one place that opens step transactions and takes the instance lock.

One step of one automation instance runs at a time: every step locks the instance's
row (``SELECT ... FOR UPDATE`` on PostgreSQL) before it reads the task it will run.
SQLite has no row locks; there the step transaction starts with ``BEGIN IMMEDIATE``,
which serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, router, transaction

from ..models import AutomationModel, AutomationTaskModel


def database_alias() -> str:
    return router.db_for_write(AutomationModel)


@contextmanager
def step_transaction(using: str) -> Iterator[None]:
    """A transaction (or savepoint) for one step, taking SQLite's write lock up front."""
    connection = connections[using]
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        connection.ensure_connection()
        previous = connection.transaction_mode
        if previous not in ("IMMEDIATE", "EXCLUSIVE"):
            connection.transaction_mode = "IMMEDIATE"
        try:
            with transaction.atomic(using=using):
                yield
        finally:
            connection.transaction_mode = previous
    else:
        with transaction.atomic(using=using):
            yield


def lock_open_task(
    using: str, automation_id: int, task_id: int, *, skip_locked: bool = False
) -> AutomationTaskModel | None:
    """The open task with its automation row, both locked; ``None`` if not open (or busy).

    Both rows are locked in one statement, the automation first. Locking the task row
    too makes PostgreSQL re-read it after waiting, so a task finished by the previous
    lock holder is seen as finished.
    """
    from .statements import statements

    return statements(using).lock_open_task(automation_id, task_id, skip_locked=skip_locked)


def lock_automation(using: str, automation_id: int) -> AutomationModel | None:
    """The automation row, locked, freshly read; ``None`` if it no longer exists."""
    queryset = AutomationModel.objects.using(using).filter(pk=automation_id)
    if connections[using].features.has_select_for_update:
        queryset = queryset.select_for_update()
    for row in queryset:
        return row
    return None
