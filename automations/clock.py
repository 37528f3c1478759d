"""The one place the engine reads the time from.

Everything else receives ``now`` as an argument. Tests and
:class:`automations.testing.FakeClock` replace the source here.
"""

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    """Current time, aware, from the installed source (the real clock by default)."""
    if _source is not None:
        return _source()
    return timezone.now()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Install a callable returning aware datetimes; ``None`` restores the real clock."""
    global _source
    _source = source
