"""Signals sent by django-automations."""

from django.dispatch import Signal

#: Sent after a commit that created a wait or moved one earlier; ``wake_at``, ``using``.
wake_scheduled = Signal()
