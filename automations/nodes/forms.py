"""Nodes that wait for a person: ``Form`` and ``ModelForm``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core import checks
from django.core.serializers.json import DjangoJSONEncoder

from ..exceptions import ModifierError
from ..outcomes import PERSON, Advance, Wait
from .base import Node

if TYPE_CHECKING:
    from ..declarations import Resolver
    from ..runtime.context import StepContext


def json_safe(values: dict) -> dict:
    """Form data as JSON-storable values (dates and decimals as strings, models by pk)."""
    encoder = DjangoJSONEncoder()
    safe = {}
    for key, value in values.items():
        if hasattr(value, "_meta") and hasattr(value, "pk"):
            value = value.pk
        elif hasattr(value, "all") and hasattr(value, "model"):  # a queryset
            value = list(value.values_list("pk", flat=True))
        safe[key] = _encode(encoder, value)
    return safe


def _encode(encoder: DjangoJSONEncoder, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_encode(encoder, item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(encoder, item) for key, item in value.items()}
    try:
        return encoder.default(value)
    except TypeError:
        return str(value)


class Form(Node):
    """A Django form a user must fill in before the automation goes on.

    Assign it with ``.User(**lookup)``, ``.Group(**lookup)`` and ``.Permission("app.codename")``
    (all given must hold; superusers may always complete it). The cleaned data is
    stored in the automation's ``data`` under the node's name.
    """

    def __init__(
        self,
        form: Any,
        template_name: str | None = None,
        context: dict | None = None,
        description: str = "",
        success_url: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(description=description)
        if not callable(form):
            raise ModifierError(f"{type(self).__name__}(): form must be a form class, got {form!r}")
        self.form = form
        self.template_name = template_name
        self.context = dict(context or {})
        self.success_url = success_url
        self._user: dict | None = None
        self._group: dict | None = None
        self._permissions: list[str] = []
        self.user_lookup: dict = {}
        self.group_lookup: dict = {}

    def User(self, **lookup: Any) -> Form:
        """Assign the task to the one user matching ``lookup`` (e.g. ``id=3``)."""
        if self._user is not None:
            raise ModifierError(f"{self!r}: .User() given twice")
        if not lookup:
            raise ModifierError(".User() needs a lookup, e.g. .User(username='ann')")
        self._user = lookup
        return self

    def Group(self, **lookup: Any) -> Form:
        """Assign the task to the members of the group matching ``lookup``."""
        if self._group is not None:
            raise ModifierError(f"{self!r}: .Group() given twice")
        if not lookup:
            raise ModifierError(".Group() needs a lookup, e.g. .Group(name='Reviewers')")
        self._group = lookup
        return self

    def Permission(self, permission: str) -> Form:
        """Require ``permission`` (``"app_label.codename"``); repeat to require several."""
        if not isinstance(permission, str) or permission.count(".") != 1:
            raise ModifierError(f".Permission() needs 'app_label.codename', got {permission!r}")
        self._permissions.append(permission)
        return self

    @property
    def permissions(self) -> tuple[str, ...]:
        return tuple(self._permissions)

    def resolve_references(self, resolver: Resolver) -> None:
        super().resolve_references(resolver)
        self.user_lookup = {k: resolver.lookup_value(v) for k, v in (self._user or {}).items()}
        self.group_lookup = {k: resolver.lookup_value(v) for k, v in (self._group or {}).items()}

    def check(self) -> list:
        if self._user is None and self._group is None and not self._permissions:
            return [
                checks.Warning(
                    f"{self.automation_class.__name__}.{self.name}: {type(self).__name__}() is "
                    "assigned to nobody; only superusers can complete it.",
                    hint="Add .User(...), .Group(...) or .Permission('app_label.codename').",
                    obj=self.automation_class,
                    id="automations.W102",
                )
            ]
        return []

    def run(self, ctx: StepContext) -> Wait:
        return Wait(ctx.deadline, PERSON, assignment=ctx.assignment(self))

    def accept(self, ctx: StepContext, form: Any, user: Any) -> Advance:
        """Store the valid ``form`` in the automation's data; the task is then done."""
        ctx.instance.data[self.name] = json_safe(form.cleaned_data)
        return Advance(
            (self.next_name,),
            "Submitted",
            {"user_id": getattr(user, "pk", None), "submitted": ctx.now.isoformat()},
        )

    def get_users_with_permission(self):
        """Users who may complete this form (the task model has the per-task version)."""
        from .. import settings as app_settings
        from ..assignment import users_with_permission

        replacement = app_settings.get_users_with_permission_form_method()
        if replacement is not None:
            return replacement(self)
        if any(callable(v) for v in [*(self._user or {}).values(), *(self._group or {}).values()]):
            raise TypeError(
                f"{self!r}: the assignment depends on the task; use "
                "AutomationTaskModel.get_users_with_permission() on the open task"
            )
        return users_with_permission(
            user_lookup=self._user,
            group_lookup=self._group,
            permissions=self.permissions,
            include_superusers=False,
        )


class ModelForm(Form):
    """A ``ModelForm`` that creates or edits a model instance; ``key`` names the data key
    holding its id."""

    def __init__(self, form: Any, key: str, template_name: str | None = None, **kwargs: Any):
        super().__init__(form, template_name, **kwargs)
        if not isinstance(key, str) or not key.isidentifier():
            raise ModifierError(f"ModelForm(): key must be a data key name, got {key!r}")
        self.key = key

    def check(self) -> list:
        problems = super().check()
        from ..automation import Automation

        if hasattr(Automation, self.key):
            problems.append(
                checks.Error(
                    f"{self.automation_class.__name__}.{self.name}: ModelForm key "
                    f"{self.key!r} is an attribute of flow.Automation.",
                    hint="Choose another key; the bound instance becomes an attribute of the "
                    "automation under that name.",
                    obj=self.automation_class,
                    id="automations.E110",
                )
            )
        return problems

    def get_instance(self, automation: Any) -> Any:
        """The model instance this form edits, or ``None`` to create one."""
        model = self.form._meta.model
        pk = automation.data.get(self.key)
        if pk is None:
            return None
        return model._default_manager.filter(pk=pk).first()

    def accept(self, ctx: StepContext, form: Any, user: Any) -> Advance:
        obj = form.save()
        ctx.instance.data[self.key] = obj.pk
        ctx.instance.bind_model(self.key, obj)
        return Advance(
            (self.next_name,),
            "Submitted",
            {"user_id": getattr(user, "pk", None), "submitted": ctx.now.isoformat(), "pk": obj.pk},
        )
