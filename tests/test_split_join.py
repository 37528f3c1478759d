"""Split and Join: parallel paths, nested, joined only when all have arrived."""

from datetime import timedelta

import pytest

from automations import flow, outcomes
from automations.flow import this
from automations.models import AutomationTaskModel
from automations.testing import FakeClock

pytestmark = pytest.mark.django_db


class Nested(flow.Automation):
    start = flow.Execute(this.log, "start")
    split = flow.Split().Next("self.t10").Next("self.t20").Next("self.t30")
    join = flow.Join()
    after_join = flow.Execute(this.log, "all joined")
    end = flow.End()

    t10 = flow.Execute(this.log, "t10").Next(this.split_again)
    t20 = flow.Execute(this.log, "t20").Next(this.join)
    t30 = flow.Execute(this.log, "t30").Next(this.join)

    split_again = flow.Split().Next(this.t40).Next(this.t50)
    t40 = flow.Execute(this.log, "t40").Next(this.join_again)
    t50 = flow.Execute(this.log, "t50").AfterWaitingFor(timedelta(hours=1)).Next(this.join_again)
    join_again = flow.Join()
    going_back = flow.Execute(this.log, "inner joined").Next(this.join)

    def log(self, task, what):
        self.data.setdefault("log", []).append(what)
        self.save()


def test_nested_split_join_waits_for_every_path_of_its_own_split():
    with FakeClock() as clock:
        automation = Nested()
        log = automation.data["log"]
        assert log[0] == "start"
        assert set(log[1:]) == {"t10", "t40", "t20", "t30"}
        assert "all joined" not in log  # t50 still waits: neither join may fire
        open_tasks = dict(
            AutomationTaskModel.objects.filter(
                automation_id=automation.id, finished__isnull=True
            ).values_list("status", "wait_reason")
        )
        assert open_tasks == {
            "t50": outcomes.TIME,
            "join_again": outcomes.JOIN,
            "join": outcomes.JOIN,
        }
        assert (
            AutomationTaskModel.objects.filter(
                automation_id=automation.id, status="join", finished__isnull=True
            ).count()
            == 2
        )  # t20 and t30 have arrived; t10's path has not

        clock.advance(hours=1)
        automation = Nested(automation_id=automation.id)
        assert automation.data["log"][-3:] == ["t50", "inner joined", "all joined"]
        assert automation.is_finished()
        assert not AutomationTaskModel.objects.filter(
            automation_id=automation.id, finished__isnull=True
        ).exists()


def test_the_joined_task_lists_the_paths_it_joined():
    with FakeClock() as clock:
        automation = Nested()
        clock.advance(hours=1)
    joined = AutomationTaskModel.objects.get(
        automation_id=automation.id, status="join", message="Joined", next_tasks__isnull=False
    )
    assert len(joined.result) == 3
    assert len(joined.get_previous_tasks()) == 2


class Simple(flow.Automation):
    split = flow.Split().Next(this.a).Next(this.b)
    a = flow.Execute(this.mark).Next(this.join)
    b = flow.Execute(this.mark).Next(this.join)
    join = flow.Join()
    end = flow.End()

    def mark(self, task):
        self.data[task.status] = True
        self.save()


def test_paths_run_in_declaration_order_and_join_once():
    automation = Simple()
    assert automation.is_finished()
    statuses = list(
        AutomationTaskModel.objects.filter(automation_id=automation.id)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == ["split", "a", "b", "join", "join", "end"]
    assert automation.data == {"a": True, "b": True}
