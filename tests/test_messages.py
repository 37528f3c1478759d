"""Messages: receivers, sending, dispatching, broadcasting, creating, SendMessage."""

import django.dispatch
import pytest
from django.test import RequestFactory
from django.utils import timezone

from automations import flow
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel

pytestmark = pytest.mark.django_db


class Subscriptions(flow.Automation):
    publish_receivers = True

    start = flow.Execute(this.init)
    wait = flow.Execute().AsSoonAs(lambda task: task.data.get("closed"))
    end = flow.End()

    def init(self, task):
        self.data.setdefault("subscribers", [])
        self.save()

    def receive_update_subscriber(self, token, data):
        if token == "subscribe":
            self.data["subscribers"].append(data["email"])
        elif token == "unsubscribe":
            self.data["subscribers"].remove(data["email"])
        self.save()
        return len(self.data["subscribers"])

    def receive_close(self, token, data):
        self.data["closed"] = True
        self.save()
        return "received"

    @flow.require_data_parameters(email=str, count=int)
    def receive_strict(self, token, data):
        self.data["strict"] = [data["email"] if isinstance(data, dict) else data.GET["email"]]
        self.save()
        return "strict"


class Unrelated(flow.Automation):
    start = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()

    def receive_update_subscriber(self, token, data):
        return "wrong class"


def stored(automation):
    return AutomationModel.objects.get(pk=automation.id).data


def test_send_message_calls_the_receiver_with_token_and_data_and_returns_its_answer():
    subs = Subscriptions()
    assert subs.send_message("update_subscriber", "subscribe", {"email": "a@example.com"}) == 1
    assert subs.send_message("update_subscriber", "subscribe", {"email": "b@example.com"}) == 2
    assert subs.send_message("update_subscriber", "unsubscribe", {"email": "a@example.com"}) == 1
    assert stored(subs)["subscribers"] == ["b@example.com"]


def test_a_message_without_receiver_is_ignored():
    subs = Subscriptions()
    assert subs.send_message("no_such_message", None, {}) is None


def test_finished_instances_receive_nothing():
    subs = Subscriptions()
    subs.send_message("close", None, None)
    subs.run()
    assert subs.is_finished()
    assert subs.send_message("update_subscriber", "subscribe", {"email": "x@example.com"}) is None


def test_dispatch_by_instance_id_key_or_row_and_never_to_another_class():
    subs = Subscriptions()
    other = Unrelated()
    row = AutomationModel.objects.get(pk=subs.id)
    data = {"email": "c@example.com"}
    assert Subscriptions.dispatch_message(subs, "update_subscriber", "subscribe", data) == 1
    assert Subscriptions.dispatch_message(subs.id, "update_subscriber", "subscribe", data) == 2
    assert (
        Subscriptions.dispatch_message(subs.get_key(), "update_subscriber", "subscribe", data) == 3
    )
    assert Subscriptions.dispatch_message(row, "update_subscriber", "subscribe", data) == 4
    assert Subscriptions.dispatch_message(other.id, "update_subscriber", "subscribe", data) is None
    assert Subscriptions.dispatch_message(other.get_key(), "update_subscriber", "x", data) is None
    assert Subscriptions.dispatch_message(10**9, "update_subscriber", "subscribe", data) is None
    assert Subscriptions.dispatch_message("no-such-key", "update_subscriber", "x", data) is None
    assert (
        flow.Automation.dispatch_message(other.id, "update_subscriber", None, {}) == "wrong class"
    )


def test_broadcast_reaches_running_instances_until_one_says_received():
    first, second = Subscriptions(), Subscriptions()
    finished = Subscriptions()
    finished.send_message("close", None, None)
    finished.run()
    Unrelated()
    results = Subscriptions.broadcast_message(
        "update_subscriber", "subscribe", {"email": "d@x.org"}
    )
    assert results == [1, 1]
    assert Subscriptions.broadcast_message("close", None, None) == ["received"]
    assert stored(first).get("closed") is True and "closed" not in stored(second)


def test_require_data_parameters_checks_presence_and_type_in_dicts_and_requests():
    subs = Subscriptions()
    assert Subscriptions.satisfies_data_requirements("strict", {"email": "e", "count": "3"})
    assert not Subscriptions.satisfies_data_requirements("strict", {"email": "e"})
    assert not Subscriptions.satisfies_data_requirements("strict", {"email": "e", "count": "x"})
    assert not Subscriptions.satisfies_data_requirements("strict", None)
    assert not Subscriptions.satisfies_data_requirements("missing", {})
    assert Subscriptions.satisfies_data_requirements("close", None)
    assert subs.send_message("strict", None, {"email": "e"}) is None
    assert "strict" not in stored(subs)
    request = RequestFactory().get("/", {"email": "f@example.com", "count": "2"})
    assert subs.send_message("strict", None, request) == "strict"
    assert stored(subs)["strict"] == ["f@example.com"]


