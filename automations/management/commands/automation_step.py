from django.core.management.base import BaseCommand

from automations.runtime.sweep import run_due


class Command(BaseCommand):
    help = "Run every automation task that is due now (a cron fallback for the daemon)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Stop after about this many steps (default: run everything that is due).",
        )

    def handle(self, *args, limit=None, verbosity=1, **options):
        report = run_due(limit=limit)
        if verbosity >= 1:
            self.stdout.write(f"automation_step: {report}")
        if report.unimportable:
            self.stderr.write(
                f"{report.unimportable} instance(s) whose class cannot be imported were stopped; "
                "see their tasks' messages."
            )
