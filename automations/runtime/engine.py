"""Steps: run one task of one instance, record what happened, follow the chain.

A chain is what an instance can do now, starting from one due task: the task's node,
then the nodes it leads to, until each path waits, needs a person, or ends. A chain
is one transaction: it locks the instance and checks the task is still open, then
runs each step in a savepoint of its own (decide, run the node, write the
bookkeeping). A step that raises is rolled back to its savepoint and recorded; the
steps before it stay done. The whole chain commits at once, so a crash leaves the
first task due to be run again and nothing half done.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.views.debug import ExceptionReporter

from .. import clock
from .. import settings as app_settings
from ..exceptions import DeclarationError
from ..models import AutomationModel, AutomationTaskModel
from ..nodes import End
from ..outcomes import CONDITION, DUE, KEEP, SAME_BRANCH, Advance, Finish, Wait
from ..scheduling import Go, Hold, Skip, plan_gates
from .announce import announce, collecting, flush
from .context import StepContext
from .statements import statements
from .transactions import database_alias, lock_open_task, step_transaction

if TYPE_CHECKING:
    from ..automation import Automation
    from ..nodes import Node

logger = logging.getLogger("automations.engine")

# What became of a task in one step (``StepReport.outcome``).
DONE = "done"
SKIPPED = "skipped"
WAITING = "waiting"
FINISHED = "finished"
FAILED = "failed"
ERROR_HANDLED = "error-handled"
THREADED = "threaded"
NOT_OPEN = "not-open"

#: Errors of the database itself: nothing is recorded, the task stays due and is retried.
DATABASE_TROUBLE = (OperationalError, InterfaceError)


@dataclass
class StepReport:
    task_id: int
    outcome: str
    node: str | None = None
    #: Tasks the automation goes on with now (in memory, created in this transaction).
    next_tasks: list[AutomationTaskModel] = field(default_factory=list)
    wake_at: datetime | None = None
    #: The End node the step also completed, in the same transaction.
    end_node: str | None = None
    duration_ms: float = 0.0
    lag_ms: float | None = None

    @property
    def next_task_ids(self) -> list[int]:
        return [task.pk for task in self.next_tasks]

    @property
    def ended_inline(self) -> bool:
        return self.end_node is not None

    @property
    def stopped_at(self) -> str | None:
        """The node the instance stands at after this step."""
        return self.end_node or self.node


def error_report(exc: BaseException) -> dict[str, str]:
    """Traceback of ``exc`` as text and as Django's HTML error page."""
    reporter = ExceptionReporter(None, type(exc), exc, exc.__traceback__)
    return {"error": reporter.get_traceback_text(), "html": reporter.get_traceback_html()}


def _message(text: str) -> str:
    return text[: app_settings.MAX_FIELD_LENGTH]


class _UnprotectedStepFailed(Exception):
    """A step run without a savepoint failed: its whole transaction must roll back."""

    def __init__(self, node: Node | None, started: float, lag_ms: float | None):
        super().__init__()
        self.node = node
        self.started = started
        self.lag_ms = lag_ms


def run_step(
    instance: Automation,
    task: AutomationTaskModel,
    using: str,
    *,
    dispatch_threads: bool = False,
    savepoint: bool = True,
) -> StepReport:
    """Run one open task, already locked, inside the chain's transaction.

    With ``savepoint`` a failure rolls back to the step's savepoint and is recorded
    here. Without one (the first step of a transaction: nothing to protect yet, and
    two round trips saved) a failure raises ``_UnprotectedStepFailed``.
    """
    started = time.perf_counter()
    lag_ms = _lag_ms(task)
    node = type(instance)._meta.nodes.get(task.status)
    try:
        with transaction.atomic(using=using, savepoint=savepoint):
            if node is None:
                raise DeclarationError(
                    f"{type(instance).__name__} has no node {task.status!r} any more; "
                    "the task cannot run. Restore the node (see 'How to remove a node')."
                )
            if dispatch_threads and getattr(node, "threaded", False):
                report = _hand_to_thread(instance, task, node, using)
            else:
                ctx = StepContext(
                    instance, task, node, clock.now(), timezone.get_default_timezone(), using
                )
                report = _apply(ctx, _decide(node, ctx))
    except DATABASE_TROUBLE:
        raise
    except Exception as exc:  # the step's own failure
        if not savepoint:
            raise _UnprotectedStepFailed(node, started, lag_ms) from exc
        report = record_failure(instance, task, node, exc, using)
    return _done(instance, report, started, lag_ms)


