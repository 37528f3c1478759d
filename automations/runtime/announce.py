"""Telling schedulers (the daemon) that a wait was created or moved earlier.

PostgreSQL: ``NOTIFY`` on ``ATM_WAKE_CHANNEL`` inside the transaction, so that it is
delivered exactly when the wait is committed. Other databases: a datagram to
``ATM_WAKE_ADDRESS`` once the transaction commits; sending never blocks and never
fails the sender. The ``wake_scheduled`` signal goes out after the commit as well.

A chain of steps collects its announcements and sends one, the earliest, before it
commits. The daemon runs its own passes quietly: it reschedules itself afterwards.
"""

from __future__ import annotations

import contextvars
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial

from django.db import connections, transaction

from .. import settings as app_settings
from ..signals import wake_scheduled

logger = logging.getLogger("automations.wake")

_QUIET = object()
_collector: contextvars.ContextVar = contextvars.ContextVar("automations_wake", default=None)


@contextmanager
def collecting() -> Iterator[list]:
    """Collect announcements; the caller sends the earliest (``box[0]``) itself."""
    box: list = [None]
    token = _collector.set(box)
    try:
        yield box
    finally:
        _collector.reset(token)


@contextmanager
def quiet() -> Iterator[None]:
    """Announce nothing (the daemon's passes: it knows its next wake already)."""
    token = _collector.set(_QUIET)
    try:
        yield
    finally:
        _collector.reset(token)


def announce(wake_at: datetime | None, using: str) -> None:
    """A wait until ``wake_at`` was created (or moved earlier) in this transaction."""
    if wake_at is None:
        return
    box = _collector.get()
    if box is _QUIET:
        return
    if box is not None:
        box[0] = wake_at if box[0] is None else min(box[0], wake_at)
        return
    send(wake_at, using)


def flush(box: list, using: str) -> None:
    """Send what a ``collecting()`` block gathered (call it inside the transaction)."""
    if box[0] is not None and _collector.get() is not _QUIET:
        send(box[0], using)
        box[0] = None


def send(wake_at: datetime, using: str) -> None:
    payload = wake_at.astimezone(UTC).isoformat()
    if app_settings.wake_announcements():
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [app_settings.wake_channel(), payload])
        else:
            transaction.on_commit(
                partial(send_datagram, app_settings.wake_address(), payload), using=using
            )
    if wake_scheduled.receivers:
        transaction.on_commit(
            lambda: wake_scheduled.send(sender=None, wake_at=wake_at, using=using), using=using
        )


def send_datagram(address: tuple, payload: str) -> None:
    """One datagram to the daemon's wake socket; never blocks, never raises."""
    family, target = address
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(payload.encode(), target)
    except OSError as exc:  # nobody listening, buffer full: the daemon's resync catches up
        logger.debug("wake datagram not sent: %s", exc)
