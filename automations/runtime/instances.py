"""Creating automation instances: their data, their uniqueness, their first task."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from .. import clock
from ..exceptions import DataNotSerializable
from ..models import AutomationModel, AutomationTaskModel
from .transactions import database_alias

if TYPE_CHECKING:
    from ..automation import Automation


def prepare_data(cls: type[Automation], kwargs: dict[str, Any]) -> tuple[dict, dict, dict]:
    """Constructor keywords as JSON ``data``; model instances by id.

    Returns ``(data, bound_models, model_objects)``.
    """
    meta = cls._meta
    data: dict[str, Any] = {}
    bound: dict[str, str] = {}
    objects: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, Model):
            if value.pk is None:
                raise ValueError(
                    f"{cls.__name__}({key}=...): the {type(value).__name__} has no id yet; "
                    "save it before starting the automation"
                )
            data[key] = value.pk
            objects[key] = value
            if key not in meta.model_bindings:
                bound[key] = value._meta.label
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise DataNotSerializable(
                f"{cls.__name__}({key}=...): {type(value).__name__} cannot be stored in the "
                f"automation's data, which must be JSON ({exc}). Pass numbers, strings, "
                "lists, dicts or a saved model instance (stored by its id)."
            ) from exc
        data[key] = value
    return data, bound, objects


def singleton_key(cls: type[Automation], data: dict[str, Any]) -> str | None:
    """The key that keeps a second running instance of a ``unique`` class from starting."""
    unique = cls.unique
    if not unique:
        return None
    if unique is True:
        basis = cls._meta.path
    else:
        missing = [key for key in unique if key not in data]
        if missing:
            raise TypeError(
                f"{cls.__name__}.unique = {tuple(unique)!r}: give "
                f"{', '.join(f'{key}=...' for key in missing)} when starting it"
            )
        values = json.dumps([data[key] for key in unique], sort_keys=True)
        basis = f"{cls._meta.path}\n{values}"
    return hashlib.sha256(basis.encode()).hexdigest()


def create(
    cls: type[Automation], kwargs: dict[str, Any], first_node: str | None = None
) -> tuple[AutomationModel, bool, dict]:
    """A new instance with its first task due now, or the running one it must not duplicate.

    Returns ``(row, created, model_objects)``.
    """
    data, bound, objects = prepare_data(cls, kwargs)
    key = singleton_key(cls, data)
    using = database_alias()
    first_node = first_node or cls._meta.first_node
    for _attempt in range(5):
        now = clock.now()
        try:
            with transaction.atomic(using=using):
                row = AutomationModel(
                    automation_class=cls._meta.path,
                    data=data,
                    bound_models=bound,
                    singleton_key=key,
                    created=now,
                    updated=now,
                )
                row.save(using=using, force_insert=True)
                AutomationTaskModel(
                    automation=row, status=first_node, created=now, wake_at=now
                ).save(using=using, force_insert=True)
        except IntegrityError:
            if key is None:
                raise
            existing = AutomationModel.objects.using(using).filter(singleton_key=key).first()
            if existing is not None:
                return existing, False, {}
            continue  # the running one finished meanwhile: try again
        return row, True, objects
    raise RuntimeError(f"could not start {cls.__name__}: its uniqueness key stayed contended")
