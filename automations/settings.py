"""Project settings read by django-automations, with their defaults.

Every value is read when it is needed, so ``override_settings`` works in tests.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

#: Longest ``AutomationTaskModel.message``; longer messages are cut.
MAX_FIELD_LENGTH = 256

DEFAULT_FORM_VIEW_CONTEXT: dict[str, Any] = {
    "submit_classes": "atm-button atm-button-primary",
    "back_classes": "atm-button",
}

GROUP_AND_PERMISSION_SETTINGS = (
    "ATM_GROUP_MODEL",
    "ATM_USER_WITH_PERMISSIONS_FORM_METHOD",
    "ATM_USER_WITH_PERMISSIONS_MODEL_METHOD",
)


def _get(name: str, default: Any, settings=None) -> Any:
    return getattr(settings or django_settings, name, default)


def check_group_and_permission_settings(settings=None) -> None:
    """Raise ``ImproperlyConfigured`` unless all three or none of the settings are set."""
    settings = settings or django_settings
    present = [name for name in GROUP_AND_PERMISSION_SETTINGS if hasattr(settings, name)]
    if present and len(present) != len(GROUP_AND_PERMISSION_SETTINGS):
        missing = [name for name in GROUP_AND_PERMISSION_SETTINGS if name not in present]
        raise ImproperlyConfigured(
            f"django-automations: {', '.join(present)} is set but {', '.join(missing)} "
            "is not. Set all three of ATM_GROUP_MODEL, ATM_USER_WITH_PERMISSIONS_FORM_METHOD "
            "and ATM_USER_WITH_PERMISSIONS_MODEL_METHOD, or none of them."
        )


def group_model_label(settings=None) -> str:
    """``app_label.ModelName`` of the model tasks are assigned to as groups."""
    check_group_and_permission_settings(settings)
    return _get("ATM_GROUP_MODEL", "auth.Group", settings)


def get_group_model(settings=None):
    """The group model class (``auth.Group`` unless ``ATM_GROUP_MODEL`` says otherwise)."""
    label = group_model_label(settings)
    try:
        return django_apps.get_model(label, require_ready=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"ATM_GROUP_MODEL must be of the form 'app_label.ModelName', not {label!r}"
        ) from exc
    except LookupError as exc:
        raise ImproperlyConfigured(
            f"ATM_GROUP_MODEL refers to {label!r}, which is not an installed model"
        ) from exc


def _import_method(setting: str, settings=None) -> Callable | None:
    check_group_and_permission_settings(settings)
    value = _get(setting, None, settings)
    if value is None or callable(value):
        return value
    try:
        return import_string(value)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting} = {value!r} cannot be imported: {exc}") from exc


def get_users_with_permission_form_method(settings=None) -> Callable | None:
    """Replacement for ``Form.get_users_with_permission`` or ``None``."""
    return _import_method("ATM_USER_WITH_PERMISSIONS_FORM_METHOD", settings)


def get_users_with_permission_model_method(settings=None) -> Callable | None:
    """Replacement for ``AutomationTaskModel.get_users_with_permission`` or ``None``."""
    return _import_method("ATM_USER_WITH_PERMISSIONS_MODEL_METHOD", settings)


def form_view_context() -> dict[str, Any]:
    """Project-wide extra context for form views (``ATM_FORM_VIEW_CONTEXT``)."""
    return dict(_get("ATM_FORM_VIEW_CONTEXT", DEFAULT_FORM_VIEW_CONTEXT))


def condition_recheck_bounds() -> tuple[timedelta, timedelta]:
    """First and longest pause before a false ``AsSoonAs`` condition is looked at again.

    ``ATM_CONDITION_RECHECK_MIN`` (seconds, default 60) and
    ``ATM_CONDITION_RECHECK_MAX`` (seconds, default 3600).
    """
    low = float(_get("ATM_CONDITION_RECHECK_MIN", 60))
    high = float(_get("ATM_CONDITION_RECHECK_MAX", 3600))
    if low <= 0 or high < low:
        raise ImproperlyConfigured(
            "ATM_CONDITION_RECHECK_MIN must be positive and not above ATM_CONDITION_RECHECK_MAX "
            f"(got {low} and {high})"
        )
    return timedelta(seconds=low), timedelta(seconds=high)


def step_batch_size() -> int:
    """How many due tasks one sweep fetches per query (``ATM_STEP_BATCH_SIZE``)."""
    return int(_get("ATM_STEP_BATCH_SIZE", 200))


def steps_per_transaction() -> int:
    """Most steps one chain runs before it commits (``ATM_STEPS_PER_TRANSACTION``).

    Bounds how long a chain holds its instance's lock and how much a crash rolls back.
    """
    value = int(_get("ATM_STEPS_PER_TRANSACTION", 50))
    if value < 1:
        raise ImproperlyConfigured(f"ATM_STEPS_PER_TRANSACTION must be at least 1, got {value}")
    return value


def wake_announcements() -> bool:
    """Whether waits are announced to the daemon (``ATM_WAKE_ANNOUNCE``, default True)."""
    return bool(_get("ATM_WAKE_ANNOUNCE", True))


def wake_channel() -> str:
    """PostgreSQL ``NOTIFY`` channel of wake announcements (``ATM_WAKE_CHANNEL``)."""
    channel = _get("ATM_WAKE_CHANNEL", "automations_wake")
    if not isinstance(channel, str) or not channel.isidentifier():
        raise ImproperlyConfigured(f"ATM_WAKE_CHANNEL must be an identifier, got {channel!r}")
    return channel


def wake_address() -> tuple:
    """``(family, address)`` of the daemon's wake socket on databases without NOTIFY.

    ``ATM_WAKE_ADDRESS``: ``"host:port"`` (UDP, default ``"127.0.0.1:47125"``) or an
    absolute path (a Unix datagram socket).
    """
    import socket

    value = str(_get("ATM_WAKE_ADDRESS", "127.0.0.1:47125"))
    if value.startswith("/"):
        return socket.AF_UNIX, value
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(
            f"ATM_WAKE_ADDRESS must be 'host:port' or an absolute path, got {value!r}"
        )
    return socket.AF_INET6 if ":" in host else socket.AF_INET, (host.strip("[]"), int(port))


def daemon_resync() -> float:
    """Seconds between two resyncs of the daemon's next wake (``ATM_DAEMON_RESYNC``)."""
    value = float(_get("ATM_DAEMON_RESYNC", 60))
    if value <= 0:
        raise ImproperlyConfigured(f"ATM_DAEMON_RESYNC must be positive, got {value}")
    return value


def task_list_templates() -> tuple:
    return tuple(
        _get(
            "ATM_TASK_LIST_TEMPLATES",
            (("automations/includes/task_list.html", "Default template"),),
        )
    )
