"""Django admin for automation instances and their tasks.

Both are records of what happened: read only, except for two actions. *Retry* runs a
failed task's node again (``automations.runtime.repair.retry``); *kill* deletes an
instance with its history, after a confirmation, holding the instance's lock so
that no step of it runs meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import registry
from .exceptions import AutomationClassNotFound
from .models import AutomationModel, AutomationTaskModel
from .runtime.repair import CannotRetry, retry
from .runtime.transactions import database_alias, lock_automation, step_transaction


class AutomationClassFilter(admin.SimpleListFilter):
    title = _("process class")
    parameter_name = "automation_class"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        paths = (
            AutomationModel.objects.order_by("automation_class")
            .values_list("automation_class", flat=True)
            .distinct()
        )
        return [(path, _class_label(path)) for path in paths]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(automation_class=self.value())
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("open")), ("no", _("finished"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(finished__isnull=self.value() == "yes")
        return queryset


def _class_label(path: str) -> str:
    try:
        return str(registry.load(path).get_verbose_name())
    except AutomationClassNotFound:
        return path.rsplit(".", 1)[-1]


def _failed_task(automation: AutomationModel) -> AutomationTaskModel | None:
    """The task whose error stopped ``automation`` (its last error)."""
    return (
        AutomationTaskModel.objects.filter(
            automation=automation, finished__isnull=False, result__has_key="error"
        )
        .order_by("-pk")
        .first()
    )


def _retry_all(model_admin: admin.ModelAdmin, request: HttpRequest, tasks: list) -> None:
    done = 0
    for task in tasks:
        try:
            retry(task)
        except CannotRetry as exc:
            model_admin.message_user(request, str(exc), messages.WARNING)
        else:
            done += 1
    if done:
        model_admin.message_user(
            request,
            ngettext("%(count)d task runs again.", "%(count)d tasks run again.", done)
            % {"count": done},
            messages.SUCCESS,
        )


class AutomationTaskInline(admin.TabularInline):
    model = AutomationTaskModel
    fk_name = "automation"
    fields = ["status", "created", "finished", "message", "wait_reason", "wake_at"]
    readonly_fields = fields
    ordering = ["pk"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


@admin.register(AutomationModel)
class AutomationModelAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "verbose_name",
        "finished",
        "failed",
        "created",
        "updated",
        "history",
    ]
    list_filter = ["finished", "failed", AutomationClassFilter, "created"]
    search_fields = ["=id", "automation_class", "key"]
    date_hierarchy = "created"
    readonly_fields = [
        "automation_class",
        "finished",
        "failed",
        "data",
        "bound_models",
        "created",
        "updated",
        "history",
    ]
    exclude = ["key", "singleton_key"]
    inlines = [AutomationTaskInline]
    actions = ["retry_failed", "kill"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # instances are started by code, not typed in

    @admin.display(description=_("process"))
    def verbose_name(self, obj: AutomationModel) -> str:
        return _class_label(obj.automation_class)

    @admin.display(description=_("history"))
    def history(self, obj: AutomationModel) -> str:
        url = reverse("automations:history", kwargs={"automation_id": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("history and diagram"))

    @admin.action(description=_("Retry the failed task"), permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        tasks = []
        for automation in queryset.filter(failed=True):
            task = _failed_task(automation)
            if task is not None:
                tasks.append(task)
        skipped = queryset.count() - len(tasks)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d automation has no failed task to retry.",
                    "%(count)d automations have no failed task to retry.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        _retry_all(self, request, tasks)

    @admin.action(description=_("Kill (delete with their history)"), permissions=["delete"])
    def kill(self, request: HttpRequest, queryset: QuerySet):
        if request.POST.get("post") != "yes":
            return TemplateResponse(
                request,
                "admin/automations/kill_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Kill automations"),
                    "opts": self.model._meta,
                    "queryset": queryset,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "action": "kill",
                },
            )
        killed = 0
        using = database_alias()
        for pk in queryset.values_list("pk", flat=True):
            with step_transaction(using):
                row = lock_automation(using, pk)  # waits for a step in flight
                if row is None:
                    continue
                self.log_deletions(request, [row])
                row.delete()
                killed += 1
        self.message_user(
            request,
            ngettext("%(count)d automation killed.", "%(count)d automations killed.", killed)
            % {"count": killed},
            messages.SUCCESS,
        )
        return None


@admin.register(AutomationTaskModel)
class AutomationTaskModelAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "automation",
        "status",
        "created",
        "finished",
        "message",
        "wait_reason",
        "wake_at",
        "requires_interaction",
    ]
    list_filter = [OpenFilter, "wait_reason", "requires_interaction", "created"]
    search_fields = ["=id", "=automation__id", "status", "message", "automation__automation_class"]
    list_select_related = ["automation"]
    readonly_fields = [
        "automation",
        "previous",
        "split_task",
        "status",
        "requires_interaction",
        "interaction_user",
        "interaction_group",
        "interaction_permissions",
        "created",
        "finished",
        "message",
        "result",
        "wake_at",
        "wait_reason",
        "condition_checks",
    ]
    actions = ["retry_tasks"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry these failed tasks"), permissions=["change"])
    def retry_tasks(self, request: HttpRequest, queryset: QuerySet) -> None:
        failed = list(queryset.filter(result__has_key="error").order_by("pk"))
        others = queryset.count() - len(failed)
        if others:
            self.message_user(
                request,
                ngettext(
                    "%(count)d task did not fail and was left alone.",
                    "%(count)d tasks did not fail and were left alone.",
                    others,
                )
                % {"count": others},
                messages.WARNING,
            )
        _retry_all(self, request, failed)


__all__ = ["AutomationModelAdmin", "AutomationTaskModelAdmin"]
