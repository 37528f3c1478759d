"""Wrong declarations are reported as system checks with stable ids, naming class and node.

Broken classes are defined inside the tests so that they do not linger in the registry.
"""

import gc

import pytest
from django import forms
from django.core.management import call_command
from django.test import override_settings

from automations import flow
from automations.checks import check_automation_classes, check_settings
from automations.exceptions import DeclarationError
from automations.flow import this


def ids(cls):
    return sorted({problem.id for problem in cls._meta.check()})


def only(cls, problem_id):
    found = [problem for problem in cls._meta.check() if problem.id == problem_id]
    assert found, f"{problem_id} not reported; got {ids(cls)}"
    return found[0]


def test_a_reference_to_a_missing_node_is_e101_naming_class_node_and_choices():
    class Typo(flow.Automation):
        start = flow.Execute().Next(this.ned)
        end = flow.End()

    problem = only(Typo, "automations.E101")
    assert "Typo.start" in problem.msg and "'ned'" in problem.msg
    assert "start, end" in problem.hint
    assert problem.obj is Typo


@pytest.mark.parametrize(
    "make_node",
    [
        lambda: flow.If(True).Then("missing"),
        lambda: flow.Execute().OnError("self.missing"),
        lambda: flow.Split().Next(this.a).Next(this.missing),
        lambda: flow.Repeat(this.missing).EveryDay(),
        lambda: flow.Execute(this.missing_method),
        lambda: flow.Execute().AsSoonAs("self.missing_condition"),
    ],
)
def test_every_kind_of_reference_is_checked(make_node):
    class Broken(flow.Automation):
        node = make_node()
        a = flow.Execute().Next(this.join)
        join = flow.Join()
        end = flow.End()

    assert "automations.E101" in ids(Broken)


def test_instantiating_a_broken_class_fails_with_the_problems_listed():
    class Typo(flow.Automation):
        start = flow.Execute().Next(this.ned)
        end = flow.End()

    with pytest.raises(DeclarationError, match=r"automations\.E101.*Typo\.start"):
        Typo()


@pytest.mark.parametrize("name", ["data", "id", "save", "run", "send_message", "unique", "kill"])
def test_a_node_name_that_shadows_the_api_is_e102(name):
    Shadow = type("Shadow", (flow.Automation,), {name: flow.Execute(), "end": flow.End()})
    problem = only(Shadow, "automations.E102")
    assert f"Shadow.{name}" in problem.msg


def test_a_node_name_with_an_underscore_is_e102():
    class Private(flow.Automation):
        _start = flow.Execute()
        end = flow.End()

    assert "automations.E102" in ids(Private)


def test_a_split_whose_path_ends_without_join_is_e103():
    class NoJoin(flow.Automation):
        split = flow.Split().Next(this.a).Next(this.b)
        a = flow.Execute().Next(this.end)
        b = flow.Execute().Next(this.end)
        end = flow.End()

    problem = only(NoJoin, "automations.E103")
    assert "NoJoin.split" in problem.msg and "End" in problem.msg


def test_paths_of_one_split_meeting_at_different_joins_is_e103():
    class TwoJoins(flow.Automation):
        split = flow.Split().Next(this.a).Next(this.b)
        a = flow.Execute().Next(this.join_a)
        b = flow.Execute().Next(this.join_b)
        join_a = flow.Join().Next(this.end)
        join_b = flow.Join().Next(this.end)
        end = flow.End()

    assert "different Joins" in only(TwoJoins, "automations.E103").msg


def test_split_join_that_is_right_reports_nothing():
    class Fine(flow.Automation):
        split = flow.Split().Next(this.a).Next(this.b)
        a = flow.Execute().Next(this.inner)
        inner = flow.Split().Next(this.c).Next(this.d)
        c = flow.Execute().Next(this.inner_join)
        d = flow.If(True).Then(this.inner_join).Else(this.c)
        inner_join = flow.Join().Next(this.join)
        b = flow.Execute().Next(this.join)
        join = flow.Join()
        end = flow.End()

    assert Fine._meta.check() == []


def test_looping_paths_without_join_are_allowed():
    class Workers(flow.Automation):
        start = flow.Split().Next(this.loop1).Next(this.loop2)
        loop1 = flow.Repeat("self.loop1").EveryDay().At(21, 0)
        loop2 = flow.Repeat("self.loop2").EveryNMinutes(30)

    assert Workers._meta.check() == []


