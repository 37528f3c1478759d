"""What a node asks the engine to do with its task: the contract between the two.

Nodes return one of these from ``run``; only the engine touches the database rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Why an open task is waiting (``AutomationTaskModel.wait_reason``).
DUE = ""  # ready to run as soon as a worker gets to it
TIME = "time"  # AfterWaitingUntil / AfterWaitingFor
CONDITION = "condition"  # AsSoonAs is still false
PERSON = "person"  # a Form waits for a user
JOIN = "join"  # arrived at a Join, other branches still running
REPEAT = "repeat"  # Repeat waits for its next fire time
THREAD = "thread"  # handed to a background thread (threaded=True)

WAIT_REASONS = (DUE, TIME, CONDITION, PERSON, JOIN, REPEAT, THREAD)

#: Marker: keep the successors in the split the current task belongs to.
SAME_BRANCH = object()
#: Marker: leave the task's ``result`` as it is.
KEEP = object()


@dataclass(frozen=True)
class Assignment:
    """Who may complete a task that waits for a person."""

    user_id: Any = None
    group_id: Any = None
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wait:
    """The task stays open until ``wake_at`` (``None``: until something else moves it)."""

    wake_at: datetime | None
    reason: str
    #: New value for the task's ``result`` (state the node keeps between wakes).
    result: Any = KEEP
    assignment: Assignment | None = None
    counts_check: bool = False


@dataclass(frozen=True)
class Advance:
    """The task is done; the automation goes on with ``targets`` (node names)."""

    targets: tuple[str | None, ...]
    message: str = "OK"
    result: Any = None
    #: Split context of the new tasks: ``SAME_BRANCH``, a split task id, or ``None``.
    branch_of: Any = SAME_BRANCH
    #: Tasks waiting at a Join that this arrival releases.
    release: tuple[int, ...] = ()


@dataclass(frozen=True)
class Finish:
    """The automation has reached its end."""

    message: str = "Finished"


Outcome = Wait | Advance | Finish
