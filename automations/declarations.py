"""Collecting an automation class's declarations, once, when the class is created.

``AutomationOptions`` (``cls._meta``) holds the nodes in declaration order, their
resolved references, the Meta options and the problems found; the graph checks run
lazily and are reported by Django's system checks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.core import checks

from .nodes import End, Join, Node, Split
from .references import AttributeValue, Function, Member, Ref, Value, reference_name

if TYPE_CHECKING:
    from .automation import Automation

#: Names a node must not take: they would hide the automation's own API.
DOCUMENTED_RESERVED = frozenset(
    {
        "broadcast_message",
        "create_on_message",
        "data",
        "dispatch_message",
        "finished",
        "get_automation_class_name",
        "get_key",
        "get_model_instance",
        "get_verbose_name",
        "get_verbose_name_plural",
        "id",
        "kill",
        "model_class",
        "nice",
        "on",
        "on_signal",
        "run",
        "satisfies_data_requirements",
        "save",
        "send_message",
        "unique",
    }
)


class ModelBinding:
    """Class attribute standing for a model instance whose id is kept in ``data``."""

    def __init__(self, model: type, name: str):
        self.model = model
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.get_model_instance(self.model, self.name)


def _is_model_class(value: Any) -> bool:
    from django.db.models import Model

    return isinstance(value, type) and issubclass(value, Model)


class Resolver:
    """Resolves the references of one automation class's nodes, recording problems."""

    def __init__(self, cls: type, nodes: dict[str, Node], originals: dict[int, str]):
        self.cls = cls
        self.nodes = nodes
        self.originals = originals
        self.first_node = next(iter(nodes), None)
        self.problems: list[checks.CheckMessage] = []
        self.current = ""
        #: Nodes with a reference that did not resolve (their edges are not followed).
        self.broken: set[str] = set()

    def _where(self) -> str:
        return f"{self.cls.__name__}.{self.current}"

    def _problem(self, level, message: str, hint: str, id_: str) -> None:
        if level is checks.Error:
            self.broken.add(self.current)
        self.problems.append(level(f"{self._where()}: {message}", hint=hint, obj=self.cls, id=id_))

    def _missing(self, modifier: str, name: str, what: str, level=checks.Error) -> None:
        names = ", ".join(self.nodes) or "none"
        self._problem(
            level,
            f".{modifier}() refers to {name!r}, which is not {what} of {self.cls.__name__}.",
            f"Check the spelling. Nodes of {self.cls.__name__}: {names}.",
            "automations.E101" if level is checks.Error else "automations.W103",
        )

    def node(self, raw: Any, modifier: str) -> str | None:
        """Name of the node ``raw`` refers to (``this.x``, ``"self.x"``, ``"x"`` or a node)."""
        if isinstance(raw, Node):
            name = self.originals.get(id(raw)) or self.originals.get(id(raw._declared))
            if name is None:
                self._problem(
                    checks.Error,
                    f".{modifier}() was given a node that is not part of {self.cls.__name__}.",
                    "Refer to nodes of the same automation, e.g. this.name.",
                    "automations.E101",
                )
            return name
        name = reference_name(raw, plain_strings=True)
        if name not in self.nodes:
            self._missing(modifier, name, "a node")
            return None
        return name

    def callable(self, raw: Any, modifier: str, *, plain_strings: bool = False) -> Ref:
        """A condition, wait or value: a member reference, a callable or a constant."""
        name = reference_name(raw, plain_strings=plain_strings)
        if name is not None:
            if name in self.nodes:
                self._problem(
                    checks.Error,
                    f".{modifier}() refers to the node {name!r}, where a method or value is "
                    "expected.",
                    "Refer to a method of the automation (or a callable taking the task).",
                    "automations.E101",
                )
            elif not hasattr(self.cls, name):
                self._missing(modifier, name, "a method or attribute")
            return Member(name)
        if callable(raw) and not isinstance(raw, Node):
            return Function(raw)
        return Value(raw)

    def action(self, raw: Any, modifier: str) -> Ref | None:
        """Something to call: a method reference or a callable."""
        if isinstance(raw, Node):
            self._problem(
                checks.Error,
                f"{modifier}() was given a node, where a callable is expected.",
                "To continue with a node use .Next(node); Execute() runs a callable.",
                "automations.E111",
            )
            return None
        name = reference_name(raw, plain_strings=True)
        if name is not None:
            if name in self.nodes:
                self._problem(
                    checks.Error,
                    f"{modifier}() refers to the node {name!r}, where a callable is expected.",
                    "To continue with a node use .Next(node); Execute() runs a callable.",
                    "automations.E111",
                )
                return None
            if not hasattr(self.cls, name):
                self._missing(modifier, name, "a method")
            return Member(name)
        if callable(raw):
            return Function(raw)
        self._problem(
            checks.Error,
            f"{modifier}() needs a callable, got {type(raw).__name__}: {raw!r}.",
            "Pass a function, a lambda, this.method or 'self.method'.",
            "automations.E111",
        )
        return None

    def node_or_action(self, raw: Any, modifier: str) -> tuple[str, Any]:
        """For ``.Then`` / ``.Else``: a node to jump to, or a callable to run."""
        if isinstance(raw, Node):
            return ("node", self.node(raw, modifier))
        name = reference_name(raw, plain_strings=True)
        if name is not None:
            if name in self.nodes:
                return ("node", name)
            if hasattr(self.cls, name):
                return ("action", Member(name))
            self._missing(modifier, name, "a node or method")
            return ("node", None)
        return ("action", self.action(raw, modifier))

    def argument(self, raw: Any) -> AttributeValue | Value:
        """An argument handed on to a callable: ``this.x`` becomes the attribute's value."""
        name = reference_name(raw, plain_strings=False)
        if name is None:
            return Value(raw)
        if not hasattr(self.cls, name) and name not in self.nodes:
            # May still be a model bound per instance; said as a warning.
            self._missing("argument", name, "an attribute", level=checks.Warning)
        return AttributeValue(name)

    def lookup_value(self, raw: Any) -> Ref:
        """A value in a ``.User()`` / ``.Group()`` lookup; callables get the task."""
        return self.callable(raw, "lookup")


