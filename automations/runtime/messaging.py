"""Messages between automations: receiving one, and delivering to any kind of target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import clock
from ..models import AutomationModel
from ..registry import load
from .engine import wake_condition_waiters
from .transactions import database_alias, lock_automation, step_transaction

if TYPE_CHECKING:
    from ..automation import Automation


def receive(instance: Automation, message: str, token: Any, data: Any) -> Any:
    """Hand a message to ``instance``'s receiver, with the instance locked.

    The receiver sees fresh ``data``; its ``self.save()`` cannot lose another
    worker's update. Conditions of the instance are looked at again at once.
    """
    cls = type(instance)
    if instance._db is None or not cls.satisfies_data_requirements(message, data):
        return None
    using = database_alias()
    with step_transaction(using):
        row = lock_automation(using, instance._db.pk)
        if row is None or row.finished:
            return None
        instance._db = row
        result = getattr(instance, f"receive_{message}")(token, data)
        if cls._meta.has_conditions:
            wake_condition_waiters(row.pk, clock.now(), using)
    return result


def deliver(target: Any, message: str, token: Any, data: Any) -> list[Any]:
    """Send to an id, an instance, a class (all running instances) or a dotted path."""
    from ..automation import Automation

    if isinstance(target, Automation):
        return [target.send_message(message, token, data)]
    if isinstance(target, AutomationModel):
        return [target.instance.send_message(message, token, data)]
    if isinstance(target, int) and not isinstance(target, bool):
        row = AutomationModel.objects.filter(pk=target).first()
        if row is None or row.finished:
            return [None]
        return [row.instance.send_message(message, token, data)]
    if isinstance(target, str):
        return load(target).broadcast_message(message, token, data)
    if isinstance(target, type) and issubclass(target, Automation):
        return target.broadcast_message(message, token, data)
    raise TypeError(
        "SendMessage target must be an automation id, instance, class or dotted path, "
        f"got {type(target).__name__}: {target!r}"
    )
