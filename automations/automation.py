"""``flow.Automation``: the base class of every automation, and its instances' API."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils.functional import classproperty

from . import clock, registry
from .declarations import DOCUMENTED_RESERVED, AutomationOptions
from .exceptions import (
    AutomationFinished,
    AutomationNotFound,
    DeclarationError,
    WrongAutomationClass,
)
from .nodes import Node
from .references import reference_name

logger = logging.getLogger("automations")

SPECIAL_KEYWORDS = ("automation", "automation_id", "autorun")


class _ClassBody(dict):
    """The namespace of an automation class body; notices a node replaced by a later
    definition of the same name (``remind = Execute(...)`` ... ``def remind(...)``)."""

    def __init__(self):
        super().__init__()
        self.replaced: list[tuple[str, str]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        old = self.get(key)
        if isinstance(old, Node) and old is not value:
            self.replaced.append((key, type(value).__name__))
        super().__setitem__(key, value)


class AutomationType(type):
    """Metaclass of automations: only to see the class body as it is written."""

    @classmethod
    def __prepare__(mcls, name: str, bases: tuple, **kwargs: Any) -> dict:
        return _ClassBody()

    def __new__(mcls, name: str, bases: tuple, namespace: dict, **kwargs: Any):
        body = dict(namespace)
        body["_replaced_nodes"] = tuple(getattr(namespace, "replaced", ()))
        return super().__new__(mcls, name, bases, body, **kwargs)


class Automation(metaclass=AutomationType):
    """Subclass with nodes as attributes; instantiate to start (or bind) an instance.

    ``MyAutomation(**data)`` starts a new instance whose ``data`` holds the keywords
    (model instances by id); ``MyAutomation(automation_id=3)`` or
    ``MyAutomation(automation=row_or_key)`` works with an existing one.
    """

    #: ``True``: one running instance at a time. A tuple of data keys: one per value.
    unique: bool | tuple[str, ...] = False
    #: Offer this class's ``receive_*`` methods to CMS page authors.
    publish_receivers = False
    #: Template for all forms of this automation (a node's ``template_name`` wins).
    default_template_name: str | None = None
    #: Extra context for the form views of this automation.
    context: dict[str, Any] = {}

    _meta: AutomationOptions

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls._meta = AutomationOptions.build(cls, RESERVED_NAMES)
        _check_unique_declaration(cls)
        _check_replaced_nodes(cls)
        registry.register(cls)

    @classproperty
    def model_class(cls):
        from .models import AutomationModel

        return AutomationModel

    # Creating and binding ---------------------------------------------------------

    def __init__(self, **kwargs: Any):
        cls = type(self)
        _require_usable(cls)
        autorun = kwargs.pop("autorun", None)
        self._bound_nodes: dict[str, Node] = {}
        self._models: dict[str, Any] = {}
        self._created = False
        if "automation" in kwargs or "automation_id" in kwargs:
            self._db = self._find_row(kwargs)
        else:
            from .runtime.instances import create

            self._db, self._created, self._models = create(cls, kwargs)
        runs = (autorun is None and self._created) or autorun is True
        if runs and not self.is_finished():
            self.run()
        elif self._created:  # its first task is due now: tell the scheduler
            from .runtime.announce import announce
            from .runtime.transactions import database_alias

            announce(clock.now(), database_alias())

    def _find_row(self, kwargs: dict[str, Any]):
        from .models import AutomationModel

        cls = type(self)
        given = kwargs.pop("automation", None)
        automation_id = kwargs.pop("automation_id", None)
        if kwargs:
            raise TypeError(
                f"{cls.__name__}(automation=... / automation_id=...) binds to an existing "
                f"instance and takes no data; got {', '.join(sorted(kwargs))}"
            )
        if isinstance(given, AutomationModel):
            row = given
        else:
            lookup = {"key": given} if given is not None else {"pk": automation_id}
            row = AutomationModel.objects.filter(**lookup).first()
            if row is None:
                raise AutomationNotFound(f"No automation instance with {lookup}")
        if row.automation_class != cls._meta.path:
            raise WrongAutomationClass(
                f"Automation #{row.pk} is a {row.automation_class}, not a {cls._meta.path}"
            )
        return row

    @classmethod
    def _from_row(cls, row) -> Automation:
        """An instance object for an existing row, without a query."""
        instance = cls.__new__(cls)
        instance._db = row
        instance._bound_nodes = {}
        instance._models = {}
        instance._created = False
        return instance

    @classmethod
    def _for_id(cls, automation_id: int) -> Automation:
        """An instance object for an id; the first step loads the row."""
        from .models import AutomationModel

        return cls._from_row(AutomationModel(pk=automation_id, automation_class=cls._meta.path))

    def _bound_node(self, node: Node) -> Node:
        bound = self._bound_nodes.get(node.name)
        if bound is None:
            bound = self._bound_nodes[node.name] = node.bound_to(self)
        return bound

    # State ------------------------------------------------------------------------

    @property
    def id(self) -> int | None:
        return self._db.pk if self._db is not None else None

    @property
    def data(self) -> dict:
        """The instance's JSON data; call ``save()`` after changing it."""
        if self._db is None:
            raise AutomationFinished(f"{self} was killed; it has no data")
        return self._db.get_data()

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write ``data`` back to the database."""
        if self._db is None:
            raise AutomationFinished(f"{self} was killed; nothing to save")
        kwargs.setdefault("update_fields", ["data"])
        self._db.save(*args, **kwargs)

    @contextmanager
    def locked(self) -> Iterator[Automation]:
        """Lock the instance and read fresh ``data``: for read-modify-write outside a step."""
        from .runtime.transactions import database_alias, lock_automation, step_transaction

        using = database_alias()
        with step_transaction(using):
            row = lock_automation(using, self._db.pk)
            if row is None:
                raise AutomationNotFound(f"{self} no longer exists")
            self._db = row
            yield self

    def is_finished(self) -> bool:
        """Whether the instance has ended (or was stopped by an error, or killed)."""
        return self._db is None or self._db.finished

    def finished(self) -> bool:
        return self.is_finished()

    def killed(self) -> bool:
        return self._db is None

    def kill(self) -> None:
        """Delete the instance and its whole history."""
        if self._db is not None:
            self._db.delete()
            self._db = None

    def get_key(self) -> str:
        """A stable, unguessable key for this instance (e.g. for ``?key=`` links)."""
        if self._db is None:
            raise AutomationFinished("a killed automation has no key")
        return self._db.key

    @classmethod
    def get_automation_class_name(cls) -> str:
        return cls._meta.path

    @classmethod
    def get_verbose_name(cls) -> str:
        return cls._meta.verbose_name or f"Automation {cls.__name__}"

    @classmethod
    def get_verbose_name_plural(cls) -> str:
        return cls._meta.verbose_name_plural or f"Automations {cls.__name__}"

    # Bound model instances ----------------------------------------------------------

    def get_model_instance(self, model: type, name: str) -> Any:
        """The ``model`` instance whose id is ``data[name]`` (loaded once)."""
        if name not in self._models:
            pk = self.data.get(name)
            self._models[name] = None if pk is None else model._default_manager.get(pk=pk)
        return self._models[name]

    def bind_model(self, name: str, obj: Any) -> None:
        """Keep ``obj`` as the instance bound under ``name`` (its id must be in data)."""
        self._models[name] = obj
        if name not in type(self)._meta.model_bindings and self._db is not None:
            self._db.bound_models[name] = obj._meta.label

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: model instances passed as keywords.
        if not name.startswith("_"):
            row = self.__dict__.get("_db")
            label = (row.bound_models or {}).get(name) if row is not None else None
            if label is not None:
                from django.apps import apps

                return self.get_model_instance(apps.get_model(label), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # Running ------------------------------------------------------------------------

    def run(self, task: Any = None, next_node: Any = None) -> Node | None:
        """Run every due task until each one waits, needs a person, or the end is reached.

        Returns the node where it stopped.
        """
        if self.is_finished():
            raise AutomationFinished(f"{self} has finished and cannot run again")
        from .runtime.engine import run_instance

        name = run_instance(self)
        return getattr(self, name) if name else None

    def nice(self, task: Any = None, next_task: Any = None):
        """Like ``run()``, but in a background thread; returns at once."""
        if self.is_finished():
            raise AutomationFinished(f"{self} has finished and cannot run again")
        from .runtime.threads import start_run_thread
        from .runtime.transactions import database_alias

        start_run_thread(type(self), self._db.pk, database_alias())

    # Messages -----------------------------------------------------------------------

    def send_message(self, message: str, token: Any = None, data: Any = None) -> Any:
        """Call this instance's ``receive_<message>(token, data)``; ``None`` if it has none."""
        from .runtime.messaging import receive

        return receive(self, message, token, data)

    @classmethod
    def _lookup(cls, automation: Any) -> Automation | None:
        from .models import AutomationModel

        if isinstance(automation, Automation):
            return automation if isinstance(automation, cls) else None
        if isinstance(automation, AutomationModel):
            row = automation
        elif isinstance(automation, int) and not isinstance(automation, bool):
            row = AutomationModel.objects.filter(pk=automation).first()
        elif isinstance(automation, str):
            row = AutomationModel.objects.filter(key=automation).first()
        else:
            return None
        if row is None:
            return None
        if cls is Automation:
            try:
                return row.instance
            except ImportError:
                return None
        return cls._from_row(row) if row.automation_class == cls._meta.path else None

    @classmethod
    def dispatch_message(cls, automation: Any, message: str, token: Any = None, data: Any = None):
        """Send a message to one instance given as instance, id, key or model row.

        Returns the receiver's answer, or ``None`` if there is no such running instance.
        """
        instance = cls._lookup(automation)
        if instance is None:
            return None
        return instance.send_message(message, token, data)

    @classmethod
    def broadcast_message(cls, message: str, token: Any = None, data: Any = None) -> list:
        """Send to every running instance; one answering ``"received"`` stops the round."""
        from .models import AutomationModel

        results: list = []
        if not cls.satisfies_data_requirements(message, data):
            return results
        rows = AutomationModel.objects.filter(
            automation_class=cls._meta.path, finished=False
        ).order_by("pk")
        for row in rows.iterator(chunk_size=200):
            result = cls._from_row(row).send_message(message, token, data)
            results.append(result)
            if result == "received":
                break
        return results

    @classmethod
    def create_on_message(cls, message: str, token: Any = None, data: Any = None):
        """Start an instance and hand it the message before its first node runs."""
        if not cls.satisfies_data_requirements(message, data):
            return None
        source = data.GET if hasattr(data, "GET") else (data or {})
        kwargs = {}
        if isinstance(cls.unique, list | tuple):
            missing = [key for key in cls.unique if key not in source]
            if missing:
                logger.warning(
                    "%s.create_on_message(%r): data lacks %s; nothing started",
                    cls.__name__,
                    message,
                    ", ".join(missing),
                )
                return None
            kwargs = {key: source[key] for key in cls.unique}
        with transaction.atomic():
            instance = cls(autorun=False, **kwargs)
            instance.send_message(message, token, data)
        if instance._created and not instance.is_finished():
            instance.run()
        return None if instance.killed() else instance

    @classmethod
    def satisfies_data_requirements(cls, message: str, data: Any) -> bool:
        """Whether a receiver ``receive_<message>`` exists and ``data`` has what it requires."""
        receiver = getattr(cls, f"receive_{message}", None)
        if not callable(receiver):
            return False
        requirements = getattr(receiver, "data_requirements", None)
        if not requirements:
            return True
        source = data.GET if hasattr(data, "GET") else data
        if source is None:
            return False
        for name, kind in requirements.items():
            if name not in source:
                return False
            value = source[name]
            if not isinstance(value, kind):
                try:
                    kind(value)
                except (TypeError, ValueError):
                    return False
        return True

    @classmethod
    def get_receivers(cls) -> list[str]:
        """Names of the messages this class receives (``receive_<name>`` methods)."""
        return sorted(
            name[len("receive_") :]
            for name in dir(cls)
            if name.startswith("receive_") and callable(getattr(cls, name))
        )

    # Signals --------------------------------------------------------------------------

    @classmethod
    def on(cls, signal: Any, start: Any = None, **connect_kwargs: Any):
        """Start an instance whenever ``signal`` is sent (optionally at node ``start``)."""
        start_name = None
        if start is not None:
            start_name = reference_name(start, plain_strings=True)
            if start_name not in cls._meta.nodes:
                raise DeclarationError(
                    f"{cls.__name__}: on_signal(start={start!r}) names no node; nodes are "
                    f"{', '.join(cls._meta.nodes)}"
                )
            cls._meta.add_start(start_name)

        def receiver(sender: Any, **kwargs: Any) -> None:
            cls.on_signal(start_name, sender, **kwargs)

        connect_kwargs.setdefault("weak", False)
        connect_kwargs.setdefault("dispatch_uid", f"automations:{cls._meta.path}")
        signal.connect(receiver, **connect_kwargs)
        return receiver

    @classmethod
    def on_signal(cls, start: str | None, sender: Any, **kwargs: Any) -> Automation:
        """Start an instance for a signal; ``started_by_signal`` runs before its first node."""
        from .runtime.instances import create

        _require_usable(cls)
        with transaction.atomic():
            row, created, _objects = create(cls, {}, first_node=start)
            instance = cls._from_row(row)
            instance._created = created
            hook = getattr(instance, "started_by_signal", None)
            if created and callable(hook):
                _call_signal_hook(hook, sender, kwargs)
        if created and not instance.is_finished():
            instance.run()
        return instance

    def __str__(self) -> str:
        return f"{type(self).__name__} #{self.id}" if self._db is not None else type(self).__name__

    def __repr__(self) -> str:
        return f"<{self}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Automation):
            return NotImplemented
        return type(self) is type(other) and self.id is not None and self.id == other.id

    def __hash__(self) -> int:
        return hash((type(self), self.id))


