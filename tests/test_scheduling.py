"""Pure time math: gates, condition back-off and repetitions (no database, no clock)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from automations import outcomes
from automations.references import Function, Value
from automations.scheduling import (
    Gates,
    Go,
    Hold,
    RepeatSpec,
    Skip,
    condition_recheck_at,
    earliest,
    next_repetition,
    plan_gates,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOUNDS = (timedelta(minutes=1), timedelta(hours=1))


def plan(gates, now, created=T0, checks=0):
    def evaluate(ref):
        return ref.func(None) if isinstance(ref, Function) else ref.value

    return plan_gates(
        gates,
        created=created,
        now=now,
        checks=checks,
        evaluate=evaluate,
        recheck_bounds=BOUNDS,
        tz=UTC,
    )


def test_no_gates_means_go():
    assert plan(Gates(), T0) == Go()


def test_wait_for_holds_until_created_plus_duration_then_goes():
    gates = Gates(wait_kind="for", wait=Value(timedelta(hours=2)))
    assert plan(gates, T0 + timedelta(hours=1)) == Hold(T0 + timedelta(hours=2), outcomes.TIME)
    assert plan(gates, T0 + timedelta(hours=2)) == Go()


def test_wait_until_accepts_naive_datetimes_in_the_given_zone_and_callables():
    gates = Gates(wait_kind="until", wait=Function(lambda task: datetime(2026, 3, 2, 12, 0)))
    assert plan(gates, T0) == Hold(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), outcomes.TIME)


def test_wait_of_the_wrong_type_says_which_modifier():
    gates = Gates(wait_kind="for", wait=Value("2 hours"))
    with pytest.raises(TypeError, match="AfterWaitingFor"):
        plan(gates, T0)


def test_skip_after_takes_precedence_over_a_longer_wait():
    gates = Gates(
        skip_after=Value(timedelta(hours=1)), wait_kind="for", wait=Value(timedelta(days=1))
    )
    # Before the deadline the task sleeps until the deadline, not until the wait ends.
    assert plan(gates, T0 + timedelta(minutes=30)) == Hold(T0 + timedelta(hours=1), outcomes.TIME)
    assert plan(gates, T0 + timedelta(hours=1)) == Skip()


def test_skip_if_takes_precedence_over_a_false_condition_and_a_wait():
    gates = Gates(
        skip_if=(Value(True),),
        wait_kind="for",
        wait=Value(timedelta(days=1)),
        conditions=(Value(False),),
    )
    assert plan(gates, T0) == Skip()


def test_a_false_condition_is_looked_at_again_with_growing_pauses_capped():
    gates = Gates(conditions=(Value(False),))
    assert plan(gates, T0, checks=0) == Hold(T0 + timedelta(minutes=1), outcomes.CONDITION, True)
    assert plan(gates, T0, checks=3) == Hold(T0 + timedelta(minutes=8), outcomes.CONDITION, True)
    assert plan(gates, T0, checks=30) == Hold(T0 + timedelta(hours=1), outcomes.CONDITION, True)


def test_a_false_condition_wakes_no_later_than_the_skip_deadline():
    gates = Gates(skip_after=Value(timedelta(seconds=30)), conditions=(Value(False),))
    assert plan(gates, T0) == Hold(T0 + timedelta(seconds=30), outcomes.CONDITION, True)


def test_conditions_are_looked_at_only_after_the_wait():
    looked = []
    gates = Gates(
        wait_kind="for",
        wait=Value(timedelta(hours=1)),
        conditions=(Function(lambda task: looked.append(1) or True),),
    )
    plan(gates, T0)
    assert looked == []
    assert plan(gates, T0 + timedelta(hours=1)) == Go()
    assert looked == [1]


def test_recheck_and_earliest_helpers():
    assert condition_recheck_at(T0, 1, BOUNDS) == T0 + timedelta(minutes=2)
    assert earliest(None, T0, T0 - timedelta(1)) == T0 - timedelta(1)
    assert earliest(None, None) is None


# Repetitions ------------------------------------------------------------------------


def test_every_n_minutes_counts_from_the_anchor_and_skips_missed_runs():
    spec = RepeatSpec(unit="minutes", every=30)
    anchor = datetime(2026, 3, 2, 9, 7, tzinfo=BERLIN)
    first = next_repetition(spec, anchor=anchor, previous=None, now=anchor, tz=BERLIN)
    assert first == datetime(2026, 3, 2, 9, 37, tzinfo=BERLIN)
    # Down for three hours: one run now-ish, aligned to the anchor, not six catch-up runs.
    late = datetime(2026, 3, 2, 12, 50, tzinfo=BERLIN)
    assert next_repetition(spec, anchor=anchor, previous=first, now=late, tz=BERLIN) == datetime(
        2026, 3, 2, 13, 7, tzinfo=BERLIN
    )


def test_every_hour_keeps_elapsed_time_across_the_spring_dst_change():
    spec = RepeatSpec(unit="hours", every=1)
    anchor = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # 00:30 UTC
    fire = next_repetition(spec, anchor=anchor, previous=None, now=anchor, tz=BERLIN)
    # 02:30 does not exist that night: one hour later is 03:30 CEST.
    assert fire.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert fire.astimezone(BERLIN).hour == 3


def test_every_day_keeps_the_wall_clock_time_across_dst():
    spec = RepeatSpec(unit="days", every=1)
    anchor = datetime(2026, 3, 28, 8, 15, tzinfo=BERLIN)
    fire = next_repetition(spec, anchor=anchor, previous=None, now=anchor, tz=BERLIN)
    assert fire.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 8, 15)
    # 23 hours of real time that day, not 24.
    assert fire.astimezone(UTC) - anchor.astimezone(UTC) == timedelta(hours=23)


def test_at_fires_at_that_local_hour_and_minute_every_day():
    spec = RepeatSpec(at=(21, 0))
    anchor = datetime(2026, 10, 24, 22, 5, tzinfo=BERLIN)  # after 21:00: next is tomorrow
    fire = next_repetition(spec, anchor=anchor, previous=None, now=anchor, tz=BERLIN)
    assert fire == datetime(2026, 10, 25, 21, 0, tzinfo=BERLIN)  # the day DST ends
    assert fire.utcoffset() == timedelta(hours=1)
    following = next_repetition(spec, anchor=anchor, previous=fire, now=fire, tz=BERLIN)
    assert following == datetime(2026, 10, 26, 21, 0, tzinfo=BERLIN)


def test_at_on_the_same_day_when_the_time_is_still_ahead():
    spec = RepeatSpec(at=(21, 30))
    anchor = datetime(2026, 6, 1, 8, 0, tzinfo=BERLIN)
    assert next_repetition(spec, anchor=anchor, previous=None, now=anchor, tz=BERLIN) == datetime(
        2026, 6, 1, 21, 30, tzinfo=BERLIN
    )


def test_every_n_days_at_a_time():
    spec = RepeatSpec(unit="days", every=3, at=(6, 45))
    anchor = datetime(2026, 6, 1, 8, 0, tzinfo=BERLIN)
    first = next_repetition(spec, anchor=anchor, previous=None, now=anchor, tz=BERLIN)
    assert first == datetime(2026, 6, 4, 6, 45, tzinfo=BERLIN)
    second = next_repetition(spec, anchor=anchor, previous=first, now=first, tz=BERLIN)
    assert second == datetime(2026, 6, 7, 6, 45, tzinfo=BERLIN)
