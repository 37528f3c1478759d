"""Telling whoever schedules wakes (the daemon) that a wait was created or moved earlier.

Announcements go out when the transaction commits, through the ``wake_scheduled``
signal; the daemon's wake channel listens to it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ..signals import wake_scheduled


def announce(wake_at: datetime | None, using: str) -> None:
    """Announce ``wake_at`` once the current transaction commits (at once outside one)."""
    if wake_at is None or not wake_scheduled.receivers:
        return
    transaction.on_commit(
        lambda: wake_scheduled.send(sender=None, wake_at=wake_at, using=using), using=using
    )