def _lag_ms(task: AutomationTaskModel) -> float | None:
    """How late the step starts after the task's ``wake_at`` (if it had one)."""
    if task.wake_at is None:
        return None
    return (clock.now() - task.wake_at).total_seconds() * 1000


def _hand_to_thread(
    instance: Automation, task: AutomationTaskModel, node: Node, using: str
) -> StepReport:
    from .threads import start_step_thread

    if task.wake_at is None:  # due, in case the thread never gets to run it
        task.wake_at = clock.now()
        AutomationTaskModel.objects.using(using).filter(pk=task.pk).update(wake_at=task.wake_at)
    start_step_thread(type(instance), instance._db.pk, task.pk, using)
    return StepReport(task.pk, THREADED, node.name)


def _done(
    instance: Automation, report: StepReport, started: float, lag_ms: float | None
) -> StepReport:
    report.duration_ms = (time.perf_counter() - started) * 1000
    report.lag_ms = lag_ms
    _log(instance, report)
    return report


def _decide(node: Node, ctx: StepContext):
    if node.gates.empty:
        return node.run(ctx)
    plan = plan_gates(
        node.gates,
        created=ctx.task.created,
        now=ctx.now,
        checks=ctx.task.condition_checks,
        evaluate=ctx.evaluate,
        recheck_bounds=app_settings.condition_recheck_bounds(),
        tz=ctx.tz,
    )
    if isinstance(plan, Skip):
        return Advance(node.skip_targets(), "skipped")
    if isinstance(plan, Hold):
        return Wait(plan.wake_at, plan.reason, counts_check=plan.counts_check)
    assert isinstance(plan, Go)
    ctx.deadline = plan.deadline
    return node.run(ctx)


def _apply(ctx: StepContext, outcome: Any) -> StepReport:
    if isinstance(outcome, Wait):
        return _wait(ctx, outcome)
    if isinstance(outcome, Finish):
        _finish_task(ctx, outcome.message, None)
        _end_automation(ctx, end_task_id=ctx.task.pk)
        return StepReport(ctx.task.pk, FINISHED, ctx.node.name)
    if isinstance(outcome, Advance):
        if outcome.release:
            AutomationTaskModel.objects.using(ctx.using).filter(pk__in=outcome.release).update(
                finished=ctx.now, message="Joined", wake_at=None, wait_reason=DUE
            )
        task = ctx.task
        branch = task.split_task_id if outcome.branch_of is SAME_BRANCH else outcome.branch_of
        kind = SKIPPED if outcome.message == "skipped" else DONE
        return advance(ctx, outcome.targets, branch, outcome.message, outcome.result, kind)
    raise TypeError(f"{ctx.node!r}.run() returned {outcome!r}, not an outcome")


def _wait(ctx: StepContext, outcome: Wait) -> StepReport:
    task = ctx.task
    changed = {}
    if task.wake_at != outcome.wake_at:
        changed["wake_at"] = outcome.wake_at
    if task.wait_reason != outcome.reason:
        changed["wait_reason"] = outcome.reason
    if outcome.counts_check:
        changed["condition_checks"] = task.condition_checks + 1
    if outcome.result is not KEEP and outcome.result != task.result:
        changed["result"] = outcome.result
    if outcome.assignment is not None:
        assignment = outcome.assignment
        changed.update(
            requires_interaction=True,
            interaction_user_id=assignment.user_id,
            interaction_group_id=assignment.group_id,
            interaction_permissions=list(assignment.permissions),
        )
    if changed:
        for name, value in changed.items():
            setattr(task, name, value)
        AutomationTaskModel.objects.using(ctx.using).filter(pk=task.pk).update(**changed)
    if "wake_at" in changed:
        announce(outcome.wake_at, ctx.using)
    return StepReport(task.pk, WAITING, ctx.node.name, wake_at=outcome.wake_at)