def _call_signal_hook(hook: Any, sender: Any, kwargs: dict[str, Any]) -> None:
    """``started_by_signal(sender, **kwargs)``; the older ``(sender, kwargs)`` form works too."""
    parameters = inspect.signature(hook).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        hook(sender, **kwargs)
    else:
        hook(sender, kwargs)


def _require_usable(cls: type[Automation]) -> None:
    if cls is Automation or cls._meta.abstract:
        raise DeclarationError(f"{cls.__name__} is abstract and cannot be instantiated")
    errors = cls._meta.errors()
    if errors:
        lines = "\n".join(f"  {error.id}: {error.msg} HINT: {error.hint}" for error in errors)
        raise DeclarationError(f"{cls.__name__} is declared in a way that cannot run:\n{lines}")


def _check_replaced_nodes(cls: type[Automation]) -> None:
    from django.core import checks

    for name, kind in vars(cls).get("_replaced_nodes", ()):
        cls._meta.problems.append(
            checks.Error(
                f"{cls.__name__}.{name}: this node is replaced by a {kind} of the same name "
                "further down the class body.",
                hint="A name holds one thing: rename the method (e.g. do_" + name + ") or the "
                "node.",
                obj=cls,
                id="automations.E113",
            )
        )


def _check_unique_declaration(cls: type[Automation]) -> None:
    from django.core import checks

    unique = cls.unique
    ok = isinstance(unique, bool) or (
        isinstance(unique, list | tuple)
        and all(isinstance(key, str) and key not in SPECIAL_KEYWORDS for key in unique)
    )
    if not ok:
        cls._meta.problems.append(
            checks.Error(
                f"{cls.__name__}.unique = {unique!r} is not valid.",
                hint="Use True (one running instance) or a tuple of data keys, e.g. "
                "('email',); 'automation', 'automation_id' and 'autorun' cannot be keys.",
                obj=cls,
                id="automations.E112",
            )
        )


