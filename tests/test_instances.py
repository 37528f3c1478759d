"""Automation instances: data, bound models, binding, uniqueness, keys, life cycle."""

import pytest

from automations import flow
from automations.exceptions import (
    AutomationFinished,
    AutomationNotFound,
    DataNotSerializable,
    WrongAutomationClass,
)
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel
from tests.testapp.models import Webinar

pytestmark = pytest.mark.django_db


class Waits(flow.Automation):
    webinar = Webinar  # declared binding: self.webinar is the Webinar instance

    start = flow.Execute(this.note)
    hold = flow.Execute().AsSoonAs(lambda task: task.data.get("go"))
    end = flow.End()

    def note(self, task):
        self.data["title"] = self.webinar.title if self.data.get("webinar") else None
        self.save()


class Other(flow.Automation):
    start = flow.Execute()
    end = flow.End()


def test_keywords_are_stored_in_data_and_model_instances_by_id():
    talk = Webinar.objects.create(title="Django tips")
    automation = Waits(webinar=talk, audience=["ann", "bob"], limit=3)
    row = AutomationModel.objects.get(pk=automation.id)
    assert row.data == {
        "webinar": talk.pk,
        "audience": ["ann", "bob"],
        "limit": 3,
        "title": "Django tips",
    }
    assert (
        row.automation_class
        == "tests.test_declarations".replace("declarations", "instances") + ".Waits"
    )
    assert Waits(automation_id=automation.id).webinar == talk


def test_undeclared_model_keywords_become_attributes_too():
    talk = Webinar.objects.create(title="Undeclared")
    automation = Other(talk=talk)
    assert automation.data["talk"] == talk.pk
    again = Other(automation=automation.get_key())
    assert again.talk == talk
    with pytest.raises(AttributeError):
        again.not_there  # noqa: B018


def test_values_that_are_not_json_give_a_type_error_naming_the_key():
    with pytest.raises(DataNotSerializable, match=r"Other\(when=\.\.\.\).*datetime") as info:
        Other(when=__import__("datetime").datetime(2026, 1, 1))
    assert isinstance(info.value, TypeError)
    assert not AutomationModel.objects.exists()  # nothing half-created


def test_autorun_false_creates_the_first_task_due_but_runs_nothing():
    automation = Waits(autorun=False)
    task = AutomationTaskModel.objects.get(automation_id=automation.id)
    assert (task.status, task.finished, task.message) == ("start", None, "")
    assert task.wake_at is not None
    assert automation.run() == automation.hold  # returns the node it stopped at


def test_binding_by_id_key_or_row_and_the_errors_for_wrong_ones():
    automation = Waits()
    row = AutomationModel.objects.get(pk=automation.id)
    for bound in (
        Waits(automation_id=automation.id),
        Waits(automation=automation.get_key()),
        Waits(automation=row),
    ):
        assert bound.id == automation.id and bound.data == automation.data
    with pytest.raises(WrongAutomationClass):
        Other(automation_id=automation.id)
    with pytest.raises(AutomationNotFound):
        Waits(automation_id=10**9)
    with pytest.raises(TypeError, match="takes no data"):
        Waits(automation_id=automation.id, extra=1)


def test_binding_does_not_run_unless_asked():
    automation = Waits()
    task = AutomationTaskModel.objects.get(automation_id=automation.id, finished__isnull=True)
    AutomationTaskModel.objects.filter(pk=task.pk).update(wake_at=task.created)  # due now
    Waits(automation_id=automation.id)
    assert AutomationTaskModel.objects.get(pk=task.pk).condition_checks == task.condition_checks
    Waits(automation_id=automation.id, autorun=True)
    assert AutomationTaskModel.objects.get(pk=task.pk).condition_checks == task.condition_checks + 1


def test_keys_are_stable_and_unguessable():
    instances = [Other(autorun=False) for _ in range(20)]
    keys = [instance.get_key() for instance in instances]
    assert len(set(keys)) == len(keys)
    # 43 URL-safe characters: 256 random bits, nothing derived from the id or class.
    assert all(len(key) == 43 and key.replace("-", "").replace("_", "").isalnum() for key in keys)
    first = instances[0]
    assert first.get_key() == Other(automation_id=first.id).get_key() == first._db.get_key()
    assert AutomationModel.objects.get(key=first.get_key()).pk == first.id


def test_finished_instances_cannot_run_and_killed_ones_are_gone():
    done = Other()
    assert done.is_finished() and done.finished()
    with pytest.raises(AutomationFinished):
        done.run()
    waiting = Waits()
    waiting.kill()
    assert waiting.killed() and waiting.is_finished()
    assert not AutomationModel.objects.filter(pk=done.id - 0).exclude(pk=done.id).exists()
    assert not AutomationTaskModel.objects.filter(
        automation_id=waiting._db.pk if waiting._db else -1
    ).exists()


class Singleton(flow.Automation):
    unique = True

    start = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()


class PerEmail(flow.Automation):
    unique = ("email",)

    start = flow.Execute().AsSoonAs(lambda task: task.data.get("go"))
    end = flow.End()


class AlsoPerEmail(flow.Automation):
    unique = ("email",)

    start = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()


def test_unique_true_returns_the_running_instance():
    first = Singleton()
    second = Singleton()
    assert second.id == first.id and not second._created
    assert AutomationModel.objects.filter(automation_class=Singleton._meta.path).count() == 1


def test_unique_keys_return_the_running_instance_with_the_same_values_of_this_class_only():
    ann = PerEmail(email="ann@example.com", note="first")
    assert PerEmail(email="ann@example.com", note="second").id == ann.id
    assert PerEmail(email="bob@example.com").id != ann.id
    # Another class with the same unique key and value is a different process.
    assert AlsoPerEmail(email="ann@example.com").id != ann.id


def test_a_finished_unique_instance_frees_its_values():
    ann = PerEmail(email="ann@example.com")
    ann.data["go"] = True
    ann.save()
    ann.run()
    assert ann.is_finished()
    assert PerEmail(email="ann@example.com").id != ann.id


def test_unique_keys_must_be_given():
    with pytest.raises(TypeError, match="email="):
        PerEmail(name="ann")


def test_verbose_names_and_class_name():
    automation = Other(autorun=False)
    assert automation.get_verbose_name() == "Automation Other"
    assert automation.get_verbose_name_plural() == "Automations Other"
    assert automation.get_automation_class_name() == "tests.test_instances.Other"
    assert AutomationModel.objects.get(pk=automation.id).get_automation_class() is Other
    assert isinstance(AutomationModel.objects.get(pk=automation.id).instance, Other)


def test_locked_reads_fresh_data_for_a_read_modify_write():
    automation = Waits(counter=1)
    stale = Waits(automation_id=automation.id)
    AutomationModel.objects.filter(pk=automation.id).update(data={"counter": 5})
    with stale.locked() as fresh:
        fresh.data["counter"] += 1
        fresh.save()
    assert AutomationModel.objects.get(pk=automation.id).data == {"counter": 6}
