"""structlog for the daemon: JSON lines for machines, a console renderer for people.

Configured once, at the entry point. Django's, APScheduler's, psycopg's and the
engine's standard-library logs go through the same processors, their ``extra``
fields included.
"""

from __future__ import annotations

import logging
import sys

import structlog

FORMATS = ("auto", "json", "console")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure(log_format: str = "auto", level: str = "INFO", stream=None) -> None:
    stream = stream or sys.stdout
    if log_format == "auto":
        log_format = "console" if stream.isatty() else "json"
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        final = [structlog.processors.dict_tracebacks, renderer]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=stream.isatty())]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Loggers configured elsewhere (Django's LOGGING) report through ours instead.
    for name in (
        "django",
        "django.request",
        "django.server",
        "apscheduler",
        "psycopg",
        "automations",
    ):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # APScheduler says "Running job ..." at INFO for every wake; the daemon says more.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))


def get_logger(name: str = "automations.daemon"):
    return structlog.get_logger(name)
