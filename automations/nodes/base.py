"""The node base class: a declaration configured by chained modifiers.

A node object describes one step. Modifiers store what they are given and return
``self``; the automation class copies and resolves its nodes once, when it is
created. Nothing here holds the state of a running instance: ``run`` receives a
step context and answers with an outcome (see ``automations.outcomes``).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..exceptions import ModifierError
from ..references import ThisAttribute, reference_name
from ..scheduling import Gates

if TYPE_CHECKING:
    from ..declarations import Resolver
    from ..outcomes import Outcome
    from ..runtime.context import StepContext


def is_reference(value: Any) -> bool:
    return isinstance(value, ThisAttribute) or (
        isinstance(value, str) and value.startswith("self.")
    )


def _check_reference_or_node(modifier: str, value: Any) -> Any:
    if isinstance(value, Node | ThisAttribute) or (
        isinstance(value, str) and reference_name(value, plain_strings=True)
    ):
        return value
    raise ModifierError(
        f".{modifier}() needs a node: this.name, 'self.name', 'name' or a node object; "
        f"got {type(value).__name__}: {value!r}"
    )


class Node:
    """Base class of all nodes. Subclasses implement ``run``."""

    #: Whether the automation may continue to the next declared node after this one.
    continues = True

    def __init__(self, *args: Any, description: str = "", **kwargs: Any):
        self.description = description
        self._next: Any = None
        self._conditions: list[Any] = []
        self._wait: tuple[str, Any] | None = None
        self._skip_if: list[Any] = []
        self._skip_after: Any = None
        # Set on the class's own copy when the automation class is created.
        self.name: str | None = None
        self.automation_class: type | None = None
        self.next_name: str | None = None
        self.gates = Gates()
        self._declared: Node = self
        # Set only on the per-instance copy handed out by attribute access.
        self._automation = None

    # Modifiers ---------------------------------------------------------------------

    def Next(self, node: Any) -> Node:
        """Continue with ``node`` instead of the next declared node."""
        if self._next is not None:
            raise ModifierError(f"{self!r}: .Next() given twice")
        self._next = _check_reference_or_node("Next", node)
        return self

    def AsSoonAs(self, condition: Any) -> Node:
        """Wait until ``condition`` (a callable taking the task, or a value) is true."""
        self._conditions.append(condition)
        return self

    def AfterWaitingUntil(self, moment: Any) -> Node:
        """Do not run before ``moment`` (a datetime or a callable returning one)."""
        self._set_wait("until", moment, "AfterWaitingUntil", datetime)
        return self

    def AfterWaitingFor(self, duration: Any) -> Node:
        """Do not run before ``duration`` (a timedelta or callable) after the node is reached."""
        self._set_wait("for", duration, "AfterWaitingFor", timedelta)
        return self

    def SkipIf(self, condition: Any) -> Node:
        """Skip the node when ``condition`` is true; takes precedence over waits."""
        self._skip_if.append(condition)
        return self

    def SkipAfter(self, duration: Any) -> Node:
        """Skip the node once ``duration`` has passed since it was reached."""
        if self._skip_after is not None:
            raise ModifierError(f"{self!r}: .SkipAfter() given twice")
        self._skip_after = self._checked(duration, "SkipAfter", timedelta)
        return self

    def _set_wait(self, kind: str, value: Any, modifier: str, expected: type) -> None:
        if self._wait is not None:
            raise ModifierError(
                f"{self!r}: only one of .AfterWaitingUntil() / .AfterWaitingFor() per node"
            )
        self._wait = (kind, self._checked(value, modifier, expected))

    @staticmethod
    def _checked(value: Any, modifier: str, expected: type) -> Any:
        if isinstance(value, expected) or callable(value) or is_reference(value):
            return value
        raise ModifierError(
            f".{modifier}() needs a {expected.__name__} or a callable returning one; "
            f"got {type(value).__name__}: {value!r}"
        )

    # Class binding (runs once per automation class) -------------------------------

    def bind_to_class(self, automation_class: type, name: str, default_next: str | None) -> Node:
        """A copy of this node for ``automation_class`` under ``name``."""
        node = copy.copy(self)
        node._declared = node
        node.name = name
        node.automation_class = automation_class
        node.next_name = default_next
        node._automation = None
        return node

    def resolve_references(self, resolver: Resolver) -> None:
        """Turn the declared references into names and refs (called on the class copy)."""
        if self._next is not None:
            self.next_name = resolver.node(self._next, "Next")
        wait_kind, wait = self._wait if self._wait else (None, None)
        self.gates = Gates(
            skip_after=None
            if self._skip_after is None
            else resolver.callable(self._skip_after, "SkipAfter"),
            skip_if=tuple(resolver.callable(value, "SkipIf") for value in self._skip_if),
            wait_kind=wait_kind,
            wait=None if wait is None else resolver.callable(wait, f"AfterWaiting{wait_kind}"),
            conditions=tuple(resolver.callable(value, "AsSoonAs") for value in self._conditions),
        )

    def successors(self) -> list[tuple[str, str | None]]:
        """Edges of the flow graph: ``(label, node name or None for 'past the end')``."""
        return [("next", self.next_name)] if self.continues else []

    def skip_targets(self) -> tuple[str | None, ...]:
        """Where the automation goes when this node is skipped."""
        return (self.next_name,)

    def check(self) -> list:
        """Node-specific declaration problems (``django.core.checks`` messages)."""
        return []

    # Runtime ------------------------------------------------------------------------

    def run(self, ctx: StepContext) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement run()")

    # Per-instance view ----------------------------------------------------------

    def __get__(self, instance: Any, owner: type | None = None) -> Node:
        if instance is None:
            return self
        return instance._bound_node(self)

    def bound_to(self, automation: Any) -> Node:
        """A copy of this node that knows the automation instance (for user code)."""
        node = copy.copy(self)
        node._automation = automation
        return node

    def ready(self, automation_instance: Any) -> Node:
        """The node as bound to ``automation_instance``."""
        return automation_instance._bound_node(self._declared)

    @property
    def automation(self) -> Any:
        if self._automation is None:
            raise AttributeError(f"{self!r} is not bound to an automation instance")
        return self._automation

    @property
    def data(self) -> dict:
        """The ``data`` of the automation instance this node is bound to."""
        return self.automation.data

    def get_automation_name(self) -> str:
        """Dotted path of the automation class the node belongs to."""
        cls = self.automation_class
        return f"{cls.__module__}.{cls.__qualname__}" if cls else ""

    def resolve(self, value: Any) -> Any:
        """``this.x`` or ``"self.x"`` as the attribute of the bound automation instance."""
        name = reference_name(value, plain_strings=False)
        if name is None:
            return value
        return getattr(self.automation, name)

    @property
    def node_name(self) -> str:
        return type(self).__name__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        if self._declared is not other._declared:
            return False
        mine, theirs = self._automation, other._automation
        return mine is None or theirs is None or mine == theirs

    def __hash__(self) -> int:
        return id(self._declared)

    def __repr__(self) -> str:
        if self.automation_class is None:
            return f"<unbound {self.node_name} node>"
        return f"<{self.automation_class.__name__}.{self.name}: {self.node_name}>"
