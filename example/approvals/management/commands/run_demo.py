"""``manage.py run_demo``: start the example automations and run them to their end.

Each pass runs what is due (what ``manage.py automation_step`` does), prints the task
rows that are new or changed, and sleeps until the next task wakes. With
``--fake-clock`` a fake clock jumps from wake to wake instead: the same run, without
the waiting. With ``--daemon`` it only starts the instances and watches: a running
``automations-daemon`` does the work.
"""

import contextlib
import json
import logging
import time
from datetime import datetime, timedelta
from decimal import Decimal

from automations.models import AutomationModel, AutomationTaskModel
from automations.runtime.sweep import run_due
from automations.testing import FakeClock
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone

from approvals.automations import BoardMeeting, PurchaseApproval
from approvals.models import PurchaseRequest
from webinar.automations import WebinarWorkflow

#: Participant, webinar title, and how long after the demo's start the webinar begins.
WEBINARS = [
    ("ann@example.com", "Automations 101", timedelta(seconds=5)),
    ("bob@example.com", "Automations in depth", timedelta(seconds=8)),
]
#: Title, amount and cost centre of each purchase request.
PURCHASES = [
    ("Laptop", "1450.00", "IT"),  # small: approved without the board
    ("Trade-fair booth", "24000.00", "MARKETING"),  # large: waits for the board's vote
    ("Espresso machine", "890.00", "KITCHEN"),  # no budget: finance_review raises
]
#: Pause before looking again when a due task could not be run (held elsewhere).
RETRY_PAUSE = timedelta(milliseconds=100)

WAITING = {
    "time": "waits until {wake}",
    "condition": "waits for a condition, next look at {wake}",
    "join": "waits for the other paths",
    "person": "waits for a person",
    "thread": "runs in a background thread",
    "repeat": "waits for the next repetition at {wake}",
    "": "due",
}


class RealClock:
    """The wall clock: waiting is sleeping."""

    label = "real clock"

    def now(self) -> datetime:
        return timezone.now()

    def wait_until(self, moment: datetime) -> None:
        delay = (moment - timezone.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)


class JumpingClock:
    """``automations.testing.FakeClock``: waiting is jumping ahead."""

    label = "fake clock"

    def __init__(self, fake: FakeClock):
        self.fake = fake

    def now(self) -> datetime:
        return self.fake.now

    def wait_until(self, moment: datetime) -> None:
        self.fake.set(max(moment, self.fake.now))


@contextlib.contextmanager
def demo_clock(fake: bool):
    if not fake:
        yield RealClock()
        return
    with FakeClock() as clock:
        yield JumpingClock(clock)


@contextlib.contextmanager
def quiet_logger(name: str, quiet: bool):
    """Silence ``name`` for the run: the table already shows each step, errors included."""
    logger = logging.getLogger(name)
    level = logger.level
    if quiet:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def label(row: AutomationModel) -> str:
    return f"{row.automation_class.rsplit('.', 1)[-1]} #{row.pk}"


class TaskTable:
    """Prints the task rows of some instances, each time one is new or has changed."""

    def __init__(self, write, origin: datetime, automation_ids: list[int]):
        self.write = write
        self.origin = origin
        self.automation_ids = automation_ids
        self.seen: dict[int, tuple] = {}

    def offset(self, moment: datetime) -> str:
        return f"+{(moment - self.origin).total_seconds():.1f}s"

    def header(self) -> None:
        self.write(f"{'time':>7}  {'automation':<22}  {'node':<15}  what happened")

    def print_changes(self, now: datetime) -> None:
        tasks = (
            AutomationTaskModel.objects.filter(automation_id__in=self.automation_ids)
            .select_related("automation")
            .order_by("automation_id", "pk")
        )
        for task in tasks:
            state = (task.finished, task.wake_at, task.wait_reason)
            first_look = task.pk not in self.seen
            if self.seen.get(task.pk) == state:
                continue
            self.seen[task.pk] = state
            when = task.finished or (task.created if first_look else now)
            self.write(
                f"{self.offset(when):>7}  {label(task.automation):<22}  {task.status:<15}  "
                f"{self.describe(task, now)}"
            )

    def describe(self, task: AutomationTaskModel, now: datetime) -> str:
        if task.finished is None:
            if task.wake_at is not None and task.wake_at <= now:
                return "due now"
            wake = self.offset(task.wake_at) if task.wake_at else "?"
            return WAITING.get(task.wait_reason, task.wait_reason).format(wake=wake)
        message, result = task.message, task.result
        if isinstance(result, dict) and "error" in result:
            return f"raised {message}"
        if message in ("True", "False"):
            return f"condition {message.lower()}" + (f" -> {result}" if result else "")
        if message == "Split":
            return f"split into {result['branches']} paths"
        if message == "Joined":
            return "all paths are in" if result else "this path is done"
        if result is None or result == "":
            return message
        if not isinstance(result, str):
            result = json.dumps(result)
        return f"{task.message}: {result}"


