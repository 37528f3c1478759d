"""Starting real ``automations-daemon`` processes against the test database."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def daemon_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process that uses this test run's database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "ATM_TEST_DB": os.environ.get("ATM_TEST_DB", "sqlite"),
        "ATM_TEST_DB_NAME": connection.settings_dict["NAME"],
        "ATM_TEST_RUN_ID": os.environ.get("ATM_TEST_RUN_ID", str(os.getpid())),
        "PYTHONPATH": str(ROOT),
        "ATM_DAEMON_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class DaemonProcess:
    """``python -m automations_daemon <args>``; its JSON log lines are collected as events."""

    def __init__(self, *args: str, **env: str):
        self.events: list[dict] = []
        self.raw: list[str] = []
        self._new: queue.Queue = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "automations_daemon", *(args or ("run",))],
            env=daemon_env(**env),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.raw.append(line)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                self.events.append(event)
                self._new.put(event)

    def wait_for(self, name: str, timeout: float = 30, **fields) -> dict:
        """The first event called ``name`` (with these field values), waiting if needed."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                seen += 1
                if event.get("event") == name and all(event.get(k) == v for k, v in fields.items()):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.proc.poll() is not None and self._new.empty()):
                raise AssertionError(
                    f"no {name!r} event within {timeout}s; output:\n{''.join(self.raw[-40:])}"
                )
            with contextlib.suppress(queue.Empty):
                self._new.get(timeout=min(remaining, 0.2))

    def named(self, name: str) -> list[dict]:
        return [event for event in self.events if event.get("event") == name]

    def terminate(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> int:
        self.proc.kill()
        return self.wait(10)

    def wait(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def __enter__(self) -> DaemonProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait(10)
