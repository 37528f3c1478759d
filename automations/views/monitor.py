"""The operator's side: dashboard, one class's diagram, stopped instances, tracebacks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView

from .. import clock, registry
from ..diagram import automation_svg
from ..exceptions import AutomationClassNotFound
from ..models import AutomationModel, AutomationTaskModel

DEFAULT_DAYS = 30
MAX_DAYS = 3650
RECENT = 8
DEFAULT_DASHBOARD_TEMPLATE = "automations/includes/dashboard_item.html"


class MonitorMixin(PermissionRequiredMixin):
    """Operators only: view permission on both models (superusers have it).

    Anonymous users are sent to log in; logged-in users without it get 403.
    """

    permission_required = (
        "automations.view_automationmodel",
        "automations.view_automationtaskmodel",
    )


def window_days(value: str | None) -> int:
    """``?days=`` as a number of days (1 to 3650), 30 when missing or not a number."""
    try:
        days = int(value or DEFAULT_DAYS)
    except ValueError:
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


def load_class(path: str):
    """The automation class stored under ``path``, or ``None`` if it no longer imports."""
    try:
        return registry.load(path)
    except AutomationClassNotFound:
        return None


def class_name(cls: Any, path: str, *, plural: bool = False) -> str:
    if cls is None:
        return _("Obsolete automation %(name)s") % {"name": path.rsplit(".", 1)[-1]}
    return str(cls.get_verbose_name_plural() if plural else cls.get_verbose_name())


@dataclass
class Activity:
    """A recently active instance, for the dashboard."""

    automation: AutomationModel
    at: list[str] = field(default_factory=list)  # nodes it stands at

    @property
    def state(self) -> str:
        if self.automation.failed:
            return "failed"
        return "finished" if self.automation.finished else "running"


@dataclass
class DashboardItem:
    path: str
    automation_class: Any
    verbose_name: str
    verbose_name_plural: str
    running: int
    finished: int
    failed: int
    recent: list[Activity]
    template: str
    dashboard: dict[str, Any]


def recent_activity(queryset: QuerySet, limit: int = RECENT) -> list[Activity]:
    """The ``limit`` instances of ``queryset`` that changed last, with their open nodes."""
    rows = list(queryset.order_by("-updated", "-pk")[:limit])
    at: dict[int, list[str]] = defaultdict(list)
    open_tasks = AutomationTaskModel.objects.filter(
        automation_id__in=[row.pk for row in rows], finished__isnull=True
    ).values_list("automation_id", "status")
    for automation_id, status in open_tasks.order_by("pk"):
        if status not in at[automation_id]:
            at[automation_id].append(status)
    return [Activity(row, at[row.pk] if not row.finished else []) for row in rows]


class DashboardView(MonitorMixin, TemplateView):
    """Per automation class: running, finished and failed counts and recent activity.

    Covers the instances created in the last ``?days=`` days (30) and every one
    still running. Each class is drawn with its ``Meta.dashboard_template`` and gets
    ``get_dashboard_context(queryset)`` as ``dashboard`` when it defines it.
    """

    template_name = "automations/dashboard.html"

    def get_items(self, days: int) -> list[DashboardItem]:
        since = clock.now() - timedelta(days=days)
        window = AutomationModel.objects.filter(Q(created__gte=since) | Q(finished=False))
        counts = (
            window.values("automation_class")
            .annotate(
                running=Count("pk", filter=Q(finished=False)),
                done=Count("pk", filter=Q(finished=True, failed=False)),
                failed=Count("pk", filter=Q(failed=True)),
            )
            .order_by("automation_class")
        )
        items = []
        for row in counts:
            path = row["automation_class"]
            cls = load_class(path)
            queryset = window.filter(automation_class=path)
            template = cls._meta.dashboard_template if cls else DEFAULT_DASHBOARD_TEMPLATE
            if not template:  # Meta.dashboard_template = "": not on the dashboard
                continue
            hook = getattr(cls, "get_dashboard_context", None)
            items.append(
                DashboardItem(
                    path=path,
                    automation_class=cls,
                    verbose_name=class_name(cls, path),
                    verbose_name_plural=class_name(cls, path, plural=True),
                    running=row["running"],
                    finished=row["done"],
                    failed=row["failed"],
                    recent=recent_activity(queryset),
                    template=template,
                    dashboard=dict(hook(queryset) or {}) if callable(hook) else {},
                )
            )
        return items

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        days = window_days(self.request.GET.get("days"))
        items = self.get_items(days)
        context.update(
            automations=items,
            days=days,
            failed_total=sum(item.failed for item in items),
        )
        return context


class AutomationClassView(MonitorMixin, TemplateView):
    """One automation class: its diagram and its latest instances."""

    template_name = "automations/automation_class.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Only classes this process knows: a URL never makes us import a module.
        known = {cls._meta.path: cls for cls in registry.all_classes()}
        cls = known.get(kwargs["automation_class"])
        if cls is None:
            raise Http404(_("No such automation class."))
        instances = AutomationModel.objects.filter(automation_class=cls._meta.path)
        context.update(
            automation_class=cls,
            path=cls._meta.path,
            verbose_name=cls.get_verbose_name(),
            diagram=automation_svg(cls, id_prefix="atm-class"),
            recent=recent_activity(instances, limit=20),
            docstring=(cls.__doc__ or "").strip(),
        )
        return context


@dataclass
class StoppedAutomation:
    automation: AutomationModel
    verbose_name: str
    error_task: AutomationTaskModel | None


class ErrorListView(MonitorMixin, ListView):
    """Instances stopped by an error that no ``.OnError`` handled, newest first."""

    template_name = "automations/error_report.html"
    paginate_by = 50
    context_object_name = "automations"

    def get_queryset(self) -> QuerySet:
        return AutomationModel.objects.filter(failed=True).order_by("-updated", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["automations"])
        errors: dict[int, AutomationTaskModel] = {}
        tasks = AutomationTaskModel.objects.filter(
            automation_id__in=[row.pk for row in page], result__has_key="error"
        ).order_by("pk")
        for task in tasks:
            errors[task.automation_id] = task  # the last error is the one that stopped it
        context["stopped"] = [
            StoppedAutomation(
                automation=row,
                verbose_name=class_name(load_class(row.automation_class), row.automation_class),
                error_task=errors.get(row.pk),
            )
            for row in page
        ]
        return context


class TracebackView(MonitorMixin, TemplateView):
    """The traceback recorded on a failed task."""

    template_name = "automations/traceback.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        task = get_object_or_404(
            AutomationTaskModel.objects.select_related("automation"),
            pk=kwargs["task_id"],
            automation_id=kwargs["automation_id"],
        )
        result = task.result
        if not (isinstance(result, dict) and result.get("error")):
            raise Http404(_("This task recorded no error."))
        context.update(automation=task.automation, task=task, error=result["error"])
        return context
