"""Django system checks: wrong declarations and settings, reported before anything runs."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from . import registry
from . import settings as app_settings


@checks.register("automations")
def check_settings(app_configs=None, **kwargs):
    """``automations.E001``: the group/permission settings come all three or not at all."""
    try:
        app_settings.check_group_and_permission_settings()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="Set ATM_GROUP_MODEL, ATM_USER_WITH_PERMISSIONS_FORM_METHOD and "
                "ATM_USER_WITH_PERMISSIONS_MODEL_METHOD together, or none of them.",
                id="automations.E001",
            )
        ]
    problems = []
    try:
        app_settings.condition_recheck_bounds()
    except ImproperlyConfigured as exc:
        problems.append(checks.Error(str(exc), hint="Fix the two settings.", id="automations.E002"))
    for read in (
        app_settings.wake_address,
        app_settings.wake_channel,
        app_settings.daemon_resync,
        app_settings.steps_per_transaction,
    ):
        try:
            read()
        except (ImproperlyConfigured, TypeError, ValueError) as exc:
            problems.append(
                checks.Error(
                    str(exc),
                    hint="See the settings page of the documentation for valid values.",
                    id="automations.E003",
                )
            )
    return problems


@checks.register("automations")
def check_automation_classes(app_configs=None, **kwargs):
    """Every declared automation class: references, names, Split/Join, paths, Repeat, forms."""
    problems = []
    for cls in registry.all_classes():
        if app_configs is not None and not any(
            cls.__module__ == config.name or cls.__module__.startswith(f"{config.name}.")
            for config in app_configs
        ):
            continue
        problems.extend(cls._meta.check())
        if "<locals>" in cls.__qualname__:
            problems.append(
                checks.Warning(
                    f"{cls.__qualname__} is defined inside a function; its instances cannot "
                    "be resumed by automation_step or the daemon.",
                    hint="Define automation classes at module level, e.g. in automations.py.",
                    obj=cls,
                    id="automations.W104",
                )
            )
    return problems


@checks.register("automations", checks.Tags.database)
def check_sqlite_transaction_mode(app_configs=None, databases=None, **kwargs):
    """``automations.W201``: SQLite without IMMEDIATE transactions serialises writers late."""
    problems = []
    for alias in databases or ():
        config = settings.DATABASES.get(alias, {})
        if connections[alias].vendor != "sqlite":
            continue
        mode = (config.get("OPTIONS") or {}).get("transaction_mode")
        if (mode or "").upper() not in ("IMMEDIATE", "EXCLUSIVE"):
            problems.append(
                checks.Warning(
                    f"SQLite database {alias!r} does not use IMMEDIATE transactions.",
                    hint="Set DATABASES[...]['OPTIONS']['transaction_mode'] = 'IMMEDIATE' so "
                    "that concurrent writers (web requests, automation_step, the daemon) "
                    "wait for each other instead of failing with 'database is locked'.",
                    id="automations.W201",
                )
            )
    return problems
