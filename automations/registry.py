"""Every automation class, recorded when it is created; and loading one by its path."""

from __future__ import annotations

import importlib
import sys
import weakref
from typing import TYPE_CHECKING

from .exceptions import AutomationClassNotFound

if TYPE_CHECKING:
    from .automation import Automation

_classes: weakref.WeakValueDictionary[str, type[Automation]] = weakref.WeakValueDictionary()


def register(cls: type[Automation]) -> None:
    _classes[cls._meta.path] = cls


def all_classes() -> list[type[Automation]]:
    """Every concrete automation class created so far, in a stable order."""
    return sorted(
        (cls for cls in list(_classes.values()) if not cls._meta.abstract),
        key=lambda cls: cls._meta.path,
    )


def load(path: str) -> type[Automation]:
    """The automation class stored under ``path`` (``module.ClassName``), imported if needed."""
    from .automation import Automation

    cls = _classes.get(path)
    if cls is not None:
        return cls
    module_name, _, qualname = path.rpartition(".")
    obj = None
    # Walk back over the dots: ``pkg.mod.Outer.Inner`` has the module ``pkg.mod``.
    while module_name:
        try:
            module = sys.modules.get(module_name) or importlib.import_module(module_name)
        except ImportError:
            module_name, _, head = module_name.rpartition(".")
            qualname = f"{head}.{qualname}"
            continue
        obj = module
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        break
    if not (isinstance(obj, type) and issubclass(obj, Automation)):
        raise AutomationClassNotFound(
            f"Cannot import the automation class {path!r}: it was renamed, moved or removed. "
            "Restore it (or a class at that path), or finish its instances."
        )
    return obj
