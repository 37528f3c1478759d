"""Nodes that shape the path: ``Split``, ``Join``, ``Repeat`` and ``End``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core import checks

from ..exceptions import ModifierError
from ..outcomes import JOIN as WAIT_JOIN
from ..outcomes import REPEAT as WAIT_REPEAT
from ..outcomes import Advance, Finish, Wait
from ..scheduling import RepeatSpec, earliest, next_repetition
from .base import Node, _check_reference_or_node

if TYPE_CHECKING:
    from ..declarations import Resolver
    from ..runtime.context import StepContext


class Split(Node):
    """Start two or more paths at once: ``Split().Next(this.a).Next(this.b)``.

    The paths run independently and meet again at one ``Join``.
    """

    continues = False

    def __init__(self, description: str = "", **kwargs: Any):
        super().__init__(description=description)
        self._branches: list[Any] = []
        self.branch_names: tuple[str | None, ...] = ()

    def Next(self, node: Any) -> Split:
        """Add a path; call once per path."""
        self._branches.append(_check_reference_or_node("Next", node))
        return self

    def resolve_references(self, resolver: Resolver) -> None:
        super().resolve_references(resolver)
        self.branch_names = tuple(resolver.node(branch, "Next") for branch in self._branches)

    def successors(self) -> list[tuple[str, str | None]]:
        return [("branch", name) for name in self.branch_names if name]

    def check(self) -> list:
        if not self._branches:
            return [
                checks.Error(
                    f"{self.automation_class.__name__}.{self.name}: Split() has no paths.",
                    hint="Give each path with .Next(node), e.g. Split().Next(this.a).Next(this.b).",
                    obj=self.automation_class,
                    id="automations.E107",
                )
            ]
        return []

    def run(self, ctx: StepContext) -> Advance:
        return Advance(
            self.branch_names,
            "Split",
            {"branches": len(self.branch_names)},
            branch_of=ctx.task.id,
        )


class Join(Node):
    """Wait until every path started by the matching ``Split`` has arrived here."""

    def run(self, ctx: StepContext) -> Advance | Wait:
        split_id = ctx.task.split_task_id
        if split_id is None:
            raise RuntimeError(
                f"{ctx.node!r} was reached outside of any Split; there is nothing to join"
            )
        expected, parent_split_id = ctx.split_info(split_id)
        waiting = ctx.waiting_at_join(self.name, split_id)
        if len(waiting) + 1 < expected:
            return Wait(None, WAIT_JOIN)
        return Advance(
            (self.next_name,),
            "Joined",
            sorted([*waiting, ctx.task.id]),
            branch_of=parent_split_id,
            release=tuple(waiting),
        )


class Repeat(Node):
    """Go back to ``start`` (default: the first node) again and again, on a schedule.

    ``EveryNMinutes(m)``, ``EveryHour(h)``, ``EveryNDays(d)``, ``EveryDay()`` count from
    the time the node first runs; ``At(hour, minute)`` fixes the time of day (daily,
    or every ``d`` days with ``EveryNDays``). Times are in ``settings.TIME_ZONE``.
    """

    continues = False

    def __init__(self, start: Any = None, description: str = "", **kwargs: Any):
        super().__init__(description=description)
        self._start = None if start is None else _check_reference_or_node("Repeat", start)
        self.start_name: str | None = None
        self._unit: str | None = None
        self._every = 1
        self._at: tuple[int, int] | None = None
        self._conflicts: list[str] = []

    def _set_interval(self, unit: str, every: Any, modifier: str) -> Repeat:
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ModifierError(f"Repeat.{modifier}() needs a whole number >= 1, got {every!r}")
        if self._unit is not None:
            raise ModifierError(f"{self!r}: only one interval modifier per Repeat()")
        self._unit, self._every = unit, every
        return self

    def EveryNMinutes(self, minutes: int) -> Repeat:
        return self._set_interval("minutes", minutes, "EveryNMinutes")

    def EveryHour(self, hours: int = 1) -> Repeat:
        return self._set_interval("hours", hours, "EveryHour")

    def EveryNDays(self, days: int) -> Repeat:
        return self._set_interval("days", days, "EveryNDays")

    def EveryDay(self) -> Repeat:
        return self._set_interval("days", 1, "EveryDay")

    def At(self, hour: int, minute: int = 0) -> Repeat:
        """Fire at ``hour:minute`` local time (daily unless ``EveryNDays`` says otherwise)."""
        if self._at is not None:
            raise ModifierError(f"{self!r}: .At() given twice")
        if not (isinstance(hour, int) and 0 <= hour <= 23):
            raise ModifierError(f"Repeat.At(): hour must be 0 to 23, got {hour!r}")
        if not (isinstance(minute, int) and 0 <= minute <= 59):
            raise ModifierError(f"Repeat.At(): minute must be 0 to 59, got {minute!r}")
        self._at = (hour, minute)
        return self

    @property
    def spec(self) -> RepeatSpec:
        return RepeatSpec(unit=self._unit, every=self._every, at=self._at)

    def resolve_references(self, resolver: Resolver) -> None:
        super().resolve_references(resolver)
        if self._start is None:
            self.start_name = resolver.first_node
        else:
            self.start_name = resolver.node(self._start, "Repeat")

    def successors(self) -> list[tuple[str, str | None]]:
        return [("repeat", self.start_name)]

    def skip_targets(self) -> tuple[str | None, ...]:
        return (self.start_name,)

    def check(self) -> list:
        name = f"{self.automation_class.__name__}.{self.name}"
        if not self.spec.configured:
            return [
                checks.Error(
                    f"{name}: Repeat() has no schedule.",
                    hint="Add one of .EveryNMinutes(m), .EveryHour(), .EveryDay(), "
                    ".EveryNDays(d) or .At(hour, minute).",
                    obj=self.automation_class,
                    id="automations.E108",
                )
            ]
        if self._at is not None and self._unit in ("minutes", "hours"):
            return [
                checks.Error(
                    f"{name}: Repeat().At() cannot be combined with an interval shorter than "
                    "a day.",
                    hint="Use .At(hour, minute) alone (daily) or with .EveryNDays(d).",
                    obj=self.automation_class,
                    id="automations.E108",
                )
            ]
        return []

    def run(self, ctx: StepContext) -> Advance | Wait:
        state = ctx.task.result if isinstance(ctx.task.result, dict) else {}
        if "due" in state:
            anchor, due = ctx.parse_time(state["anchor"]), ctx.parse_time(state["due"])
        else:
            previous = ctx.previous_result(self.name)
            anchor = ctx.parse_time(previous["anchor"]) if previous else ctx.now
            last_due = ctx.parse_time(previous["due"]) if previous else None
            due = next_repetition(
                self.spec, anchor=anchor, previous=last_due, now=ctx.now, tz=ctx.tz
            )
        state = {"anchor": anchor.isoformat(), "due": due.isoformat()}
        if ctx.now >= due:
            return Advance((self.start_name,), "Repeated", state)
        return Wait(earliest(due, ctx.deadline), WAIT_REPEAT, result=state)


class End(Node):
    """The automation ends here; its instance is marked finished."""

    continues = False

    def run(self, ctx: StepContext) -> Finish:
        return Finish()