def _finish_fields(ctx: StepContext, message: str, result: Any) -> dict[str, Any]:
    fields = {
        "finished": ctx.now,
        "message": _message(message),
        "result": result,
        "wake_at": None,
        "wait_reason": DUE,
        "requires_interaction": False,
    }
    for name, value in fields.items():
        setattr(ctx.task, name, value)
    return fields


def _finish_task(ctx: StepContext, message: str, result: Any) -> None:
    statements(ctx.using).finish(ctx.task.pk, _finish_fields(ctx, message, result))


def advance(
    ctx: StepContext,
    targets: tuple[str | None, ...],
    branch: int | None,
    message: str,
    result: Any,
    kind: str,
) -> StepReport:
    """Finish the task and create the tasks the automation goes on with.

    A plain ``End`` next in line is completed in the same transaction: it has nothing
    to run, so there is nothing to retry.
    """
    meta = type(ctx.instance)._meta
    task = ctx.task
    for target in targets:
        if target is None or target not in meta.nodes:
            raise DeclarationError(
                f"{type(ctx.instance).__name__}.{ctx.node.name}: the automation runs past its "
                f"last node here (next: {target!r}); add an End() node or .Next(...)"
            )
    fields = _finish_fields(ctx, message, result)
    if len(targets) == 1:
        node = meta.nodes[targets[0]]
        ends = isinstance(node, End) and node.gates.empty
        # Not yet in the due index: the chain runs it in this same transaction, and
        # whatever it leaves unrun is made due before the commit (see ``_drain``).
        successor = AutomationTaskModel(
            automation_id=task.automation_id,
            previous_id=task.pk,
            split_task_id=branch,
            status=node.name,
            created=ctx.now,
            finished=ctx.now if ends else None,
            message="Finished" if ends else "",
        )
        new_id = statements(ctx.using).finish_and_insert(
            task.pk, fields, successor, (task.automation_id, ctx.now) if ends else None
        )
        if ends:
            _end_automation(ctx, end_task_id=new_id, written=True)
            return StepReport(task.pk, kind, ctx.node.name, end_node=node.name)
        successor.automation = ctx.instance._db
        return StepReport(task.pk, kind, ctx.node.name, [successor])
    statements(ctx.using).finish(task.pk, fields)
    successors = AutomationTaskModel.objects.using(ctx.using).bulk_create(
        AutomationTaskModel(
            automation_id=task.automation_id,
            previous_id=task.pk,
            split_task_id=branch,
            status=target,
            created=ctx.now,
        )
        for target in targets
    )
    for successor in successors:
        successor.automation = ctx.instance._db
    return StepReport(task.pk, kind, ctx.node.name, successors)


def _end_automation(ctx: StepContext, end_task_id: int, *, written: bool = False) -> None:
    row = ctx.instance._db
    if not written:
        AutomationModel.objects.using(ctx.using).filter(pk=row.pk).update(
            finished=True, singleton_key=None, updated=ctx.now
        )
    row.finished, row.singleton_key, row.updated = True, None, ctx.now
    if type(ctx.instance)._meta.has_split:
        AutomationTaskModel.objects.using(ctx.using).filter(
            automation_id=row.pk, finished__isnull=True
        ).exclude(pk=end_task_id).update(
            finished=ctx.now,
            message="Cancelled: the automation ended",
            wake_at=None,
            wait_reason=DUE,
            requires_interaction=False,
        )


