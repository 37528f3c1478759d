"""The history of one instance: every task, parallel paths side by side, and its diagram."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from ..diagram import automation_svg
from ..exceptions import AutomationClassNotFound
from ..models import AutomationModel, AutomationTaskModel
from .monitor import MonitorMixin

#: Most tasks one history page shows (the newest); older ones are summarised.
HISTORY_LIMIT = 1000
RESULT_CHARS = 300


@dataclass
class Step:
    """One task in the history."""

    task: AutomationTaskModel
    has_error: bool = False
    result_text: str = ""

    @property
    def is_step(self) -> bool:  # for templates: a step, not a parallel block
        return True


@dataclass
class Parallel:
    """The paths a Split started, each a list of steps (and nested blocks)."""

    split: AutomationTaskModel
    paths: list[list[Step | Parallel]] = field(default_factory=list)

    @property
    def is_step(self) -> bool:
        return False


def _step(task: AutomationTaskModel) -> Step:
    result = task.result
    has_error = isinstance(result, dict) and "error" in result
    if has_error or result is None:
        text = ""
    else:
        text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        if len(text) > RESULT_CHARS:
            text = text[: RESULT_CHARS - 1] + "…"
    return Step(task=task, has_error=has_error, result_text=text)


def build_timeline(tasks: list[AutomationTaskModel]) -> list[Step | Parallel]:
    """Arrange an instance's tasks (any order) as a sequence with parallel blocks.

    Follows ``previous``: the tasks a Split started (their ``split_task`` is the split)
    become the paths of a block; a path ends where the automation leaves the split
    (the task after the Join belongs to the enclosing split), and the sequence goes on
    from there. Tasks whose ``previous`` is not among ``tasks`` start the sequence.
    """
    by_id = {task.pk: task for task in tasks}
    children: dict[int | None, list[AutomationTaskModel]] = defaultdict(list)
    for task in sorted(tasks, key=lambda task: task.pk):
        parent = task.previous_id if task.previous_id in by_id else None
        children[parent].append(task)
    placed: set[int] = set()

    def walk(
        first: list[AutomationTaskModel], split_id: int | None
    ) -> tuple[list[Step | Parallel], list[AutomationTaskModel]]:
        """The sequence from ``first`` within the split ``split_id``; and where it leaves."""
        sequence: list[Step | Parallel] = []
        leaving: list[AutomationTaskModel] = []
        todo = list(first)
        while todo:
            task = todo.pop(0)
            if task.pk in placed:
                continue
            placed.add(task.pk)
            sequence.append(_step(task))
            kids = children.get(task.pk, [])
            paths = [kid for kid in kids if kid.split_task_id == task.pk]
            same = [kid for kid in kids if kid not in paths and kid.split_task_id == split_id]
            leaving += [kid for kid in kids if kid not in paths and kid not in same]
            if paths:
                block = Parallel(split=task)
                after: list[AutomationTaskModel] = []
                for path_start in paths:
                    path, left = walk([path_start], task.pk)
                    block.paths.append(path)
                    after += left
                sequence.append(block)
                # Leaving this split means going on in ours (or leaving ours too).
                todo += [kid for kid in after if kid.split_task_id == split_id]
                leaving += [kid for kid in after if kid.split_task_id != split_id]
            todo += same
        return sequence, leaving

    roots = children.get(None, [])
    sequence, leftover = walk(roots, roots[0].split_task_id if roots else None)
    while leftover:  # links that do not fit the split structure: shown after the rest
        more, leftover = walk(leftover, leftover[0].split_task_id)
        sequence += more
    rest = [task for task in sorted(tasks, key=lambda t: t.pk) if task.pk not in placed]
    sequence += [_step(task) for task in rest]
    return sequence


def wake_note(moment: Any) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return _("wakes %(time)s") % {"time": formats.time_format(local, "TIME_FORMAT")}
    return _("wakes %(date)s") % {"date": formats.date_format(local, "SHORT_DATETIME_FORMAT")}


class HistoryView(MonitorMixin, TemplateView):
    """One instance: its diagram with the nodes it stands at, and every task it ran."""

    template_name = "automations/history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        automation = get_object_or_404(AutomationModel, pk=kwargs["automation_id"])
        tasks_query = AutomationTaskModel.objects.filter(automation=automation)
        total = tasks_query.count()
        tasks = list(reversed(tasks_query.order_by("-pk")[:HISTORY_LIMIT]))
        open_tasks = [task for task in tasks if task.finished is None]
        current = set() if automation.finished else {task.status for task in open_tasks}
        failed = set()
        if automation.failed:
            errors = [task for task in tasks if _step(task).has_error]
            failed = {errors[-1].status} if errors else set()
        wakes = [task.wake_at for task in open_tasks if task.wake_at is not None]
        next_wake = None if automation.finished or not wakes else min(wakes)
        notes = {}
        for task in open_tasks:
            if task.status in current:
                if task.wake_at is not None:
                    notes[task.status] = wake_note(task.wake_at)
                elif task.requires_interaction:
                    notes[task.status] = _("waits for a person")
        try:
            cls = automation.get_automation_class()
        except AutomationClassNotFound:
            cls, diagram = None, None
        else:
            diagram = automation_svg(
                cls, current=current, failed=failed, notes=notes, id_prefix="atm-history"
            )
        context.update(
            automation=automation,
            automation_class=cls,
            verbose_name=cls.get_verbose_name() if cls else automation.automation_class,
            timeline=build_timeline(tasks),
            task_count=total,
            hidden_count=max(0, total - len(tasks)),
            open_tasks=open_tasks,
            next_wake=next_wake,
            waiting_for=sorted({task.get_wait_reason_display() for task in open_tasks}),
            diagram=diagram,
            data_json=json.dumps(automation.data, indent=2, ensure_ascii=False, default=str),
        )
        return context
