"""Forward references inside an automation class body: ``this.x``, ``"self.x"``, ``"x"``.

While the class body runs there is no ``self``; ``this.name`` records the name and
the class resolves it once, when it is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ThisAttribute:
    """A reference to the attribute ``name`` of the automation (a node or a member)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"this.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ThisAttribute) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("this", self.name))


class This:
    """Factory of forward references: ``this.start`` stands for ``self.start``."""

    def __getattr__(self, name: str) -> ThisAttribute:
        if name.startswith("__"):
            raise AttributeError(name)
        return ThisAttribute(name)

    def __repr__(self) -> str:
        return "this"


this = This()


def reference_name(value: Any, *, plain_strings: bool) -> str | None:
    """The attribute name ``value`` refers to, or ``None`` if it is not a reference.

    ``plain_strings``: whether ``"x"`` (without ``self.``) counts as a reference.
    """
    if isinstance(value, ThisAttribute):
        return value.name
    if isinstance(value, str):
        if value.startswith("self."):
            return value[5:]
        if plain_strings and value.isidentifier():
            return value
    return None


# Resolved forms, built once per automation class -------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """An attribute of the automation instance; called with the task if callable."""

    name: str


@dataclass(frozen=True, slots=True)
class Function:
    """A plain callable, called with the task."""

    func: Any


@dataclass(frozen=True, slots=True)
class Value:
    """A constant."""

    value: Any


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """An attribute of the automation instance, passed on as it is (not called)."""

    name: str


Ref = Member | Function | Value