def record_failure(
    instance: Automation,
    task: AutomationTaskModel,
    node: Node | None,
    exc: BaseException,
    using: str,
) -> StepReport:
    """Record ``exc`` on its task; follow ``.OnError`` or stop the automation.

    Runs in the chain's transaction, after the step's savepoint was rolled back: the
    instance is still locked. ``data`` is read again, as the step left it half changed.
    """
    report = error_report(exc)
    on_error = getattr(node, "on_error_name", None)
    instance._db.refresh_from_db(using=using, fields=["data", "bound_models"])
    now = clock.now()
    ctx = StepContext(instance, task, node, now, timezone.get_default_timezone(), using)
    if on_error:
        logger.warning(
            "step failed, continuing at %s: %r",
            on_error,
            exc,
            extra={**_fields(instance, task.pk, task.status), "on_error": on_error},
        )
        return advance(ctx, (on_error,), task.split_task_id, repr(exc), report, ERROR_HANDLED)
    logger.error(
        "step failed, automation stopped: %r",
        exc,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra=_fields(instance, task.pk, task.status),
    )
    _finish_task(ctx, repr(exc), report)
    stop_automation(instance._db, now, using)
    return StepReport(task.pk, FAILED, task.status)


def stop_automation(row: AutomationModel, now: datetime, using: str) -> None:
    """Stop an instance after an unhandled error; its other open tasks stop waking."""
    AutomationModel.objects.using(using).filter(pk=row.pk).update(
        finished=True, failed=True, singleton_key=None, updated=now
    )
    row.finished, row.failed, row.singleton_key = True, True, None
    AutomationTaskModel.objects.using(using).filter(
        automation_id=row.pk, finished__isnull=True
    ).update(wake_at=None)


def _fields(instance: Automation, task_id: int, node: str | None) -> dict[str, Any]:
    return {
        "automation": type(instance)._meta.path,
        "automation_id": instance._db.pk if instance._db else None,
        "task_id": task_id,
        "node": node,
    }


def _log(instance: Automation, report: StepReport) -> None:
    if report.outcome == NOT_OPEN or not logger.isEnabledFor(logging.INFO):
        return
    logger.info(
        "step %s",
        report.outcome,
        extra={
            **_fields(instance, report.task_id, report.node),
            "outcome": report.outcome,
            "duration_ms": round(report.duration_ms, 3),
            "lag_ms": None if report.lag_ms is None else round(report.lag_ms, 3),
            "next_wake_at": report.wake_at.isoformat() if report.wake_at else None,
            "ended": report.ended_inline or report.outcome == FINISHED,
        },
    )


# Chains ---------------------------------------------------------------------------


@dataclass
class ChainReport:
    last_node: str | None = None
    steps: list[StepReport] = field(default_factory=list)


def run_chain(
    instance: Automation,
    task_id: int,
    *,
    skip_locked: bool = False,
    dispatch_threads: bool = False,
) -> ChainReport:
    """Run ``task_id`` and then, depth first, every task it leads to that can run now.

    ``skip_locked``: if another worker holds the instance, leave the task to it.
    """
    using = database_alias()
    chain = ChainReport()
    pending: list[int] = [task_id]
    first = True
    while pending:
        next_id = pending.pop()
        try:
            with step_transaction(using), collecting() as wakes:
                # Errors taking the lock are the database's: they propagate, unrecorded.
                task = lock_open_task(
                    using, instance._db.pk, next_id, skip_locked=skip_locked and first
                )
                first = False
                if task is None or task.automation.finished:
                    chain.steps.append(StepReport(next_id, NOT_OPEN))
                    continue
                instance._db = task.automation
                pending.extend(
                    _drain(instance, [task], chain, using, dispatch_threads, protect_first=False)
                )
                flush(wakes, using)
        except _UnprotectedStepFailed as failed:
            # Rolled back with its transaction; record the failure in a fresh one.
            with step_transaction(using), collecting() as wakes:
                task = lock_open_task(using, instance._db.pk, next_id)
                if task is None or task.automation.finished:
                    continue
                instance._db = task.automation
                report = record_failure(instance, task, failed.node, failed.__cause__, using)
                chain.steps.append(_done(instance, report, failed.started, failed.lag_ms))
                if report.node is not None:
                    chain.last_node = report.stopped_at
                pending.extend(
                    _drain(
                        instance, list(reversed(report.next_tasks)), chain, using, dispatch_threads
                    )
                )
                flush(wakes, using)
    return chain


