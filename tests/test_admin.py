"""The admin: read-only records, filters, search, the tasks inline, retry and kill."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from automations import flow
from automations.flow import this
from automations.models import AutomationModel, AutomationTaskModel

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:automations_automationmodel_changelist"
TASK_CHANGELIST = "admin:automations_automationtaskmodel_changelist"


class Flaky(flow.Automation):
    class Meta:
        verbose_name = "Flaky import"

    start = flow.Execute(this.load)
    end = flow.End()

    def load(self, task):
        if not self.data.get("fixed"):
            raise ConnectionError("the supplier's server is down")
        self.data["loaded"] = True
        self.save()


class Steady(flow.Automation):
    start = flow.Execute()
    wait = flow.Execute().AsSoonAs(lambda task: False)
    end = flow.End()


@pytest.fixture
def admin_client():
    user = User.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(user)
    return client


def staff_with(*codenames):
    user = User.objects.create_user("staff", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def run_action(client, url_name, action, pks, **extra):
    return client.post(
        reverse(url_name), {"action": action, helpers.ACTION_CHECKBOX_NAME: pks, **extra}
    )


def test_the_changelists_filter_and_search(admin_client):
    flaky, steady = Flaky(), Steady()
    page = admin_client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Flaky import" in html and "By process class" in html
    failed_only = admin_client.get(reverse(CHANGELIST), {"failed__exact": "1"})
    assert [row.pk for row in failed_only.context["cl"].result_list] == [flaky.id]
    by_class = admin_client.get(reverse(CHANGELIST), {"automation_class": Steady._meta.path})
    assert [row.pk for row in by_class.context["cl"].result_list] == [steady.id]
    search = admin_client.get(reverse(CHANGELIST), {"q": "Steady"})
    assert [row.pk for row in search.context["cl"].result_list] == [steady.id]

    tasks = admin_client.get(reverse(TASK_CHANGELIST), {"open": "yes"})
    assert [task.status for task in tasks.context["cl"].result_list] == ["wait"]
    tasks = admin_client.get(reverse(TASK_CHANGELIST), {"q": "supplier"})
    assert [task.automation_id for task in tasks.context["cl"].result_list] == [flaky.id]


def test_the_change_page_shows_the_tasks_inline_and_links_the_history(admin_client):
    steady = Steady()
    url = reverse("admin:automations_automationmodel_change", args=[steady.id])
    html = admin_client.get(url).content.decode()
    assert "automationtaskmodel_set-TOTAL_FORMS" in html
    assert reverse("automations:history", kwargs={"automation_id": steady.id}) in html
    assert steady.get_key() not in html  # the key stays out of the page
    assert admin_client.get(reverse("admin:automations_automationmodel_add")).status_code == 403


def test_retry_runs_the_failed_task_again(admin_client):
    flaky = Flaky()
    failed = AutomationTaskModel.objects.get(automation_id=flaky.id, status="start")
    AutomationModel.objects.filter(pk=flaky.id).update(data={"fixed": True})
    response = run_action(admin_client, TASK_CHANGELIST, "retry_tasks", [failed.pk])
    assert response.status_code == 302
    row = AutomationModel.objects.get(pk=flaky.id)
    assert not row.failed and not row.finished
    AutomationModel.run()
    flaky = Flaky(automation_id=flaky.id)
    assert flaky.data["loaded"] and flaky.is_finished() and not flaky._db.failed


def test_retry_from_the_automation_list_finds_the_failed_task(admin_client):
    flaky, steady = Flaky(), Steady()
    response = run_action(admin_client, CHANGELIST, "retry_failed", [flaky.id, steady.id])
    assert response.status_code == 302
    assert not AutomationModel.objects.get(pk=flaky.id).failed
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "1 automation has no failed task to retry." in messages
    assert "1 task runs again." in messages


def test_retry_leaves_tasks_that_did_not_fail_alone(admin_client):
    steady = Steady()
    done = AutomationTaskModel.objects.get(automation_id=steady.id, status="start")
    response = run_action(admin_client, TASK_CHANGELIST, "retry_tasks", [done.pk])
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["1 task did not fail and was left alone."]
    assert AutomationTaskModel.objects.filter(automation_id=steady.id).count() == 2


def test_kill_asks_first_then_deletes_the_instance_and_its_history(admin_client):
    steady, other = Steady(), Steady()
    confirm = run_action(admin_client, CHANGELIST, "kill", [steady.id])
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert AutomationModel.objects.filter(pk=steady.id).exists()

    done = run_action(admin_client, CHANGELIST, "kill", [steady.id], post="yes")
    assert done.status_code == 302
    assert not AutomationModel.objects.filter(pk=steady.id).exists()
    assert not AutomationTaskModel.objects.filter(automation_id=steady.id).exists()
    assert AutomationModel.objects.filter(pk=other.id).exists()


def test_actions_need_their_permissions():
    flaky = Flaky()
    viewer = staff_with("view_automationmodel", "view_automationtaskmodel")
    page = viewer.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert 'value="kill"' not in page.content.decode()
    assert 'value="retry_failed"' not in page.content.decode()
    run_action(viewer, CHANGELIST, "kill", [flaky.id], post="yes")
    run_action(viewer, CHANGELIST, "retry_failed", [flaky.id])
    row = AutomationModel.objects.get(pk=flaky.id)
    assert row.failed  # neither retried nor killed
