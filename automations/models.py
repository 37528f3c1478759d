"""The two tables every automation shares: instances and their tasks."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import clock, outcomes
from . import settings as app_settings


class AutomationData(dict):
    """An instance's ``data``: a plain dict that can also save itself.

    ``task.data.save()`` (as in the documentation) writes it back, like
    ``automation.save()``.
    """

    __slots__ = ("_row",)

    def save(self) -> None:
        self._row.save(update_fields=["data"])


def new_key() -> str:
    """An unguessable, URL-safe key for an automation instance."""
    return secrets.token_urlsafe(32)


class AutomationModel(models.Model):
    """One running (or finished) instance of an automation class."""

    automation_class = models.CharField(
        _("process class"),
        max_length=256,
        db_index=True,
        help_text=_("Dotted path of the automation class."),
    )
    finished = models.BooleanField(_("finished"), default=False)
    failed = models.BooleanField(
        _("failed"),
        default=False,
        help_text=_("Stopped by an error that no .OnError() handled."),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    bound_models = models.JSONField(
        _("bound models"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Model label of each data key that holds a model instance's id."),
    )
    key = models.CharField(_("key"), max_length=64, unique=True, default=new_key, editable=False)
    singleton_key = models.CharField(
        _("uniqueness key"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Set while a unique automation runs, so that a second one cannot start."),
    )
    created = models.DateTimeField(_("created"), default=clock.now, db_index=True)
    updated = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        indexes = [models.Index(fields=["automation_class", "finished"], name="atm_class_finished")]

    _automation_class = None

    def __str__(self) -> str:
        return f"{self.automation_class.rsplit('.', 1)[-1]} #{self.pk}"

    def save(self, *args, **kwargs):
        self.updated = clock.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated"]
        super().save(*args, **kwargs)

    def get_data(self) -> AutomationData:
        """``data`` as an :class:`AutomationData` bound to this row."""
        data = self.data
        if not isinstance(data, AutomationData) or data._row is not self:
            data = AutomationData(data if data is not None else {})
            data._row = self
            self.data = data
        return data

    def get_automation_class(self):
        """The automation class of this instance (imported once, then kept)."""
        if self._automation_class is None:
            from .registry import load

            self._automation_class = load(self.automation_class)
        return self._automation_class

    @property
    def instance(self):
        """The automation instance (a ``flow.Automation``) for this row."""
        return self.get_automation_class()._from_row(self)

    def get_key(self) -> str:
        return self.key

    @property
    def is_running(self) -> bool:
        return not self.finished

    @classmethod
    def run(cls, timestamp=None):
        """Run every task that is due (what ``manage.py automation_step`` does)."""
        from .runtime.sweep import run_due

        return run_due(now=timestamp)

    @classmethod
    def delete_history(cls, days: int = 30):
        """Delete automations finished more than ``days`` ago, with their tasks.

        Returns Django's ``(total, {model label: count})``.
        """
        cutoff = clock.now() - timedelta(days=days)
        return cls.objects.filter(finished=True, updated__lt=cutoff).delete()


class AutomationTaskModel(models.Model):
    """One node visited by one automation instance: its history and its open work."""

    WAIT_REASON_CHOICES = [
        (outcomes.DUE, _("due")),
        (outcomes.TIME, _("time")),
        (outcomes.CONDITION, _("condition")),
        (outcomes.PERSON, _("person")),
        (outcomes.JOIN, _("other paths")),
        (outcomes.REPEAT, _("next repetition")),
        (outcomes.THREAD, _("background thread")),
    ]

    automation = models.ForeignKey(
        AutomationModel, on_delete=models.CASCADE, verbose_name=_("automation")
    )
    # Links between tasks of one instance: they are deleted together with it, so these
    # need no database constraint (and no clean-up queries when history is deleted).
    previous = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="next_tasks",
        verbose_name=_("previous task"),
    )
    split_task = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("split"),
        help_text=_("The Split task whose path this task is on."),
    )
    status = models.CharField(_("node"), max_length=256, blank=True)
    requires_interaction = models.BooleanField(_("requires interaction"), default=False)
    interaction_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("assigned user"),
    )
    interaction_group = models.ForeignKey(
        app_settings.group_model_label(),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("assigned group"),
    )
    interaction_permissions = models.JSONField(
        _("required permissions"),
        default=list,
        blank=True,
        help_text=_("List of permissions of the form app_label.codename"),
    )
    created = models.DateTimeField(_("created"), default=clock.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=app_settings.MAX_FIELD_LENGTH, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    wake_at = models.DateTimeField(
        _("wake at"),
        null=True,
        blank=True,
        help_text=_(
            "When the task is next worth looking at; empty while it waits for a "
            "person or for other paths, and once it is finished."
        ),
    )
    wait_reason = models.CharField(
        _("waiting for"), max_length=16, blank=True, choices=WAIT_REASON_CHOICES
    )
    condition_checks = models.PositiveIntegerField(
        _("condition checks"),
        default=0,
        help_text=_("How often an AsSoonAs condition was found false."),
    )

    class Meta:
        verbose_name = _("automation task")
        verbose_name_plural = _("automation tasks")
        # Partial indexes: most tasks are finished and assigned to nobody, and stay out.
        indexes = [
            models.Index(
                fields=["wake_at"], condition=Q(wake_at__isnull=False), name="atm_task_due"
            ),
            models.Index(
                fields=["created"],
                condition=Q(requires_interaction=True),
                name="atm_task_for_people",
            ),
            models.Index(
                fields=["interaction_user"],
                condition=Q(interaction_user__isnull=False),
                name="atm_task_user",
            ),
            models.Index(
                fields=["interaction_group"],
                condition=Q(interaction_group__isnull=False),
                name="atm_task_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} #{self.pk} ({self.message or 'open'})"

    def __repr__(self) -> str:
        return f"<AutomationTaskModel {self.status} {self.message!r} ({self.pk})>"

    @property
    def data(self) -> AutomationData:
        """The automation's ``data`` (shared by all its tasks); ``.save()`` writes it back."""
        return self.automation.get_data()

    @property
    def is_open(self) -> bool:
        return self.finished is None

    def hours_since_created(self) -> float:
        """Hours this task has been open; 0 once it is finished."""
        if self.finished:
            return 0
        return (clock.now() - self.created).total_seconds() / 3600

    def get_node(self):
        """The node of this task, bound to its automation instance."""
        return getattr(self.automation.instance, self.status)

    def get_previous_tasks(self):
        if self.message == "Joined" and isinstance(self.result, list):
            return list(type(self).objects.filter(pk__in=self.result).exclude(pk=self.pk))
        return list(type(self).objects.filter(pk=self.previous_id)) if self.previous_id else []

    def get_next_tasks(self):
        return self.next_tasks.all()

    @classmethod
    def get_open_tasks(cls, user):
        """Open tasks waiting for a person that ``user`` may complete."""
        from .assignment import may_complete

        if user is None or not getattr(user, "is_authenticated", False):
            return ()
        candidates = (
            cls.objects.filter(
                finished__isnull=True, requires_interaction=True, automation__finished=False
            )
            .select_related("automation")
            .order_by("created", "pk")
        )
        if not user.is_superuser:
            candidates = candidates.filter(
                Q(interaction_user__isnull=True) | Q(interaction_user=user)
            )
        return tuple(task for task in candidates if may_complete(task, user))

    def get_users_with_permission(
        self,
        include_superusers: bool = True,
        backend: str = "django.contrib.auth.backends.ModelBackend",
    ):
        """Users who may complete this task.

        A project replaces it with ``ATM_USER_WITH_PERMISSIONS_MODEL_METHOD``.
        """
        replacement = app_settings.get_users_with_permission_model_method()
        if replacement is not None:
            return replacement(self, include_superusers, backend)
        from .assignment import users_with_permission

        return users_with_permission(
            user_id=self.interaction_user_id,
            group=self.interaction_group_id,
            permissions=tuple(self.interaction_permissions or ()),
            include_superusers=include_superusers,
            backend=backend,
        )

    def may_be_completed_by(self, user) -> bool:
        from .assignment import may_complete

        return self.is_open and self.requires_interaction and may_complete(self, user)


class DaemonHeartbeat(models.Model):
    """A running ``automations-daemon``, as it last reported itself.

    Written when it starts, at most once per resync while it runs, and removed when
    it stops cleanly; ``automations-daemon status`` lists the recent ones as alive.
    """

    name = models.CharField(_("name"), max_length=255, unique=True)
    hostname = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    version = models.CharField(_("version"), max_length=50, blank=True)
    started = models.DateTimeField(_("started"))
    seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("daemon heartbeat")
        verbose_name_plural = _("daemon heartbeats")

    def __str__(self) -> str:
        return self.name