def _drain(
    instance: Automation,
    queue: list[AutomationTaskModel],
    chain: ChainReport,
    using: str,
    dispatch_threads: bool,
    *,
    protect_first: bool = True,
) -> list[int]:
    """Run the queued tasks and what they lead to, inside the chain's transaction.

    Returns the ids of tasks left for a fresh transaction (past the step limit); they
    are made due first, so that nothing is lost if this process stops.
    """
    protect = protect_first
    for _ in range(app_settings.steps_per_transaction()):
        if not queue:
            return []
        if instance._db.finished:  # ended or stopped by an earlier step of this chain
            chain.steps.extend(StepReport(task.pk, NOT_OPEN) for task in queue)
            return []
        report = run_step(
            instance, queue.pop(), using, dispatch_threads=dispatch_threads, savepoint=protect
        )
        protect = True
        chain.steps.append(report)
        if report.node is not None:
            chain.last_node = report.stopped_at
        queue.extend(reversed(report.next_tasks))
    left = [task.pk for task in queue if task.wake_at is None]
    if left:
        now = clock.now()
        AutomationTaskModel.objects.using(using).filter(pk__in=left).update(wake_at=now)
        announce(now, using)
    return [task.pk for task in queue]


def run_instance(instance: Automation, *, dispatch_threads: bool = True) -> str | None:
    """Run the due tasks of one instance; returns the name of the node it stopped at.

    Asked explicitly, an instance also looks at its false ``AsSoonAs`` conditions again
    at once, as documented; waits for a time are never cut short.
    """
    now = clock.now()
    using = database_alias()
    tasks = AutomationTaskModel.objects.using(using).filter(
        automation_id=instance._db.pk, finished__isnull=True
    )
    due = list(
        tasks.filter(Q(wake_at__lte=now) | Q(wait_reason=CONDITION, wake_at__isnull=False))
        .order_by("wake_at", "pk")
        .values_list("pk", flat=True)
    )
    last = None
    for task_id in due:
        last = run_chain(instance, task_id, dispatch_threads=dispatch_threads).last_node or last
    if last is None:
        last = tasks.order_by("pk").values_list("status", flat=True).first()
    return last


def complete_task(
    instance: Automation,
    task_id: int,
    accept: Any,
    *,
    dispatch_threads: bool = True,
) -> str | None:
    """Complete an open task from outside (a form submission) and run on from there.

    ``accept(ctx)`` runs inside the step transaction, with the instance locked, and
    returns the ``Advance`` outcome. Raises ``TaskNotOpen`` if the task is done.
    """
    from ..exceptions import TaskNotOpen

    using = database_alias()
    with step_transaction(using), collecting() as wakes:
        task = lock_open_task(using, instance._db.pk, task_id)
        if task is None or task.automation.finished:
            raise TaskNotOpen(f"Task {task_id} is no longer open.")
        instance._db = task.automation
        node = type(instance)._meta.nodes[task.status]
        ctx = StepContext(instance, task, node, clock.now(), timezone.get_default_timezone(), using)
        report = _apply(ctx, accept(ctx))
        instance._db.save(update_fields=["data", "bound_models"])
        if type(instance)._meta.has_conditions:
            wake_condition_waiters(instance._db.pk, ctx.now, using)
        _log(instance, report)
        chain = ChainReport(last_node=report.stopped_at, steps=[report])
        pending = _drain(
            instance, list(reversed(report.next_tasks)), chain, using, dispatch_threads
        )
        flush(wakes, using)
    for next_id in reversed(pending):
        chain.last_node = run_chain(instance, next_id, dispatch_threads=dispatch_threads).last_node
    return chain.last_node


def wake_condition_waiters(automation_id: int, now: datetime, using: str) -> None:
    """Make the instance's tasks waiting on an ``AsSoonAs`` condition due now."""
    woken = (
        AutomationTaskModel.objects.using(using)
        .filter(
            automation_id=automation_id,
            finished__isnull=True,
            wait_reason="condition",
            wake_at__gt=now,
        )
        .update(wake_at=now)
    )
    if woken:
        announce(now, using)
