"""Pure time math: when is a task next worth looking at.

Nothing here reads a clock or the database. ``now`` is passed in, and user callables
are reached only through the ``evaluate`` function the caller supplies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import outcomes
from .references import Ref

ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Gates:
    """The waiting and skipping modifiers of one node, resolved."""

    skip_after: Ref | None = None
    skip_if: tuple[Ref, ...] = ()
    wait_kind: str | None = None  # "until" or "for"
    wait: Ref | None = None
    conditions: tuple[Ref, ...] = ()

    @property
    def empty(self) -> bool:
        return (
            self.skip_after is None
            and not self.skip_if
            and self.wait is None
            and not self.conditions
        )


@dataclass(frozen=True)
class Go:
    """Run the node now. ``deadline``: its SkipAfter time, still ahead, if any."""

    deadline: datetime | None = None


@dataclass(frozen=True)
class Skip:
    """Leave the node unprocessed (SkipIf true, or SkipAfter passed)."""


@dataclass(frozen=True)
class Hold:
    """Not yet: look again at ``wake_at``."""

    wake_at: datetime | None
    reason: str
    counts_check: bool = False


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the given moments, ignoring ``None``."""
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


def as_aware(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` with a time zone; a naive value is read in ``tz``."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=tz)
    return moment


def condition_recheck_at(
    now: datetime, checks: int, bounds: tuple[timedelta, timedelta]
) -> datetime:
    """Next look at a false ``AsSoonAs`` condition: the pause doubles after each look.

    ``checks`` is how many times the condition was found false before.
    """
    low, high = bounds
    pause = low * (2 ** min(checks, 32))
    return now + min(pause, high)


def plan_gates(
    gates: Gates,
    *,
    created: datetime,
    now: datetime,
    checks: int,
    evaluate: Callable[[Ref], Any],
    recheck_bounds: tuple[timedelta, timedelta],
    tz: tzinfo,
) -> Go | Skip | Hold:
    """Decide whether a node runs now, is skipped, or waits, and until when.

    Skips come first, as documented: a node past its ``SkipAfter`` time or with a true
    ``SkipIf`` is skipped even when its wait or condition is not yet satisfied.
    """
    deadline = None
    if gates.skip_after is not None:
        deadline = created + _timedelta(evaluate(gates.skip_after), "SkipAfter")
        if now >= deadline:
            return Skip()
    for condition in gates.skip_if:
        if evaluate(condition):
            return Skip()
    if gates.wait is not None:
        value = evaluate(gates.wait)
        if gates.wait_kind == "for":
            until = created + _timedelta(value, "AfterWaitingFor")
        else:
            until = _datetime(value, "AfterWaitingUntil", tz)
        if now < until:
            return Hold(earliest(until, deadline), outcomes.TIME)
    for condition in gates.conditions:
        if not evaluate(condition):
            recheck = condition_recheck_at(now, checks, recheck_bounds)
            return Hold(earliest(recheck, deadline), outcomes.CONDITION, counts_check=True)
    return Go(deadline)


def _timedelta(value: Any, modifier: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise TypeError(f".{modifier}() needs a timedelta, got {type(value).__name__}: {value!r}")
    return value


def _datetime(value: Any, modifier: str, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return as_aware(value, tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    raise TypeError(f".{modifier}() needs a datetime, got {type(value).__name__}: {value!r}")


# Repetitions ----------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatSpec:
    """How a ``Repeat`` node repeats: every ``every`` ``unit``, optionally at a time of day."""

    unit: str | None = None  # "minutes", "hours" or "days"
    every: int = 1
    at: tuple[int, int] | None = None

    @property
    def configured(self) -> bool:
        return self.unit is not None or self.at is not None


def _trigger(spec: RepeatSpec, anchor: datetime, tz: tzinfo):
    if spec.unit in ("minutes", "hours"):
        return IntervalTrigger(**{spec.unit: spec.every}, start_date=anchor, timezone=tz)
    local = anchor.astimezone(tz)
    hour, minute, second = (*spec.at, 0) if spec.at else (local.hour, local.minute, local.second)
    return CalendarIntervalTrigger(
        days=spec.every if spec.unit == "days" else 1,
        hour=hour,
        minute=minute,
        second=second,
        start_date=local.date(),
        timezone=tz,
    )


def next_repetition(
    spec: RepeatSpec, *, anchor: datetime, previous: datetime | None, now: datetime, tz: tzinfo
) -> datetime:
    """The next fire time of a Repeat node, later than ``now``.

    ``anchor`` is when the node first ran (intervals count from there); ``previous`` the
    last fire time, if any. Fire times missed while nothing ran collapse into one.
    Calendar math, time zones and DST are APScheduler's triggers' business.
    """
    trigger = _trigger(spec, anchor, tz)
    if previous is None and spec.at is None:
        previous = anchor  # the first run happened at the anchor itself
    fire = trigger.get_next_fire_time(previous, now)
    for _ in range(10_000):
        if fire is None or fire > now:
            break
        fire = trigger.get_next_fire_time(fire, now)
    else:  # very long outage with a short interval: jump straight to the present
        fire = trigger.get_next_fire_time(None, now + ONE_MICROSECOND)
    if fire is None:  # pragma: no cover - our triggers have no end date
        raise ValueError(f"{spec} has no fire time after {now}")
    return fire
