"""What a node sees while one of its tasks runs."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from .. import settings as app_settings
from ..models import AutomationTaskModel
from ..outcomes import Assignment
from ..references import AttributeValue, Function, Member, Value

if TYPE_CHECKING:
    from ..automation import Automation
    from ..nodes import Form, Node


class StepContext:
    """One task of one instance at one moment; handed to ``Node.run``.

    It is the only door from a node to user code (``evaluate``, ``call``) and to the
    few queries some nodes need (``split_info``, ``waiting_at_join``, ...).
    """

    __slots__ = ("deadline", "instance", "node", "now", "task", "tz", "using")

    def __init__(
        self,
        instance: Automation,
        task: AutomationTaskModel,
        node: Node,
        now: datetime,
        tz: tzinfo,
        using: str,
    ):
        self.instance = instance
        self.task = task
        self.node = node
        self.now = now
        self.tz = tz
        self.using = using
        self.deadline: datetime | None = None

    @property
    def bound_node(self) -> Node:
        return self.instance._bound_node(self.node)

    def evaluate(self, ref: Any) -> Any:
        """The value of a resolved reference; callables are called with the task."""
        if ref is None:
            return None
        if isinstance(ref, Value):
            return ref.value
        if isinstance(ref, Member):
            target = getattr(self.instance, ref.name)
            return target(self.task) if callable(target) else target
        if isinstance(ref, Function):
            return ref.func(self.task)
        raise TypeError(f"not a reference: {ref!r}")  # pragma: no cover

    def call(self, ref: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the referenced callable with the task and the given arguments."""
        if isinstance(ref, Member):
            return getattr(self.instance, ref.name)(self.task, *args, **kwargs)
        if isinstance(ref, Function):
            return ref.func(self.task, *args, **kwargs)
        raise TypeError(f"not callable: {ref!r}")  # pragma: no cover

    def argument(self, arg: Any) -> Any:
        if isinstance(arg, AttributeValue):
            return getattr(self.instance, arg.name)
        return arg.value

    @staticmethod
    def parse_time(value: str) -> datetime:
        return datetime.fromisoformat(value)

    # Queries some nodes need ------------------------------------------------------

    def _tasks(self):
        return AutomationTaskModel.objects.using(self.using).filter(
            automation_id=self.task.automation_id
        )

    def split_info(self, split_task_id: int) -> tuple[int, int | None]:
        """How many paths the split started, and the split it is itself part of."""
        result, parent = (
            self._tasks().filter(pk=split_task_id).values_list("result", "split_task_id").get()
        )
        branches = result.get("branches", 0) if isinstance(result, dict) else len(result or ())
        return branches, parent

    def waiting_at_join(self, node_name: str, split_task_id: int) -> list[int]:
        """Open tasks of the same split already waiting at this join (not this one)."""
        return list(
            self._tasks()
            .filter(status=node_name, split_task_id=split_task_id, finished__isnull=True)
            .exclude(pk=self.task.pk)
            .values_list("pk", flat=True)
        )

    def previous_result(self, node_name: str) -> Any:
        """``result`` of the last finished task at ``node_name`` of this instance."""
        return (
            self._tasks()
            .filter(status=node_name, finished__isnull=False)
            .order_by("-pk")
            .values_list("result", flat=True)
            .first()
        )

    def assignment(self, node: Form) -> Assignment:
        """Who may complete a form task, resolved now (lookups may depend on the task)."""
        user_id = group_id = None
        if node.user_lookup:
            user_id = self._one(node, "User", get_user_model(), node.user_lookup)
        if node.group_lookup:
            group_id = self._one(node, "Group", app_settings.get_group_model(), node.group_lookup)
        return Assignment(user_id=user_id, group_id=group_id, permissions=node.permissions)

    def _one(self, node: Form, modifier: str, model: type, lookup: dict) -> Any:
        """The id of the one ``model`` row matching ``lookup``; else an error naming the node."""
        values = {key: self.evaluate(value) for key, value in lookup.items()}
        ids = list(model._default_manager.filter(**values).values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            found = "no" if not ids else "more than one"
            raise LookupError(
                f"{node!r}: .{modifier}({', '.join(f'{k}={v!r}' for k, v in values.items())}) "
                f"matches {found} {model._meta.verbose_name}; it must match exactly one"
            )
        return ids[0]