def test_if_without_then_is_e104():
    class NoThen(flow.Automation):
        start = flow.If(True).Else(this.end)
        end = flow.End()

    assert "NoThen.start" in only(NoThen, "automations.E104").msg


def test_a_path_past_the_last_node_is_e105():
    class NoEnd(flow.Automation):
        start = flow.Execute()
        last = flow.Execute()

    problem = only(NoEnd, "automations.E105")
    assert "NoEnd.last" in problem.msg and "End()" in problem.hint


def test_a_join_reachable_without_split_is_e106():
    class LoneJoin(flow.Automation):
        start = flow.Execute()
        join = flow.Join()
        end = flow.End()

    assert "LoneJoin.join" in only(LoneJoin, "automations.E106").msg


def test_a_split_without_paths_is_e107():
    class Empty(flow.Automation):
        split = flow.Split()
        end = flow.End()

    assert "automations.E107" in ids(Empty)


def test_repeat_without_schedule_or_with_a_conflicting_one_is_e108():
    class NoSchedule(flow.Automation):
        start = flow.Execute()
        loop = flow.Repeat()

    class Conflict(flow.Automation):
        start = flow.Execute()
        loop = flow.Repeat().EveryHour().At(3, 0)

    assert "no schedule" in only(NoSchedule, "automations.E108").msg
    assert "At()" in only(Conflict, "automations.E108").msg


def test_an_automation_without_nodes_is_e109():
    class Nothing(flow.Automation):
        pass

    assert ids(Nothing) == ["automations.E109"]


def test_a_modelform_key_that_is_an_automation_attribute_is_e110():
    class Clash(flow.Automation):
        edit = flow.ModelForm(forms.ModelForm, key="data").User(id=1)
        end = flow.End()

    assert "automations.E110" in ids(Clash)


def test_executing_a_node_instead_of_a_callable_is_e111():
    class Confused(flow.Automation):
        start = flow.Execute(this.end)
        end = flow.End()

    assert "automations.E111" in ids(Confused)


def test_an_invalid_unique_declaration_is_e112():
    class BadUnique(flow.Automation):
        unique = ("automation_id",)
        end = flow.End()

    assert "automations.E112" in ids(BadUnique)


def test_a_node_replaced_by_a_method_of_the_same_name_is_e113():
    class Clash(flow.Automation):
        start = flow.Execute(this.remind)
        remind = flow.Execute(this.start_reminding)
        end = flow.End()

        def remind(self, task):  # noqa: F811  (the mistake under test)
            pass

        def start_reminding(self, task):
            pass

    problem = only(Clash, "automations.E113")
    assert "Clash.remind" in problem.msg and "function" in problem.msg


def test_a_reference_that_does_not_resolve_is_not_also_reported_as_a_path_past_the_end():
    class Typo(flow.Automation):
        start = flow.Execute().Next(this.fnish)
        finish = flow.End()

    assert ids(Typo) == ["automations.E101", "automations.W101"]


def test_an_unreachable_node_and_an_unassigned_form_are_warnings():
    class Orphans(flow.Automation):
        start = flow.Form(forms.Form)
        end = flow.End()
        orphan = flow.Execute().Next(this.end)

    problems = {problem.id: problem for problem in Orphans._meta.check()}
    assert set(problems) == {"automations.W101", "automations.W102"}
    assert "Orphans.orphan" in problems["automations.W101"].msg
    assert not any(problem.is_serious() for problem in problems.values())
    Orphans._meta.check()  # warnings do not keep the class from running


def test_registered_classes_are_checked_by_the_system_check_framework():
    class Registered(flow.Automation):
        start = flow.Execute().Next("nowhere")

    found = [p for p in check_automation_classes() if p.obj is Registered]
    assert {p.id for p in found} >= {"automations.E101", "automations.W104"}
    del Registered, found
    gc.collect()


def test_the_project_passes_manage_py_check():
    gc.collect()  # broken classes of other tests are gone
    call_command("check")  # errors fail; warnings of deliberately odd test classes do not


@override_settings(ATM_GROUP_MODEL="auth.Group")
def test_group_settings_must_come_all_three_together():
    problems = check_settings()
    assert [p.id for p in problems] == ["automations.E001"]
    assert "ATM_USER_WITH_PERMISSIONS_FORM_METHOD" in problems[0].msg
