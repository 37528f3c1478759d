"""The webinar workflow of the documentation, with waits of seconds instead of hours."""

from datetime import datetime

from automations import flow
from automations.flow import this

from . import webinar


class WebinarWorkflow(flow.Automation):
    """Welcome a participant, remind them before the webinar, then offer the replay.

    Start it with ``WebinarWorkflow(email=..., title=..., starts=<ISO datetime>)``.
    """

    class Meta:
        verbose_name = "Webinar participation"
        verbose_name_plural = "Webinar participations"

    start = flow.Execute(this.init)
    welcome = flow.Execute(webinar.send_welcome_mail)
    remind = flow.Execute(webinar.send_reminder).AfterWaitingUntil(webinar.reminder_time)
    replay = flow.Execute(webinar.send_replay_offer).AfterWaitingFor(webinar.REPLAY_DELAY)
    end = flow.End()

    def init(self, task):
        """Check the registration and start an empty mail log."""
        missing = [key for key in ("email", "title", "starts") if not self.data.get(key)]
        if missing:
            raise ValueError(f"a webinar registration needs {', '.join(missing)}")
        starts = datetime.fromisoformat(self.data["starts"])
        if starts.tzinfo is None:
            raise ValueError(f"starts={self.data['starts']!r} has no time zone")
        self.data["mails"] = []
        self.save()
        return f"registered {self.data['email']}"

    def summary(self) -> str:
        """One line on what the participant received."""
        kinds = [mail["kind"] for mail in self.data.get("mails", [])]
        return f"{self.data.get('email')}: {', '.join(kinds) or 'no'} mails"
