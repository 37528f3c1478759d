from django.core.management.base import BaseCommand

from automations.models import AutomationModel, AutomationTaskModel


class Command(BaseCommand):
    help = (
        "Delete automations that finished more than DAYS days ago (default 30), with their tasks."
    )

    def add_arguments(self, parser):
        parser.add_argument("days", type=int, nargs="?", default=30, help="Minimum age in days.")

    def handle(self, *args, days=30, **options):
        if days < 0:
            self.stderr.write("days must not be negative")
            return
        total, per_model = AutomationModel.delete_history(days)
        automations = per_model.get(AutomationModel._meta.label, 0)
        tasks = per_model.get(AutomationTaskModel._meta.label, 0)
        self.stdout.write(
            f"Deleted {total} objects: {automations} automations and {tasks} automation tasks "
            f"finished more than {days} days ago."
        )
