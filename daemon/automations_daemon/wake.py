"""Hearing wake announcements: PostgreSQL LISTEN, or a datagram socket elsewhere.

Each listener runs in a thread of its own and calls ``on_wake(datetime)`` for every
announcement. It never queries the database; a lost connection is logged and
re-opened with back-off while the daemon goes on (its resync catches up).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import datetime

from .logs import get_logger

log = get_logger("automations.daemon.wake")

BACKOFF = (0.5, 1, 2, 5, 10, 30)


def parse(payload: bytes | str) -> datetime | None:
    try:
        text = payload.decode() if isinstance(payload, bytes) else payload
        moment = datetime.fromisoformat(text.strip())
    except (UnicodeDecodeError, ValueError):
        log.warning("wake announcement ignored", payload=repr(payload)[:80])
        return None
    return moment if moment.tzinfo else None


class Listener(threading.Thread):
    """Base class: a daemon thread until ``stop()``."""

    kind = "none"

    def __init__(self, on_wake: Callable[[datetime], None]):
        super().__init__(name=f"wake-{self.kind}", daemon=True)
        self.on_wake = on_wake
        self.stopping = threading.Event()
        self.listening = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def deliver(self, payload: bytes | str) -> None:
        moment = parse(payload)
        if moment is not None:
            self.on_wake(moment)


class PostgresListener(Listener):
    """``LISTEN <channel>`` on a connection of its own (autocommit, no queries)."""

    kind = "postgres"

    def __init__(self, on_wake, connection_params: dict, channel: str):
        super().__init__(on_wake)
        self.params = connection_params
        self.channel = channel

    def run(self) -> None:
        import psycopg

        attempt = 0
        while not self.stopping.is_set():
            try:
                with psycopg.connect(**self.params, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    if attempt:
                        log.info("reconnect", channel="postgres", attempt=attempt)
                    attempt = 0
                    self.listening.set()
                    while not self.stopping.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self.deliver(notify.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]
                attempt += 1
                log.warning(
                    "wake channel lost",
                    channel="postgres",
                    error=str(exc).strip(),
                    retry_in_s=delay,
                )
                self.stopping.wait(delay)
        self.listening.clear()


class DatagramListener(Listener):
    """A UDP (``host:port``) or Unix datagram socket the web processes send to."""

    kind = "datagram"

    def __init__(self, on_wake, address: tuple):
        super().__init__(on_wake)
        self.family, self.address = address
        self.sock: socket.socket | None = None

    def bind(self) -> bool:
        """Open the socket; False (with a warning) if another process holds the address."""
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            if self.family == socket.AF_UNIX:
                import os

                if os.path.exists(self.address):
                    os.unlink(self.address)
            sock.bind(self.address)
        except OSError as exc:
            sock.close()
            log.warning(
                "wake channel unavailable, relying on resync",
                address=str(self.address),
                error=str(exc),
                hint="another daemon may listen there; on SQLite run one daemon per database",
            )
            return False
        sock.settimeout(1.0)
        self.sock = sock
        return True

    def bind_free(self) -> bool:
        """Whether the address is free (tried and released at once).

        A Unix socket file nobody reads any more (a daemon that was killed) counts as free.
        """
        if self.family == socket.AF_UNIX:
            import os

            if os.path.exists(self.address):
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
                    try:
                        probe.connect(self.address)
                        return False  # somebody listens there
                    except OSError:
                        os.unlink(self.address)  # stale
        try:
            with socket.socket(self.family, socket.SOCK_DGRAM) as sock:
                sock.bind(self.address)
        except OSError:
            return False
        if self.family == socket.AF_UNIX:
            import os

            os.unlink(self.address)
        return True

    def run(self) -> None:
        if self.sock is None and not self.bind():
            return
        self.listening.set()
        try:
            while not self.stopping.is_set():
                try:
                    payload = self.sock.recv(256)
                except TimeoutError:
                    continue
                except OSError as exc:
                    log.warning("wake channel error", error=str(exc))
                    self.stopping.wait(1)
                    continue
                self.deliver(payload)
        finally:
            self.listening.clear()
            self.sock.close()
            if self.family == socket.AF_UNIX:
                import contextlib
                import os

                with contextlib.suppress(OSError):
                    os.unlink(self.address)


def listener_for(using: str, on_wake) -> Listener | None:
    """The listener that fits the database behind ``using``."""
    from django.db import connections

    from automations import settings as app_settings

    connection = connections[using]
    if connection.vendor == "postgresql":
        return PostgresListener(
            on_wake, connection.get_connection_params(), app_settings.wake_channel()
        )
    return DatagramListener(on_wake, app_settings.wake_address())
