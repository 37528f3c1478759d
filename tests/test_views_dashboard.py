"""The operator's pages: dashboard, class diagram, history, stopped automations, traceback."""

from datetime import timedelta

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from automations import flow
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel
from automations.testing import FakeClock
from automations.views.history import Parallel, build_timeline

pytestmark = pytest.mark.django_db


class NoteForm(forms.Form):
    note = forms.CharField()


class Onboarding(flow.Automation):
    class Meta:
        verbose_name = "Onboarding"
        verbose_name_plural = "Onboardings"
        dashboard_template = "custom/onboarding_dashboard.html"

    start = flow.Split().Next(this.paperwork).Next(this.laptop)
    paperwork = flow.Execute(this.note, "paperwork").Next(this.ready)
    laptop = flow.Execute(this.note, "laptop").AfterWaitingFor(timedelta(days=2)).Next(this.ready)
    ready = flow.Join()
    welcome = flow.Form(NoteForm, description="Welcome the new colleague").Group(name="HR")
    end = flow.End()

    def note(self, task, what):
        self.data.setdefault("done", []).append(what)
        self.save()

    @classmethod
    def get_dashboard_context(cls, queryset):
        return {"with_laptop": sum("laptop" in row.data.get("done", []) for row in queryset)}


class Fragile(flow.Automation):
    start = flow.Execute(this.explode)
    end = flow.End()

    def explode(self, task):
        raise ValueError("the printer is on fire")