class AutomationOptions:
    """Everything declared on one automation class (its ``_meta``)."""

    def __init__(self, cls: type[Automation]):
        self.automation_class = cls
        self.path = f"{cls.__module__}.{cls.__qualname__}"
        own_meta = vars(cls).get("Meta")
        self.abstract = bool(getattr(own_meta, "abstract", False))
        self.verbose_name = getattr(own_meta, "verbose_name", None)
        self.verbose_name_plural = getattr(own_meta, "verbose_name_plural", None)
        self.templates = self._collect_templates(cls)
        self.dashboard_template = self.templates.pop(
            "dashboard_template", ("automations/includes/dashboard_item.html", "")
        )[0]
        self.nodes: dict[str, Node] = {}
        self.model_bindings: dict[str, type] = {}
        self.problems: list[checks.CheckMessage] = []
        self.broken: set[str] = set()
        self._graph_problems: list[checks.CheckMessage] | None = None
        self.extra_starts: set[str] = set()

    @staticmethod
    def _collect_templates(cls: type) -> dict[str, tuple[str, str]]:
        templates: dict[str, tuple[str, str]] = {}
        for klass in reversed(cls.__mro__):
            meta = vars(klass).get("Meta")
            for key, value in vars(meta).items() if meta else ():
                if key.endswith("_template") and not key.startswith("_"):
                    path, label = (value, "") if isinstance(value, str) else tuple(value)[:2]
                    templates[key] = (path, str(label) if label else "")
        return templates

    @property
    def first_node(self) -> str | None:
        return next(iter(self.nodes), None)

    @property
    def has_split(self) -> bool:
        return any(isinstance(node, Split) for node in self.nodes.values())

    @property
    def has_conditions(self) -> bool:
        return any(node.gates.conditions for node in self.nodes.values())

    @classmethod
    def build(
        cls, automation_class: type[Automation], reserved: frozenset[str]
    ) -> AutomationOptions:
        meta = cls(automation_class)
        declared: dict[str, Node] = {}
        for klass in reversed(automation_class.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Node):
                    declared[name] = value
                elif isinstance(value, ModelBinding):
                    meta.model_bindings[name] = value.model
                elif _is_model_class(value) and not name.startswith("_"):
                    meta.model_bindings[name] = value
                elif value is None and name in declared:
                    del declared[name]  # a subclass removes an inherited node
        for name, model in meta.model_bindings.items():
            if not isinstance(vars(automation_class).get(name), ModelBinding):
                setattr(automation_class, name, ModelBinding(model, name))

        originals = {id(node): name for name, node in declared.items()}
        names = list(declared)
        for position, name in enumerate(names):
            following = names[position + 1] if position + 1 < len(names) else None
            node = declared[name].bind_to_class(automation_class, name, following)
            meta.nodes[name] = node
            setattr(automation_class, name, node)
            meta._check_name(name, reserved)

        resolver = Resolver(automation_class, meta.nodes, originals)
        for name, node in meta.nodes.items():
            resolver.current = name
            node.resolve_references(resolver)
        meta.problems.extend(resolver.problems)
        meta.broken = resolver.broken
        for node in meta.nodes.values():
            meta.problems.extend(node.check())
        if not meta.nodes and not meta.abstract:
            meta.problems.append(
                checks.Error(
                    f"{automation_class.__name__} declares no nodes.",
                    hint="Add nodes as class attributes, e.g. start = flow.Execute(this.init), "
                    "or mark a base class with Meta.abstract = True.",
                    obj=automation_class,
                    id="automations.E109",
                )
            )
        return meta

    def _check_name(self, name: str, reserved: frozenset[str]) -> None:
        cls = self.automation_class
        if name.startswith("_"):
            self.problems.append(
                checks.Error(
                    f"{cls.__name__}.{name}: node names must not start with an underscore.",
                    hint="Names beginning with '_' are reserved; rename the node.",
                    obj=cls,
                    id="automations.E102",
                )
            )
        elif name in reserved:
            self.problems.append(
                checks.Error(
                    f"{cls.__name__}.{name}: the node name {name!r} hides Automation.{name}.",
                    hint=f"Rename the node (e.g. {name}_step); names such as data, id, save, "
                    "run and send_message belong to the automation's API.",
                    obj=cls,
                    id="automations.E102",
                )
            )

    # Checks -------------------------------------------------------------------------

    def check(self) -> list[checks.CheckMessage]:
        """All problems of this class: from its creation and from its flow graph."""
        if self.abstract:
            return []
        if self._graph_problems is None:
            self._graph_problems = analyse_graph(self)
        return [*self.problems, *self._graph_problems]

    def errors(self) -> list[checks.CheckMessage]:
        return [problem for problem in self.check() if problem.is_serious()]

    def add_start(self, name: str) -> None:
        """Another entry point (e.g. ``on_signal(start=...)``); re-runs the graph checks."""
        self.extra_starts.add(name)
        self._graph_problems = None


