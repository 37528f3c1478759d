"""One exception hierarchy for everything django-automations raises on purpose."""

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist


class AutomationError(Exception):
    """Base class of every error raised by django-automations."""


class DeclarationError(AutomationError, ImproperlyConfigured):
    """An automation class is declared in a way that cannot run.

    Raised when such a class is instantiated; ``manage.py check`` reports the same
    problems, with their ids, before anything runs.
    """


class ModifierError(AutomationError, TypeError):
    """A node modifier got an argument it cannot use (raised while the class body runs)."""


class DataNotSerializable(AutomationError, TypeError):
    """A value given to an automation cannot be stored in its JSON ``data``."""


class AutomationFinished(AutomationError):
    """The automation instance has ended (or was stopped by an error) and cannot run."""


class AutomationNotFound(AutomationError, ObjectDoesNotExist):
    """No automation instance exists for the given id or key."""


class WrongAutomationClass(AutomationError, TypeError):
    """An id or key names an instance of another automation class."""


class AutomationClassNotFound(AutomationError, ImportError):
    """The dotted path stored on an instance no longer imports to an automation class."""


class NotAssigned(AutomationError, PermissionError):
    """A user tried to complete a task that is not assigned to them."""


class TaskNotOpen(AutomationError):
    """The task has already been completed, skipped or cancelled."""
