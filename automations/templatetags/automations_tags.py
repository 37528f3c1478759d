"""Template tags for projects without Django CMS: ``{% load automations_tags %}``.

* ``{% automation_task_list %}``: the current user's open tasks.
* ``{% automation_status %}``: the status of one instance (``?key=`` or given).
* ``{% automation_message "app.automations.Class" "message" %}``: send a message to an
  automation while the page renders.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from .. import registry
from ..automation import Automation
from ..models import AutomationModel, AutomationTaskModel
from ..views.tasks import task_entries

register = template.Library()

TASK_LIST_TEMPLATE = "automations/includes/task_list.html"
STATUS_TEMPLATE = "automations/includes/status.html"
OPERATIONS = ("message", "start", "broadcast")


def _request(context: template.Context) -> Any:
    return context.get("request")


@register.simple_tag(takes_context=True)
def automation_task_list(context: template.Context, template_name: str = TASK_LIST_TEMPLATE):
    """The open tasks of the user viewing the page (none for anonymous users)."""
    request = _request(context)
    user = getattr(request, "user", None) or context.get("user")
    tasks = task_entries(AutomationTaskModel.get_open_tasks(user))
    return render_to_string(
        template_name, {"tasks": tasks, "count": len(tasks), "user": user}, request=request
    )


def _automation_row(value: Any) -> AutomationModel | None:
    if isinstance(value, Automation):
        return value._db
    if isinstance(value, AutomationModel):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return AutomationModel.objects.filter(pk=value).first()
    if isinstance(value, str) and value:
        return AutomationModel.objects.filter(key=value).first()
    return None


@register.simple_tag(takes_context=True)
def automation_status(
    context: template.Context, automation: Any = None, template_name: str | None = None
):
    """An instance's status, drawn with ``template_name`` (default: a one-line summary).

    ``automation``: an instance, a row, an id or a key; without it the page's
    ``?key=`` (an instance's unguessable key) names the instance. A template other
    than the default must be one its class declares in ``Meta`` (``status_template =
    "..."``); for another class's instance it is drawn with ``automation`` empty.
    """
    if automation is None:
        request = _request(context)
        automation = request.GET.get("key") if request is not None else None
        automation = automation if isinstance(automation, str) else None
    row = _automation_row(automation)
    instance = None
    if row is not None:
        try:
            cls = row.get_automation_class()
        except ImportError:
            cls = None
        declared = {path for path, _label in (cls._meta.templates.values() if cls else ())}
        if cls is not None and (template_name is None or template_name in declared):
            instance = cls._from_row(row)
    at: list[str] = []
    if instance is not None and not row.finished:
        at = list(
            dict.fromkeys(
                AutomationTaskModel.objects.filter(automation=row, finished__isnull=True)
                .order_by("pk")
                .values_list("status", flat=True)
            )
        )
    return render_to_string(
        template_name or STATUS_TEMPLATE,
        {
            "automation": instance,
            "automation_model": row if instance is not None else None,
            "at": at,
        },
        request=_request(context),
    )


def _automation_class(target: Any) -> type[Automation]:
    if isinstance(target, type) and issubclass(target, Automation):
        return target
    known = {cls._meta.path: cls for cls in registry.all_classes()}
    if isinstance(target, str) and target in known:
        return known[target]
    raise template.TemplateSyntaxError(
        f"automation_message: {target!r} is not an automation class; give a class or the "
        f"dotted path of one (known: {', '.join(known) or 'none'})"
    )


@register.simple_tag(takes_context=True)
def automation_message(
    context: template.Context,
    target: Any,
    message: str,
    token: Any = None,
    operation: str = "message",
    automation: Any = None,
) -> str:
    """Send ``message`` to an automation when the page renders; renders nothing.

    ``operation``: ``"message"`` to one instance (``automation=`` an instance, id or
    key, else the page's ``?key=``), ``"start"`` to start an instance with the
    message (``create_on_message``), ``"broadcast"`` to every running instance.
    The receiver gets the request as ``data``, as with the CMS plugin.
    """
    if operation not in OPERATIONS:
        raise template.TemplateSyntaxError(
            f"automation_message: operation must be one of {', '.join(OPERATIONS)}, "
            f"not {operation!r}"
        )
    cls = _automation_class(target)
    request = _request(context)
    if operation == "start":
        cls.create_on_message(message, token, request)
    elif operation == "broadcast":
        cls.broadcast_message(message, token, request)
    else:
        if automation is None and request is not None:
            automation = request.GET.get("key") or None
        row = _automation_row(automation)
        if row is not None and not row.finished:
            cls.dispatch_message(row, message, token, request)
    return ""
