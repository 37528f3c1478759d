"""The mails of the webinar workflow, and when the reminder is due.

Each function takes the task the automation is running. A mail goes out once the
step's transaction commits, and is noted in the automation's ``data`` under ``mails``.
"""

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import transaction

#: How long before the webinar starts the reminder goes out (an hour in real life).
REMINDER_LEAD = timedelta(seconds=2)
#: How long after the reminder the replay is offered (150 minutes in real life).
REPLAY_DELAY = timedelta(seconds=6)


def starts(task) -> datetime:
    """When the participant's webinar starts."""
    return datetime.fromisoformat(task.data["starts"])


def reminder_time(task) -> datetime:
    """The reminder is due shortly before the webinar starts."""
    return starts(task) - REMINDER_LEAD


def send_welcome_mail(task) -> str:
    """Confirm the registration."""
    return _send(
        task,
        "welcome",
        f"Welcome to {task.data['title']}",
        f"You are registered. The webinar starts at {starts(task):%H:%M:%S}.",
    )


def send_reminder(task) -> str:
    """Remind the participant that the webinar is about to start."""
    return _send(
        task,
        "reminder",
        f"{task.data['title']} starts soon",
        f"The webinar starts at {starts(task):%H:%M:%S}. See you there!",
    )


def send_replay_offer(task) -> str:
    """Offer the recording to watch again (or for the first time)."""
    return _send(
        task,
        "replay",
        f"Watch {task.data['title']} again",
        "The recording of the webinar is now online.",
    )


def _send(task, kind: str, subject: str, body: str) -> str:
    """Send one mail after the step commits, note it in ``data`` and describe it."""
    data = task.data
    recipient = data["email"]
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))
    data.setdefault("mails", []).append({"kind": kind, "subject": subject})
    data.save()
    return f"{kind} mail to {recipient}"
