"""If nodes: branches by node or callable, per instance."""

import pytest

from automations import flow
from automations.flow import this
from automations.models import AutomationTaskModel

pytestmark = pytest.mark.django_db


def path(automation):
    return list(
        AutomationTaskModel.objects.filter(automation_id=automation.id)
        .order_by("pk")
        .values_list("status", "message")
    )


class Route(flow.Automation):
    start = flow.If(lambda task: task.data["amount"] > 100).Then(this.big).Else("small")
    big = flow.Execute(this.note, "big").Next("self.end")
    small = flow.Execute(this.note, "small")
    end = flow.End()

    def note(self, task, what):
        self.data["route"] = what
        self.save()


def test_then_and_else_jump_to_nodes_per_instance():
    large, little = Route(amount=500), Route(amount=5)
    assert large.data["route"] == "big"
    assert little.data["route"] == "small"
    # The first instance's branch did not leak into the second (or back).
    assert path(large) == [("start", "True"), ("big", "OK"), ("end", "Finished")]
    assert path(little) == [("start", "False"), ("small", "OK"), ("end", "Finished")]


class Callables(flow.Automation):
    start = flow.If(this.is_vip).Then(this.greet, "VIP", loud=True).Else(lambda task: "plain")
    after = flow.If("is_vip").Then()
    no_else = flow.If(lambda task: False).Then(this.greet, "never")
    end = flow.End()

    def is_vip(self, task):
        return self.data.get("vip", False)

    def greet(self, task, kind, loud=False):
        self.data.setdefault("greetings", []).append([kind, loud])
        self.save()
        return kind


def test_a_branch_may_be_a_callable_with_arguments_then_the_next_node_follows():
    vip = Callables(vip=True)
    assert vip.data["greetings"] == [["VIP", True]]
    assert path(vip) == [
        ("start", "True"),
        ("after", "True"),
        ("no_else", "False"),
        ("end", "Finished"),
    ]
    assert AutomationTaskModel.objects.get(automation_id=vip.id, status="start").result == "VIP"
    plain = Callables()
    assert "greetings" not in plain.data
    assert AutomationTaskModel.objects.get(automation_id=plain.id, status="start").result == "plain"


def test_class_level_nodes_keep_no_runtime_state():
    before = {name: dict(vars(node)) for name, node in Route._meta.nodes.items()}
    Route(amount=500)
    Route(amount=5)
    after = {name: dict(vars(node)) for name, node in Route._meta.nodes.items()}
    assert before == after
