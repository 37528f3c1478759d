"""Background threads for ``nice()`` and ``Execute(..., threaded=True)``.

A thread starts only once the transaction that asked for it commits, uses its own
database connection and closes it when done. Its task stays due meanwhile: if the
process dies, the daemon or ``automation_step`` runs it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from django.db import connections, transaction

if TYPE_CHECKING:
    from ..automation import Automation

logger = logging.getLogger("automations.threads")

_started: list[threading.Thread] = []
_lock = threading.Lock()


def _start(target, name: str, using: str) -> None:
    def main() -> None:
        try:
            target()
        except Exception:  # loop boundary of the thread: log, never crash silently
            logger.exception("background automation thread failed")
        finally:
            connections.close_all()

    def launch() -> None:
        thread = threading.Thread(target=main, name=name, daemon=True)
        with _lock:
            _started[:] = [t for t in _started if t.is_alive()]
            _started.append(thread)
        thread.start()

    transaction.on_commit(launch, using=using)


def start_run_thread(cls: type[Automation], automation_id: int, using: str) -> None:
    """Run the instance's due tasks in a background thread (``nice()``)."""
    from .engine import run_instance

    _start(
        lambda: run_instance(cls._for_id(automation_id), dispatch_threads=False),
        f"automation-{automation_id}",
        using,
    )


def start_step_thread(cls: type[Automation], automation_id: int, task_id: int, using: str) -> None:
    """Run one task (and what follows) in a background thread (``threaded=True``)."""
    from .engine import run_chain

    _start(
        lambda: run_chain(cls._for_id(automation_id), task_id, dispatch_threads=False),
        f"automation-{automation_id}-task-{task_id}",
        using,
    )


def wait_for_threads(timeout: float | None = 10.0) -> None:
    """Join every background thread started so far (for tests and shutdown)."""
    with _lock:
        threads = list(_started)
    for thread in threads:
        thread.join(timeout)
