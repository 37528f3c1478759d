"""The ``automations-daemon`` command line (also ``python -m automations_daemon``)."""

from __future__ import annotations

import functools
import json
import sys

import click

from . import __version__
from .logs import FORMATS, LEVELS


def django_options(command):
    """Options every command takes, each also read from an environment variable."""

    @click.option(
        "--settings",
        envvar="DJANGO_SETTINGS_MODULE",
        metavar="MODULE",
        help="Django settings module [env: DJANGO_SETTINGS_MODULE].",
    )
    @click.option(
        "--pythonpath",
        envvar="ATM_DAEMON_PYTHONPATH",
        metavar="PATHS",
        help="Directories to put on sys.path, ':'-separated [env: ATM_DAEMON_PYTHONPATH].",
    )
    @click.option(
        "--log-format",
        envvar="ATM_DAEMON_LOG_FORMAT",
        type=click.Choice(FORMATS),
        default="auto",
        show_default=True,
        help="json lines, console, or auto: console on a terminal [env: ATM_DAEMON_LOG_FORMAT].",
    )
    @click.option(
        "--log-level",
        envvar="ATM_DAEMON_LOG_LEVEL",
        type=click.Choice(LEVELS, case_sensitive=False),
        default="INFO",
        show_default=True,
        help="[env: ATM_DAEMON_LOG_LEVEL]",
    )
    @functools.wraps(command)
    def wrapper(settings, pythonpath, log_format, log_level, **kwargs):
        from .boot import setup_django
        from .logs import configure

        configure(log_format, log_level)  # so that boot problems are logged alike
        setup_django(settings, pythonpath)
        configure(log_format, log_level)  # again: Django's LOGGING may have changed things
        return command(**kwargs)

    return wrapper


def workers_option(command):
    return click.option(
        "--workers",
        envvar="ATM_DAEMON_WORKERS",
        type=click.IntRange(1, 64),
        default=1,
        show_default=True,
        help="Threads running due tasks side by side (PostgreSQL) [env: ATM_DAEMON_WORKERS].",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="automations-daemon")
def main():
    """Run django-automations' waiting tasks exactly when they are due."""


@main.command()
@django_options
@workers_option
def run(workers):
    """Serve: sleep until the next wake, run what is due, repeat (stop with SIGTERM)."""
    from .daemon import Daemon

    sys.exit(Daemon(workers=workers).run())


@main.command()
@django_options
@workers_option
def once(workers):
    """Run what is due now, the way the daemon does, and exit."""
    from .daemon import run_once

    sys.exit(run_once(workers=workers))


@main.command()
@django_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(as_json):
    """Open tasks, what is due, the next wakes, and which daemons are alive."""
    from .status import collect, render

    state = collect()
    click.echo(json.dumps(state, indent=2) if as_json else render(state))


@main.command()
@django_options
def check():
    """Check settings, database and wake channel; exit non-zero with what to fix."""
    from django.db import router

    from automations.models import AutomationModel

    from .checkup import describe, run_checks

    findings = run_checks(router.db_for_write(AutomationModel))
    click.echo(describe(findings))
    if not all(finding.ok for finding in findings):
        sys.exit(1)
