"""Who may complete a task that waits for a person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

DEFAULT_BACKEND = "django.contrib.auth.backends.ModelBackend"


def users_with_permission(
    *,
    user_id: Any = None,
    user_lookup: dict | None = None,
    group: Any = None,
    group_lookup: dict | None = None,
    permissions: tuple[str, ...] | list[str] = (),
    include_superusers: bool = True,
    backend: str = DEFAULT_BACKEND,
):
    """Active users meeting every requirement given; superusers always, if asked.

    A task that requires nothing (a ``Form`` assigned to nobody) is for superusers
    only, as the check ``automations.W102`` says: it is not open to every user.
    """
    User = get_user_model()
    users = User._default_manager.filter(is_active=True)
    if not (user_id is not None or user_lookup or group is not None or group_lookup or permissions):
        users = users.none()
    for permission in permissions:
        holders = User._default_manager.with_perm(
            permission, include_superusers=False, backend=backend
        )
        users = users.filter(pk__in=holders.values("pk"))
    if user_id is not None:
        users = users.filter(pk=user_id)
    if user_lookup:
        users = users.filter(**user_lookup)
    if group is not None:
        users = users.filter(groups=group)
    if group_lookup:
        users = users.filter(**{f"groups__{key}": value for key, value in group_lookup.items()})
    if include_superusers:
        users = users | User._default_manager.filter(is_active=True, is_superuser=True)
    return users.distinct()


def may_complete(task: Any, user: Any) -> bool:
    """Whether ``user`` may see and complete ``task`` (superusers always may)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_active", True):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return task.get_users_with_permission(include_superusers=False).filter(pk=user.pk).exists()