def analyse_graph(meta: AutomationOptions) -> list[checks.CheckMessage]:
    """Walk every path from the entry points, tracking which Splits are open."""
    cls = meta.automation_class
    nodes = meta.nodes
    problems: list[checks.CheckMessage] = []
    said: set[tuple] = set()

    def problem(key: tuple, message: str, hint: str, id_: str) -> None:
        if key not in said:
            said.add(key)
            problems.append(checks.Error(message, hint=hint, obj=cls, id=id_))

    reached: set[str] = set()
    joins_of: dict[str, set[str]] = defaultdict(set)
    starts = [meta.first_node, *sorted(meta.extra_starts)]
    todo: list[tuple[str | None, tuple[str, ...]]] = [(start, ()) for start in starts if start]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, splits = todo.pop()
        if name is None or name not in nodes or (name, splits) in seen:
            continue
        seen.add((name, splits))
        reached.add(name)
        node = nodes[name]
        edges = list(node.successors())
        if node.gates.skip_if or node.gates.skip_after is not None:
            edges += [("skip", target) for target in node.skip_targets()]
        if isinstance(node, Join):
            if not splits:
                problem(
                    ("join", name),
                    f"{cls.__name__}.{name}: this Join can be reached without a Split before it.",
                    "Every path into a Join must come from a Split().Next(...) path.",
                    "automations.E106",
                )
                continue
            joins_of[splits[-1]].add(name)
            splits = splits[:-1]
        elif isinstance(node, End):
            if splits:
                problem(
                    ("split-end", splits[-1]),
                    f"{cls.__name__}.{splits[-1]}: a path of this Split reaches the End node "
                    f"{name!r} without passing a Join.",
                    "Let every path of the Split meet again at one Join() before ending.",
                    "automations.E103",
                )
            continue
        elif isinstance(node, Split):
            if name in splits:
                continue  # a path loops back into its own Split: explored already
            splits = (*splits, name)
        for label, target in edges:
            if target is None:
                if name in meta.broken:
                    continue  # already reported as a reference that does not resolve
                if label in ("next", "then", "else", "skip", "branch"):
                    if splits:
                        problem(
                            ("split-end", splits[-1]),
                            f"{cls.__name__}.{splits[-1]}: a path of this Split runs past the "
                            f"last node (after {name!r}) without passing a Join.",
                            "Let every path of the Split meet again at one Join().",
                            "automations.E103",
                        )
                    problem(
                        ("past-end", name),
                        f"{cls.__name__}.{name}: the automation runs past its last node after "
                        f"{name!r}.",
                        "Add an End() node, or .Next(...) to where it should go on.",
                        "automations.E105",
                    )
                continue
            todo.append((target, splits))
    for split, joins in joins_of.items():
        if len(joins) > 1:
            problem(
                ("joins", split),
                f"{cls.__name__}.{split}: the paths of this Split meet at different Joins "
                f"({', '.join(sorted(joins))}).",
                "All paths started by one Split must arrive at the same Join().",
                "automations.E103",
            )
    for name in nodes:
        if name not in reached:
            problems.append(
                checks.Warning(
                    f"{cls.__name__}.{name}: this node can never be reached.",
                    hint="Refer to it with .Next(), .Then(), .Else(), .OnError() or "
                    "Split().Next(), or remove it.",
                    obj=cls,
                    id="automations.W101",
                )
            )
    return problems