@pytest.fixture
def operator():
    user = User.objects.create_user("olga", password="pw")
    user.user_permissions.add(
        Permission.objects.get(codename="view_automationmodel"),
        Permission.objects.get(codename="view_automationtaskmodel"),
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def dashboard_template(tmp_path, settings):
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "onboarding_dashboard.html").write_text(
        "<p class='custom'>{{ item.verbose_name_plural }}: {{ item.running }} running, "
        "{{ dashboard.with_laptop }} with a laptop</p>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]


def operator_urls():
    onboarding = Onboarding()
    fragile = Fragile()
    error = AutomationTaskModel.objects.get(automation_id=fragile.id, status="start")
    return [
        reverse("automations:dashboard"),
        reverse("automations:errors"),
        reverse("automations:history", kwargs={"automation_id": onboarding.id}),
        reverse("automations:traceback", kwargs={"automation_id": fragile.id, "task_id": error.pk}),
        reverse("automations:automation_class", kwargs={"automation_class": Fragile._meta.path}),
    ]


def test_operator_pages_need_view_permission_on_both_models(operator):
    urls = operator_urls()
    clerk = User.objects.create_user("clerk")
    half = User.objects.create_user("half")
    half.user_permissions.add(Permission.objects.get(codename="view_automationmodel"))
    boss = User.objects.create_superuser("boss")
    for url in urls:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/")
        for refused in (clerk, half):
            client = Client()
            client.force_login(refused)
            assert client.get(url).status_code == 403, url
        assert operator.get(url).status_code == 200, url
        client = Client()
        client.force_login(boss)
        assert client.get(url).status_code == 200, url


def test_the_dashboard_counts_per_class_and_uses_the_class_template(operator):
    Onboarding()
    Onboarding()
    Fragile()
    response = operator.get(reverse("automations:dashboard"))
    items = {item.path: item for item in response.context["automations"]}
    onboarding, fragile = items[Onboarding._meta.path], items[Fragile._meta.path]
    assert (onboarding.running, onboarding.finished, onboarding.failed) == (2, 0, 0)
    assert (fragile.running, fragile.finished, fragile.failed) == (0, 0, 1)
    html = response.content.decode()
    assert "<p class='custom'>Onboardings: 2 running, 0 with a laptop</p>" in html
    assert 'data-automation-class="tests.test_views_dashboard.Fragile"' in html  # default
    assert [activity.at for activity in onboarding.recent] == [["laptop", "ready"]] * 2


def test_the_dashboard_window_leaves_out_old_finished_instances(operator):
    with FakeClock() as clock:
        Fragile()  # fails and so is finished
        clock.advance(days=40)
        response = operator.get(reverse("automations:dashboard"))
        assert response.context["automations"] == []
        response = operator.get(reverse("automations:dashboard"), {"days": "60"})
        assert [item.failed for item in response.context["automations"]] == [1]
        response = operator.get(reverse("automations:dashboard"), {"days": "lots"})
        assert response.context["days"] == 30


def test_history_shows_parallel_paths_the_current_node_and_the_next_wake(operator):
    with FakeClock() as clock:
        onboarding = Onboarding()
        response = operator.get(
            reverse("automations:history", kwargs={"automation_id": onboarding.id})
        )
    timeline = response.context["timeline"]
    assert [step.task.status for step in timeline[:1]] == ["start"]
    block = timeline[1]
    assert isinstance(block, Parallel)
    assert [[step.task.status for step in path] for path in block.paths] == [
        ["paperwork", "ready"],
        ["laptop"],
    ]
    assert response.context["next_wake"] == clock.now + timedelta(days=2)
    html = response.content.decode()
    assert 'class="atm-node atm-kind-execute atm-waits atm-current" data-node="laptop"' in html
    assert 'data-node="paperwork"' in html and "atm-paths" in html
    assert "wakes" in html


def test_history_continues_after_the_join(operator):
    Group.objects.create(name="HR")
    with FakeClock() as clock:
        onboarding = Onboarding()
        clock.advance(days=2)
        response = operator.get(
            reverse("automations:history", kwargs={"automation_id": onboarding.id})
        )
    timeline = response.context["timeline"]
    assert [getattr(item, "task", None) and item.task.status for item in timeline] == [
        "start",
        None,  # the parallel block
        "welcome",
    ]
    assert response.context["next_wake"] is None
    assert response.context["waiting_for"] == ["person"]
    assert 'atm-current" data-node="welcome"' in response.content.decode()


def test_stopped_automations_are_listed_with_their_traceback(operator):
    fragile = Fragile()
    Onboarding()
    response = operator.get(reverse("automations:errors"))
    stopped = response.context["stopped"]
    assert [entry.automation.pk for entry in stopped] == [fragile.id]
    assert "the printer is on fire" in response.content.decode()

    traceback_url = reverse(
        "automations:traceback",
        kwargs={"automation_id": fragile.id, "task_id": stopped[0].error_task.pk},
    )
    page = operator.get(traceback_url).content.decode()
    assert "Traceback" in page and "explode" in page and "ValueError" in page

    history = operator.get(reverse("automations:history", kwargs={"automation_id": fragile.id}))
    assert 'atm-failed" data-node="start"' in history.content.decode()
    assert traceback_url in history.content.decode()


def test_a_traceback_must_belong_to_the_automation_and_be_an_error(operator):
    fragile = Fragile()
    onboarding = Onboarding()
    error = AutomationTaskModel.objects.get(automation_id=fragile.id, status="start")
    fine = AutomationTaskModel.objects.get(automation_id=onboarding.id, status="start")
    wrong_owner = reverse(
        "automations:traceback", kwargs={"automation_id": onboarding.id, "task_id": error.pk}
    )
    no_error = reverse(
        "automations:traceback", kwargs={"automation_id": onboarding.id, "task_id": fine.pk}
    )
    assert operator.get(wrong_owner).status_code == 404
    assert operator.get(no_error).status_code == 404


def test_the_class_page_draws_the_diagram_and_refuses_unknown_classes(operator):
    url = reverse(
        "automations:automation_class", kwargs={"automation_class": Onboarding._meta.path}
    )
    html = operator.get(url).content.decode()
    assert "<svg" in html and 'data-node="welcome"' in html
    unknown = reverse("automations:automation_class", kwargs={"automation_class": "os.system"})
    assert operator.get(unknown).status_code == 404


def test_history_of_an_unknown_instance_is_not_found(operator):
    missing = reverse("automations:history", kwargs={"automation_id": 424242})
    assert operator.get(missing).status_code == 404


def test_history_of_an_instance_whose_class_is_gone_still_shows_its_tasks(operator):
    onboarding = Onboarding()
    AutomationModel.objects.filter(pk=onboarding.id).update(automation_class="gone.Away")
    response = operator.get(reverse("automations:history", kwargs={"automation_id": onboarding.id}))
    assert response.status_code == 200
    assert response.context["diagram"] is None
    assert "no longer exists" in response.content.decode()


# build_timeline without a database ------------------------------------------------


def task(pk, status, previous=None, split=None):
    return AutomationTaskModel(pk=pk, status=status, previous_id=previous, split_task_id=split)


def shape(items):
    return [
        item.task.status if not isinstance(item, Parallel) else [shape(p) for p in item.paths]
        for item in items
    ]


def test_timeline_of_nested_splits():
    tasks = [
        task(1, "start"),
        task(2, "split"),
        task(3, "a", 2, 2),
        task(4, "inner", 2, 2),
        task(5, "a_join", 3, 2),
        task(6, "x", 4, 4),
        task(7, "y", 4, 4),
        task(8, "inner_join", 6, 4),
        task(9, "inner_join", 7, 4),
        task(10, "after_inner", 9, 2),
        task(11, "a_join", 10, 2),
        task(12, "end", 11, None),
    ]
    tasks[1].previous_id = 1
    assert shape(build_timeline(list(reversed(tasks)))) == [
        "start",
        "split",
        [
            ["a", "a_join"],
            ["inner", [["x", "inner_join"], ["y", "inner_join"]], "after_inner", "a_join"],
        ],
        "end",
    ]


def test_timeline_without_the_oldest_tasks_starts_where_it_can():
    tasks = [task(7, "again", 6), task(8, "report", 7), task(9, "again", 8)]
    assert shape(build_timeline(tasks)) == ["again", "report", "again"]