def test_a_message_wakes_the_instances_false_conditions_at_once():
    subs = Subscriptions()
    waiting = AutomationTaskModel.objects.get(automation_id=subs.id, finished__isnull=True)
    assert waiting.wake_at > waiting.created
    subs.send_message("update_subscriber", "subscribe", {"email": "g@example.com"})
    assert AutomationTaskModel.objects.get(pk=waiting.pk).wake_at <= timezone.now()


class PerEmail(flow.Automation):
    unique = ("email",)

    start = flow.Execute(this.first_node)
    wait = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()

    def first_node(self, task):
        self.data["first_node_saw"] = list(self.data.get("messages", []))
        self.save()

    def receive_hello(self, token, data):
        self.data.setdefault("messages", []).append(token)
        self.save()


def test_create_on_message_delivers_before_the_first_node_and_honours_unique():
    created = PerEmail.create_on_message("hello", "one", {"email": "h@example.com"})
    assert stored(created)["first_node_saw"] == ["one"]
    again = PerEmail.create_on_message("hello", "two", {"email": "h@example.com"})
    assert again.id == created.id
    assert stored(created)["messages"] == ["one", "two"]
    request = RequestFactory().get("/", {"email": "i@example.com"})
    from_request = PerEmail.create_on_message("hello", "three", request)
    assert from_request.id != created.id and stored(from_request)["email"] == "i@example.com"
    assert PerEmail.create_on_message("hello", "four", {}) is None  # unique key missing
    assert PerEmail.create_on_message("nobody_listens", "x", {"email": "j@x.org"}) is None


def test_receivers_are_listed():
    assert Subscriptions.get_receivers() == ["close", "strict", "update_subscriber"]
    assert Subscriptions.publish_receivers is True


class Sender(flow.Automation):
    to_id = flow.SendMessage(this.target_id, "update_subscriber", "subscribe", this.payload)
    to_class = flow.SendMessage(Subscriptions, "update_subscriber", "subscribe", email="k@x.org")
    to_path = flow.SendMessage("tests.test_messages.Subscriptions", "close")
    to_nobody = flow.SendMessage("tests.test_messages.Unrelated", "no_receiver_here")
    end = flow.End()

    def target_id(self, task):
        return self.data["target"]

    def payload(self, task):
        return {"email": "id@x.org"}


def test_send_message_node_reaches_ids_classes_and_dotted_paths():
    first, second = Subscriptions(), Subscriptions()
    sender = Sender(target=first.id)
    assert sender.is_finished() and not sender._db.failed
    assert stored(first)["subscribers"] == ["id@x.org", "k@x.org"]
    assert stored(second)["subscribers"] == ["k@x.org"]
    results = dict(
        AutomationTaskModel.objects.filter(automation_id=sender.id).values_list("status", "result")
    )
    assert results["to_id"] == {"results": [1]}
    assert results["to_class"] == {"results": [2, 1]}
    assert results["to_path"] == {"results": ["received"]}  # the first one caught it
    assert results["to_nobody"] == {"results": []}


test_signal = django.dispatch.Signal()
old_style_signal = django.dispatch.Signal()


@flow.on_signal(test_signal)
class Signalled(flow.Automation):
    start = flow.Execute(this.first)
    end = flow.End()
    alternative = flow.Execute(this.alt).Next(this.end)

    def started_by_signal(self, sender, **kwargs):
        self.data["sender"] = sender.__name__
        self.data["value"] = kwargs["value"]
        self.save()

    def first(self, task):
        self.data["first_saw"] = self.data.get("value")
        self.save()

    def alt(self, task):
        self.data["alternative"] = True
        self.save()


@flow.on_signal(old_style_signal, start="alternative")
class OldStyle(Signalled):
    def started_by_signal(self, sender, kwargs):
        self.data["old_style"] = sorted(kwargs)
        self.save()


def test_a_signal_starts_an_instance_and_started_by_signal_runs_before_the_first_node():
    test_signal.send(sender=Subscriptions, value=42)
    row = AutomationModel.objects.get(automation_class=Signalled._meta.path)
    assert row.data == {"sender": "Subscriptions", "value": 42, "first_saw": 42}
    assert row.finished


def test_signal_start_node_and_the_older_hook_signature():
    old_style_signal.send(sender=Subscriptions, value=1)
    row = AutomationModel.objects.get(automation_class=OldStyle._meta.path)
    assert row.data == {"old_style": ["signal", "value"], "alternative": True}
    assert not AutomationTaskModel.objects.filter(automation=row, status="start").exists()


def test_on_signal_with_an_unknown_start_node_fails_at_once():
    from automations.exceptions import DeclarationError

    signal = django.dispatch.Signal()
    with pytest.raises(DeclarationError, match="start='nowhere'"):
        flow.on_signal(signal, start="nowhere")(Subscriptions)
    assert not signal.receivers