Automation._meta = AutomationOptions(Automation)
Automation._meta.abstract = True

#: Names nodes must not use.
RESERVED_NAMES = (
    DOCUMENTED_RESERVED
    | frozenset(name for name in vars(Automation) if not name.startswith("_"))
    | {"is_finished", "killed", "locked", "bind_model", "get_receivers", "context"}
)


def require_data_parameters(**requirements: Any):
    """Declare what a receiver needs in its ``data`` (or the request's GET), by type."""
    for name, kind in requirements.items():
        if not callable(kind):
            raise TypeError(
                f"require_data_parameters({name}=...): give a type such as str or int, got {kind!r}"
            )

    def decorator(method):
        method.data_requirements = dict(requirements)
        return method

    return decorator


def on_signal(signal: Any, start: Any = None, **connect_kwargs: Any):
    """Class decorator: start an instance of the automation whenever ``signal`` is sent."""

    def decorator(cls: type[Automation]) -> type[Automation]:
        cls.on(signal, start, **connect_kwargs)
        return cls

    return decorator


def get_automations(app: str | None = None) -> list[tuple[str, str]]:
    """``(dotted path, verbose name)`` of the project's automations.

    Without ``app``: those in modules named ``automations``; with ``app``: those in
    ``app`` itself or in ``app.automations``.
    """
    result = []
    for cls in registry.all_classes():
        module = cls.__module__
        if app is None:
            keep = module == "automations" or module.endswith(".automations")
        else:
            keep = module in (app, f"{app}.automations") or module.startswith(f"{app}.automations.")
        if keep:
            result.append((cls._meta.path, str(cls.get_verbose_name())))
    return result
