"""A person's side: the list of their open tasks and the form of one task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from .. import settings as app_settings
from ..assignment import may_complete
from ..exceptions import AutomationClassNotFound, NotAssigned, TaskNotOpen
from ..models import AutomationTaskModel
from ..nodes import Form, ModelForm
from ..runtime.forms import submit_form

DEFAULT_FORM_TEMPLATE = "automations/form_view.html"
CLOSED_TEMPLATE = "automations/task_closed.html"


def safe_back_url(request: HttpRequest) -> str | None:
    """``?back=`` if it stays on this site, else ``None``."""
    back = request.GET.get("back")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return None


def task_title(task: AutomationTaskModel, node: Any = None) -> str:
    """What a person is asked to do: the node's description, else its name."""
    description = getattr(node, "description", "")
    return str(description) if description else task.status.replace("_", " ").capitalize()


@dataclass(frozen=True)
class TaskEntry:
    """One line of a task list."""

    task: AutomationTaskModel
    title: str
    automation_name: str
    url: str

    @property
    def hours_waiting(self) -> float:
        return self.task.hours_since_created()


def task_entries(tasks: Any) -> list[TaskEntry]:
    """Task-list lines for ``tasks`` (classes that no longer import are left out)."""
    entries = []
    for task in tasks:
        try:
            cls = task.automation.get_automation_class()
        except AutomationClassNotFound:
            continue
        entries.append(
            TaskEntry(
                task=task,
                title=task_title(task, cls._meta.nodes.get(task.status)),
                automation_name=str(cls.get_verbose_name()),
                url=reverse("automations:task", kwargs={"task_id": task.pk}),
            )
        )
    return entries


class TaskListView(LoginRequiredMixin, TemplateView):
    """The current user's open tasks, oldest first, with how long each has waited."""

    template_name = "automations/task_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        tasks = task_entries(AutomationTaskModel.get_open_tasks(self.request.user))
        context.update(tasks=tasks, count=len(tasks), error="")
        return context


class TaskAccessMixin:
    """Loads the task of the URL; refuses anybody it is not assigned to (403).

    Placed after ``LoginRequiredMixin``, so anonymous users are sent to log in first.
    A task that no longer waits for a person is reported as such, not shown.
    """

    task: AutomationTaskModel
    node: Form

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.task = get_object_or_404(
            AutomationTaskModel.objects.select_related("automation"), pk=kwargs["task_id"]
        )
        try:
            cls = self.task.automation.get_automation_class()
        except AutomationClassNotFound as exc:
            raise Http404(_("This task belongs to an automation that no longer exists.")) from exc
        node = cls._meta.nodes.get(self.task.status)
        if not isinstance(node, Form):
            raise Http404(_("This task does not wait for a form."))
        self.node = node
        if not may_complete(self.task, request.user):
            raise PermissionDenied(_("This task is not assigned to you."))
        if not self.is_waiting():
            return self.render_closed(status=200 if request.method in ("GET", "HEAD") else 409)
        return super().dispatch(request, *args, **kwargs)

    def is_waiting(self) -> bool:
        task = self.task
        return task.is_open and task.requires_interaction and not task.automation.finished

    def render_closed(self, status: int) -> HttpResponse:
        return TemplateResponse(
            self.request,
            CLOSED_TEMPLATE,
            {
                "task": self.task,
                "title": task_title(self.task, self.node),
                "completed": not self.task.is_open,
                "back_url": safe_back_url(self.request) or reverse("automations:task_list"),
            },
            status=status,
        )


class TaskView(LoginRequiredMixin, TaskAccessMixin, FormView):
    """The form of a task: GET shows it, POST stores it and moves the automation on.

    Template: the node's ``template_name``, the automation's ``default_template_name``
    or ``automations/form_view.html``. Extra context: ``ATM_FORM_VIEW_CONTEXT``, the
    automation's ``context`` and the node's ``context``, later ones winning.
    """

    def get_automation(self):
        if not hasattr(self, "_automation"):
            self._automation = self.task.automation.instance
        return self._automation

    def get_form_class(self) -> type[BaseForm]:
        form = self.node.form
        if isinstance(form, type) and issubclass(form, BaseForm):
            return form
        return form(self.task)  # a callable choosing the form class for the task

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if isinstance(self.node, ModelForm):
            kwargs["instance"] = self.node.get_instance(self.get_automation())
        return kwargs

    def get_template_names(self) -> list[str]:
        automation_class = type(self.get_automation())
        return [
            self.node.template_name
            or automation_class.default_template_name
            or DEFAULT_FORM_TEMPLATE
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        automation = self.get_automation()
        context: dict[str, Any] = {
            "title": task_title(self.task, self.node),
            "description": self.node.description,
            "back_url": safe_back_url(self.request) or reverse("automations:task_list"),
        }
        context.update(app_settings.form_view_context())
        context.update(getattr(type(automation), "context", None) or {})
        context.update(self.node.context)
        context.update(super().get_context_data(**kwargs))
        context.update(
            task=self.task,
            node=self.node,
            automation=automation,
            automation_model=self.task.automation,
        )
        return context

    def form_valid(self, form: BaseForm) -> HttpResponse:
        try:
            submit_form(self.task, form, self.request.user)
        except NotAssigned as exc:
            raise PermissionDenied(_("This task is not assigned to you.")) from exc
        except TaskNotOpen:
            self.task.refresh_from_db()
            return self.render_closed(status=409)
        messages.success(
            self.request,
            _("Thank you: “%(title)s” is done.") % {"title": task_title(self.task, self.node)},
            fail_silently=True,
        )
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self) -> str:
        if self.node.success_url:
            return resolve_url(self.node.success_url)
        return safe_back_url(self.request) or reverse("automations:task_list")