class Command(BaseCommand):
    help = (
        "Start a board meeting, two webinar workflows and three purchase approvals, and "
        "run them to their end, printing every step."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fake-clock",
            action="store_true",
            help="Jump from one wake to the next with a fake clock instead of sleeping.",
        )
        parser.add_argument(
            "--daemon",
            action="store_true",
            help="Only start the instances and watch them: automations-daemon runs them.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Fail if the instances have not all ended after this many seconds "
            "(of the clock in use; default 60).",
        )

    def handle(self, *args, fake_clock=False, daemon=False, timeout=60.0, verbosity=1, **options):
        if fake_clock and daemon:
            raise CommandError("--fake-clock and --daemon do not go together")
        self.daemon = daemon
        started = time.perf_counter()
        try:
            with demo_clock(fake_clock) as clock, quiet_logger("automations", verbosity < 2):
                origin = clock.now()
                table = TaskTable(self.stdout.write, origin, [])
                if verbosity >= 1:
                    self.introduce(clock.label)
                    table.header()
                ids = self.start_instances(origin)
                table.automation_ids = ids
                self.run(clock, table, ids, origin + timedelta(seconds=timeout), verbosity)
                elapsed = table.offset(clock.now())
        except KeyboardInterrupt:
            raise CommandError("Interrupted; the instances go on at the next run.") from None
        self.summarise(ids, elapsed, fake_clock, time.perf_counter() - started)

    def introduce(self, clock_label: str) -> None:
        self.stdout.write(
            f"Starting a board meeting, {len(WEBINARS)} webinar workflows and "
            f"{len(PURCHASES)} purchase approvals ({clock_label})."
        )
        earlier = AutomationModel.objects.filter(finished=False).count()
        if earlier:
            self.stdout.write(
                f"{earlier} unfinished instances of earlier runs will run along, unlisted."
            )
        self.stdout.write("")

    def start_instances(self, origin: datetime) -> list[int]:
        """Start every automation of the demo; each runs its first steps at once."""
        instances = [BoardMeeting()]
        instances += [
            WebinarWorkflow(email=email, title=title, starts=(origin + offset).isoformat())
            for email, title, offset in WEBINARS
        ]
        for title, amount, cost_centre in PURCHASES:
            purchase = PurchaseRequest.objects.create(
                title=title,
                amount=Decimal(amount),
                cost_centre=cost_centre,
                requested_by="carol@example.com",
            )
            instances.append(PurchaseApproval(purchase=purchase))
        return [instance.id for instance in instances]

    def run(self, clock, table: TaskTable, ids: list[int], deadline: datetime, verbosity: int):
        """Run what is due, print the changes, wait for the next wake; until all end."""
        running = AutomationModel.objects.filter(pk__in=ids, finished=False)
        open_tasks = AutomationTaskModel.objects.filter(
            automation_id__in=ids, wake_at__isnull=False
        )
        progress = True
        while True:
            if verbosity >= 1:
                table.print_changes(clock.now())
            now = clock.now()
            if now >= deadline or not running.exists():
                return
            wake = open_tasks.aggregate(first=Min("wake_at"))["first"]
            if wake is None and not self.daemon:
                return  # what is left waits for a person (or for nothing): it cannot end here
            if self.daemon:  # the daemon runs them; look again shortly
                clock.wait_until(min(now + RETRY_PAUSE, deadline))
                continue
            if not progress:
                wake = max(wake, now + RETRY_PAUSE)
            clock.wait_until(min(wake, deadline))
            progress = run_due().steps > 0

    def summarise(self, ids: list[int], elapsed: str, fake_clock: bool, seconds: float):
        rows = list(AutomationModel.objects.filter(pk__in=ids).order_by("pk"))
        finished = sum(row.finished and not row.failed for row in rows)
        failed = sum(row.failed for row in rows)
        running = sum(not row.finished for row in rows)
        took = f" ({seconds:.2f}s of real time)" if fake_clock else ""
        self.stdout.write(
            f"\nAfter {elapsed}{took}: {finished} finished, {failed} failed, "
            f"{running} still running."
        )
        for row in rows:
            status = "failed" if row.failed else "finished" if row.finished else "running"
            self.stdout.write(f"  {label(row):<22}  {status:<8}  {row.instance.summary()}")
        outbox = getattr(mail, "outbox", None)
        if self.daemon:
            self.stdout.write("The daemon sent the mails (see its log above).")
        elif outbox is not None:
            self.stdout.write(
                f"{len(outbox)} mails sent in this run (kept in memory by the locmem backend)."
            )
        if failed or running:
            raise CommandError(
                f"{failed + running} of {len(rows)} instances did not reach their end; "
                "see their tasks above."
            )
