"""Declaring automations: nodes collected once per class, references, Meta, modifiers."""

from datetime import timedelta

import pytest

from automations import flow
from automations.exceptions import DeclarationError, ModifierError
from automations.flow import this


class Base(flow.Automation):
    class Meta:
        verbose_name = "Base process"
        dashboard_template = "base/dashboard.html"
        status_template = ("base/status.html", "Current status")

    start = flow.Execute(this.hello)
    middle = flow.Execute(this.hello)
    end = flow.End()

    def hello(self, task):
        return "base"


class Child(Base):
    middle = flow.Execute(this.child_hello)  # overrides, keeps its place
    extra = flow.Execute(this.child_hello).Next(this.end)

    def child_hello(self, task):
        return "child"


def test_nodes_keep_declaration_order_and_subclasses_inherit_and_override():
    assert list(Base._meta.nodes) == ["start", "middle", "end"]
    assert list(Child._meta.nodes) == ["start", "middle", "end", "extra"]
    assert Child._meta.nodes["start"] is not Base._meta.nodes["start"]  # a copy per class
    assert Child._meta.nodes["start"].automation_class is Child
    assert Base._meta.nodes["middle"].next_name == "end"
    assert Child._meta.nodes["extra"].next_name == "end"


def test_nodes_know_their_names_and_are_class_attributes():
    assert Base.start.name == "start"
    assert Base.start.get_automation_name() == "tests.test_declarations.Base"
    assert repr(Base.middle) == "<Base.middle: Execute>"


def test_meta_verbose_names_and_their_defaults():
    assert Base.get_verbose_name() == "Base process"
    assert Base.get_verbose_name_plural() == "Automations Base"
    assert Child.get_verbose_name() == "Automation Child"  # Meta names are not inherited
    assert Child.get_verbose_name_plural() == "Automations Child"


def test_meta_templates_are_collected_and_inherited():
    assert Base._meta.dashboard_template == "base/dashboard.html"
    assert Child._meta.templates == {"status_template": ("base/status.html", "Current status")}


class References(flow.Automation):
    first = flow.Execute().Next(this.third)
    second = flow.Execute().Next("self.fourth")
    third = flow.Execute().Next("second")
    fourth = flow.End()


def test_this_self_and_plain_string_references_are_equivalent():
    nodes = References._meta.nodes
    assert nodes["first"].next_name == "third"
    assert nodes["second"].next_name == "fourth"
    assert nodes["third"].next_name == "second"


class NodeObjects(flow.Automation):
    start = flow.Execute()
    end = flow.End()
    jump = flow.Execute().Next(start)


def test_a_node_object_from_the_class_body_works_as_a_reference():
    assert NodeObjects._meta.nodes["jump"].next_name == "start"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: flow.Execute().Next(3), "Next"),
        (lambda: flow.Execute().Next(this.a).Next(this.b), "twice"),
        (lambda: flow.Execute().AfterWaitingFor("5 minutes"), "AfterWaitingFor"),
        (lambda: flow.Execute().AfterWaitingUntil(5), "AfterWaitingUntil"),
        (
            lambda: flow.Execute().AfterWaitingFor(timedelta(1)).AfterWaitingUntil(this.x),
            "only one",
        ),
        (lambda: flow.Execute().SkipAfter("tomorrow"), "SkipAfter"),
        (lambda: flow.Execute().OnError(this.a).OnError(this.b), "twice"),
        (lambda: flow.If(True).Then(this.a).Then(this.b), "twice"),
        (lambda: flow.Repeat().EveryHour(0), "EveryHour"),
        (lambda: flow.Repeat().EveryHour().EveryDay(), "only one interval"),
        (lambda: flow.Repeat().At(24, 0), "hour"),
        (lambda: flow.Repeat().At(12, 60), "minute"),
        (lambda: flow.Form(object()), "form"),
        (lambda: flow.Form(dict).Permission("no_dot"), "app_label.codename"),
        (lambda: flow.Form(dict).User(), "lookup"),
        (lambda: flow.SendMessage(1, "not a name"), "receiver"),
        (lambda: flow.SendMessage(3.5, "hello"), "target"),
        (lambda: flow.ModelForm(dict, key="not valid"), "key"),
    ],
)
def test_wrong_modifier_arguments_fail_while_the_class_body_runs(make, message):
    with pytest.raises(ModifierError, match=message):
        make()


def test_the_this_object_makes_references():
    reference = flow.this.anything
    assert isinstance(reference, flow.ThisAttribute) and reference.name == "anything"
    assert flow.This().other.name == "other"


def test_bound_nodes_are_per_instance_views_of_the_class_node(db):
    class_node = Base.start
    a, b = Base(autorun=False), Base(autorun=False)
    assert a.start == class_node and a.start is a.start
    assert a.start is not b.start
    assert a.start.data is a.data
    assert a.start.automation is a
    assert a.start.resolve(this.hello)(None) == "base"
    assert a.start.ready(b).automation is b
    with pytest.raises(AttributeError, match="not bound"):
        class_node.data  # noqa: B018


def test_abstract_automations_are_not_instantiated():
    class Abstract(flow.Automation):
        class Meta:
            abstract = True

        def shared(self, task):
            pass

    with pytest.raises(DeclarationError, match="abstract"):
        Abstract()
