"""Booting Django for the daemon, with errors an operator can act on."""

from __future__ import annotations

import os
import sys

import click


def setup_django(settings: str | None, pythonpath: str | None) -> None:
    if pythonpath:
        for path in reversed(pythonpath.split(os.pathsep)):
            if path and path not in sys.path:
                sys.path.insert(0, path)
    if settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise click.UsageError(
            "No Django settings: pass --settings=project.settings or set DJANGO_SETTINGS_MODULE."
        )
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ModuleNotFoundError as exc:
        raise click.ClickException(
            f"Cannot import the settings {os.environ['DJANGO_SETTINGS_MODULE']!r}: {exc}. "
            "Check --settings and --pythonpath (the directory that contains the project)."
        ) from exc
    except ImproperlyConfigured as exc:
        raise click.ClickException(f"Django is not configured correctly: {exc}") from exc
    from django.apps import apps

    if not apps.is_installed("automations"):
        raise click.ClickException(
            "'automations' is not in INSTALLED_APPS of these settings; add it and migrate."
        )
