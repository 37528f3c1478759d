"""The benchmark's automations (documented API only, so the original runs them too)."""

import datetime

from automations import flow
from automations.flow import this


class ThreeSteps(flow.Automation):
    """Three Execute steps and an End; each step computes and returns a small result."""

    one = flow.Execute(this.work)
    two = flow.Execute(this.work)
    three = flow.Execute(this.work)
    end = flow.End()

    def work(self, task):
        return {"double": task.data["n"] * 2}


class LongTimer(flow.Automation):
    start = flow.Execute().AfterWaitingFor(datetime.timedelta(days=365))
    end = flow.End()


class FalseCondition(flow.Automation):
    start = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()


class WaitsForPerson(flow.Automation):
    start = flow.Execute()
    review = flow.Form(dict).Group(name="Reviewers")
    end = flow.End()


class WakesAt(flow.Automation):
    """Waits until the moment given as ``at`` (ISO), then runs one step."""

    start = flow.Execute()
    work = flow.Execute().AfterWaitingUntil(this.moment)
    end = flow.End()

    def moment(self, task):
        return datetime.datetime.fromisoformat(self.data["at"])
