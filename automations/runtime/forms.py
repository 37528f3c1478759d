"""Completing a task that waits for a person: the engine side of a form submission."""

from __future__ import annotations

from typing import Any

from ..exceptions import NotAssigned, TaskNotOpen
from ..models import AutomationTaskModel
from ..nodes import Form
from . import engine


def form_node(task: AutomationTaskModel) -> Form:
    """The ``Form`` node a task waits at (``TaskNotOpen`` if it waits for nothing of the kind)."""
    node = task.automation.get_automation_class()._meta.nodes.get(task.status)
    if not isinstance(node, Form):
        raise TaskNotOpen(f"Task {task.pk} does not wait for a form")
    return node


def submit_form(task: AutomationTaskModel, form: Any, user: Any, *, dispatch_threads: bool = True):
    """Store a valid ``form`` for ``task`` as ``user`` and move the automation on.

    Runs in the caller's request: the task's step and what can run after it happen
    before this returns. Returns the node the automation stopped at.

    Raises ``NotAssigned`` if ``user`` may not complete the task and ``TaskNotOpen``
    if it was completed (or cancelled) meanwhile.
    """
    form_node(task)
    if not task.requires_interaction or not task.is_open:
        raise TaskNotOpen(f"Task {task.pk} is not waiting for a person")
    if not task.may_be_completed_by(user):
        raise NotAssigned(f"Task {task.pk} is not assigned to {user}")
    if not form.is_valid():
        raise ValueError("submit_form() needs a valid form; call form.is_valid() first")
    instance = task.automation.instance
    name = engine.complete_task(
        instance,
        task.pk,
        lambda ctx: ctx.node.accept(ctx, form, user),
        dispatch_threads=dispatch_threads,
    )
    return getattr(instance, name) if name else None
