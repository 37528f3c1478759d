"""Nodes that run code: ``Execute`` and the conditional ``If``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core import checks

from ..exceptions import ModifierError
from ..outcomes import Advance
from .base import Node, _check_reference_or_node

if TYPE_CHECKING:
    from ..declarations import Resolver
    from ..runtime.context import StepContext


def storable(result: Any) -> Any:
    """``result`` if it can be stored as JSON, else ``None`` (as documented)."""
    if result is None or isinstance(result, bool | int | float | str):
        return result
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        return None
    return result


class Execute(Node):
    """Run a callable, typically a method of the automation: ``Execute(this.send_mail)``.

    The callable gets the task (an ``AutomationTaskModel``) and the extra arguments.
    Subclasses may instead implement ``method(self, task_instance, *args, **kwargs)``.
    With ``threaded=True`` a web request hands the node to a background thread.
    """

    #: Override in subclasses: ``def method(self, task_instance, *args, **kwargs)``.
    method = None

    def __init__(self, *args: Any, threaded: bool = False, description: str = "", **kwargs: Any):
        super().__init__(description=description)
        self.args = args
        self.kwargs = kwargs
        self.threaded = bool(threaded)
        self._on_error: Any = None
        self.on_error_name: str | None = None
        self.action = None
        self.call_args: tuple = ()
        self.call_kwargs: dict = {}

    def OnError(self, node: Any) -> Execute:
        """Continue with ``node`` if this node raises, instead of stopping the automation."""
        if self._on_error is not None:
            raise ModifierError(f"{self!r}: .OnError() given twice")
        self._on_error = _check_reference_or_node("OnError", node)
        return self

    @property
    def has_method(self) -> bool:
        return type(self).method is not None

    def resolve_references(self, resolver: Resolver) -> None:
        super().resolve_references(resolver)
        if self._on_error is not None:
            self.on_error_name = resolver.node(self._on_error, "OnError")
        args = self.args
        if not self.has_method and args:
            self.action = resolver.action(args[0], type(self).__name__)
            args = args[1:]
        self.call_args = tuple(resolver.argument(arg) for arg in args)
        self.call_kwargs = {key: resolver.argument(value) for key, value in self.kwargs.items()}

    def successors(self) -> list[tuple[str, str | None]]:
        edges = super().successors()
        if self.on_error_name:
            edges.append(("error", self.on_error_name))
        return edges

    def run(self, ctx: StepContext) -> Advance:
        args = [ctx.argument(arg) for arg in self.call_args]
        kwargs = {key: ctx.argument(value) for key, value in self.call_kwargs.items()}
        if self.has_method:
            result = ctx.bound_node.method(ctx.task, *args, **kwargs)
        elif self.action is not None:
            result = ctx.call(self.action, *args, **kwargs)
        else:  # Execute() without arguments does nothing, on purpose
            result = None
        return Advance((self.next_name,), "OK", storable(result))


class If(Execute):
    """Branch on ``condition``: ``.Then(...)`` when true, ``.Else(...)`` when false.

    A branch is either a node to continue with or a callable to run (with optional
    arguments) before continuing with the next node. Without ``.Else`` a false
    condition continues with the next node.
    """

    def __init__(self, condition: Any, description: str = "", **kwargs: Any):
        super().__init__(description=description)
        self.condition_raw = condition
        self.condition = None
        self._then: tuple | None = None
        self._else: tuple | None = None
        self.then_branch: tuple | None = None
        self.else_branch: tuple | None = None

    def Then(self, *args: Any, **kwargs: Any) -> If:
        if self._then is not None:
            raise ModifierError(f"{self!r}: .Then() given twice")
        self._then = (args, kwargs)
        return self

    def Else(self, *args: Any, **kwargs: Any) -> If:
        if self._else is not None:
            raise ModifierError(f"{self!r}: .Else() given twice")
        self._else = (args, kwargs)
        return self

    def resolve_references(self, resolver: Resolver) -> None:
        Node.resolve_references(self, resolver)
        if self._on_error is not None:
            self.on_error_name = resolver.node(self._on_error, "OnError")
        self.condition = resolver.callable(self.condition_raw, "If", plain_strings=True)
        self.then_branch = self._resolve_branch(resolver, self._then, "Then")
        self.else_branch = self._resolve_branch(resolver, self._else, "Else")

    @staticmethod
    def _resolve_branch(resolver: Resolver, clause: tuple | None, label: str) -> tuple | None:
        if clause is None:
            return None
        args, kwargs = clause
        if not args:
            return ("noop",)
        if len(args) == 1 and not kwargs:
            kind, target = resolver.node_or_action(args[0], label)
            if kind == "node":
                return ("jump", target)
            return ("call", target, (), {})
        action = resolver.action(args[0], label)
        return (
            "call",
            action,
            tuple(resolver.argument(arg) for arg in args[1:]),
            {key: resolver.argument(value) for key, value in kwargs.items()},
        )

    def check(self) -> list:
        if self._then is None:
            return [
                checks.Error(
                    f"{self.automation_class.__name__}.{self.name}: If() has no .Then().",
                    hint="Add .Then(node or callable); .Else() is optional and defaults to "
                    "continuing with the next node.",
                    obj=self.automation_class,
                    id="automations.E104",
                )
            ]
        return []

    def _branch_target(self, branch: tuple | None) -> str | None:
        if branch is not None and branch[0] == "jump":
            return branch[1]
        return self.next_name

    def successors(self) -> list[tuple[str, str | None]]:
        edges = [
            ("then", self._branch_target(self.then_branch)),
            ("else", self._branch_target(self.else_branch)),
        ]
        if self.on_error_name:
            edges.append(("error", self.on_error_name))
        return edges

    def run(self, ctx: StepContext) -> Advance:
        outcome = bool(ctx.evaluate(self.condition))
        branch = self.then_branch if outcome else self.else_branch
        result = None
        if branch is not None and branch[0] == "call":
            _, action, args, kwargs = branch
            result = ctx.call(
                action,
                *(ctx.argument(arg) for arg in args),
                **{key: ctx.argument(value) for key, value in kwargs.items()},
            )
        return Advance((self._branch_target(branch),), str(outcome), storable(result))
