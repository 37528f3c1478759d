"""TaskView and TaskListView: who may see and submit a task, and what a submission does."""

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission, User
from django.test import Client, override_settings
from django.urls import reverse

from automations import flow
from automations.flow import this
from automations.models import AutomationTaskModel
from tests.testapp.models import Document

pytestmark = pytest.mark.django_db


class ReviewForm(forms.Form):
    comment = forms.CharField()
    approved = forms.BooleanField(required=False)

    def clean_comment(self):
        comment = self.cleaned_data["comment"]
        if len(comment) < 3:
            raise forms.ValidationError("Say a little more.")
        return comment


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "approved"]


class GroupReview(flow.Automation):
    review = flow.Form(ReviewForm, description="Review the request").Group(name="Reviewers")
    after = flow.Execute(this.note)
    second = flow.Form(ReviewForm).Group(name="Reviewers")
    end = flow.End()

    def note(self, task):
        self.data["noted"] = self.data["review"]["comment"].upper()
        self.save()


class UserReview(flow.Automation):
    review = flow.Form(ReviewForm).User(username="ann")
    end = flow.End()


class PermissionReview(flow.Automation):
    review = (
        flow.Form(ReviewForm)
        .Permission("testapp.change_document")
        .Permission("testapp.view_document")
    )
    end = flow.End()


class NobodysReview(flow.Automation):
    review = flow.Form(ReviewForm)
    end = flow.End()


class ReviewWithSuccessUrl(flow.Automation):
    review = flow.Form(ReviewForm, success_url="/thanks/").User(username="ann")
    end = flow.End()


class EditDocument(flow.Automation):
    edit = flow.ModelForm(DocumentForm, key="document").User(username="ann")
    check = flow.Execute(this.look)
    again = flow.ModelForm(DocumentForm, key="document").User(username="ann")
    end = flow.End()

    def look(self, task):
        self.data["seen_title"] = self.document.title
        self.save()


class NotAForm(flow.Automation):
    start = flow.Execute().AfterWaitingFor(lambda task: __import__("datetime").timedelta(days=1))
    end = flow.End()


@pytest.fixture
def people():
    reviewers = Group.objects.create(name="Reviewers")
    ann = User.objects.create_user("ann", password="pw")
    ann.groups.add(reviewers)
    bob = User.objects.create_user("bob", password="pw")
    boss = User.objects.create_superuser("boss", password="pw")
    return {"ann": ann, "bob": bob, "boss": boss}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def open_task(automation):
    return AutomationTaskModel.objects.get(automation_id=automation.id, finished__isnull=True)


def task_url(task, **query):
    url = reverse("automations:task", kwargs={"task_id": task.pk})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def assert_untouched(automation, task):
    fresh = AutomationTaskModel.objects.get(pk=task.pk)
    assert fresh.finished is None and fresh.requires_interaction
    assert "review" not in type(automation)(automation_id=automation.id).data


# Who may see and submit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("automation_class", "allowed", "refused"),
    [
        (GroupReview, "ann", "bob"),  # member of the assigned group / not a member
        (UserReview, "ann", "bob"),  # the assigned user / another user
        (NobodysReview, "boss", "ann"),  # assigned to nobody: superusers only
    ],
)
def test_only_assigned_users_see_and_submit_a_task(people, automation_class, allowed, refused):
    automation = automation_class()
    task = open_task(automation)

    assert client_for(people[refused]).get(task_url(task)).status_code == 403
    response = client_for(people[refused]).post(task_url(task), {"comment": "sneaky"})
    assert response.status_code == 403
    assert_untouched(automation, task)

    response = client_for(people[allowed]).get(task_url(task))
    assert response.status_code == 200
    assert b'name="comment"' in response.content
    response = client_for(people[allowed]).post(task_url(task), {"comment": "fine"})
    assert response.status_code == 302
    assert AutomationTaskModel.objects.get(pk=task.pk).finished is not None


def test_all_required_permissions_must_be_held(people):
    change = Permission.objects.get(codename="change_document")
    view = Permission.objects.get(codename="view_document")
    people["ann"].user_permissions.add(change, view)
    people["bob"].user_permissions.add(change)  # only one of the two
    automation = PermissionReview()
    task = open_task(automation)

    assert client_for(people["bob"]).get(task_url(task)).status_code == 403
    assert client_for(people["bob"]).post(task_url(task), {"comment": "mine"}).status_code == 403
    assert_untouched(automation, task)

    assert client_for(people["ann"]).get(task_url(task)).status_code == 200
    assert client_for(people["ann"]).post(task_url(task), {"comment": "mine"}).status_code == 302
    assert PermissionReview(automation_id=automation.id).is_finished()


def test_superusers_may_complete_any_task(people):
    automation = UserReview()
    task = open_task(automation)
    assert client_for(people["boss"]).get(task_url(task)).status_code == 200
    assert client_for(people["boss"]).post(task_url(task), {"comment": "boss"}).status_code == 302
    assert UserReview(automation_id=automation.id).data["review"]["comment"] == "boss"


def test_anonymous_users_are_sent_to_log_in_and_change_nothing(people):
    automation = UserReview()
    task = open_task(automation)
    for response in (
        Client().get(task_url(task)),
        Client().post(task_url(task), {"comment": "anon"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert_untouched(automation, task)


def test_an_inactive_user_is_refused(people):
    automation = UserReview()
    task = open_task(automation)
    ann = people["ann"]
    client = client_for(ann)
    ann.is_active = False
    ann.save()
    response = client.post(task_url(task), {"comment": "late"})
    assert response.status_code in (302, 403)  # logged out by the auth backend, or refused
    assert_untouched(automation, task)


def test_csrf_protection_stays_on(people):
    automation = UserReview()
    task = open_task(automation)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["ann"])
    assert client.post(task_url(task), {"comment": "forged"}).status_code == 403
    assert_untouched(automation, task)

    page = client.get(task_url(task))
    token = page.context["csrf_token"]
    assert b"csrfmiddlewaretoken" in page.content
    response = client.post(task_url(task), {"comment": "real", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_a_finished_task_says_so_instead_of_showing_its_form(people):
    automation = UserReview()
    task = open_task(automation)
    ann = client_for(people["ann"])
    assert ann.post(task_url(task), {"comment": "first"}).status_code == 302

    response = ann.get(task_url(task))
    assert response.status_code == 200
    assert b"already been completed" in response.content
    assert b'name="comment"' not in response.content

    response = ann.post(task_url(task), {"comment": "second"})
    assert response.status_code == 409
    assert UserReview(automation_id=automation.id).data["review"]["comment"] == "first"

    # Others are still refused, done or not.
    assert client_for(people["bob"]).get(task_url(task)).status_code == 403


def test_unknown_tasks_and_tasks_that_wait_for_no_form_are_not_found(people):
    boss = client_for(people["boss"])
    assert boss.get(reverse("automations:task", kwargs={"task_id": 999999})).status_code == 404
    waiting = open_task(NotAForm())
    assert boss.get(task_url(waiting)).status_code == 404
    assert boss.post(task_url(waiting), {}).status_code == 404


# What a submission does ----------------------------------------------------------


def test_submitting_stores_the_data_and_moves_the_automation_on_in_the_request(people):
    automation = GroupReview()
    task = open_task(automation)
    response = client_for(people["ann"]).post(
        task_url(task), {"comment": "looks good", "approved": "on"}
    )
    assert response.status_code == 302
    automation = GroupReview(automation_id=automation.id)
    assert automation.data["review"] == {"comment": "looks good", "approved": True}
    assert automation.data["noted"] == "LOOKS GOOD"  # the next node ran in the request
    assert open_task(automation).status == "second"
    done = AutomationTaskModel.objects.get(pk=task.pk)
    assert done.message == "Submitted" and done.result["user_id"] == people["ann"].pk


def test_an_invalid_form_is_shown_again_with_its_errors_and_nothing_changes(people):
    automation = GroupReview()
    task = open_task(automation)
    response = client_for(people["ann"]).post(task_url(task), {"comment": "no"})
    assert response.status_code == 200
    assert "Say a little more." in response.content.decode()
    assert_untouched(automation, task)


def test_redirects_go_to_the_task_list_by_default(people):
    task = open_task(UserReview())
    response = client_for(people["ann"]).post(task_url(task), {"comment": "done"})
    assert response["Location"] == reverse("automations:task_list")


def test_a_same_site_back_path_is_followed(people):
    task = open_task(UserReview())
    response = client_for(people["ann"]).post(
        task_url(task, back="/somewhere/else/"), {"comment": "done"}
    )
    assert response["Location"] == "/somewhere/else/"


@pytest.mark.parametrize(
    "back",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "https:evil.example"],
)
def test_back_never_leads_off_the_site(people, back):
    task = open_task(UserReview())
    client = client_for(people["ann"])
    page = client.get(task_url(task), {"back": back})
    assert back not in page.content.decode()
    response = client.post(task_url(task) + "?back=" + back, {"comment": "done"})
    assert response["Location"] == reverse("automations:task_list")


def test_the_nodes_success_url_wins(people):
    task = open_task(ReviewWithSuccessUrl())
    response = client_for(people["ann"]).post(
        task_url(task, back="/somewhere/"), {"comment": "done"}
    )
    assert response["Location"] == "/thanks/"


# ModelForm -----------------------------------------------------------------------------


def test_a_model_form_creates_the_instance_then_edits_it(people):
    automation = EditDocument()
    ann = client_for(people["ann"])
    task = open_task(automation)
    assert ann.post(task_url(task), {"title": "Plan"}).status_code == 302
    document = Document.objects.get()
    automation = EditDocument(automation_id=automation.id)
    assert automation.data["document"] == document.pk
    assert automation.data["seen_title"] == "Plan"

    second = open_task(automation)
    page = ann.get(task_url(second))
    assert 'value="Plan"' in page.content.decode()  # the form edits the bound instance
    assert ann.post(task_url(second), {"title": "Final plan", "approved": "on"}).status_code == 302
    assert Document.objects.count() == 1
    document.refresh_from_db()
    assert document.title == "Final plan" and document.approved


# Task list -------------------------------------------------------------------------


def test_the_task_list_shows_the_users_open_tasks_with_their_waiting_time(people):
    mine = open_task(GroupReview())
    AutomationTaskModel.objects.filter(pk=mine.pk).update(
        created=mine.created - __import__("datetime").timedelta(hours=30)
    )
    theirs = open_task(PermissionReview())
    response = client_for(people["ann"]).get(reverse("automations:task_list"))
    assert response.status_code == 200
    assert [entry.task.pk for entry in response.context["tasks"]] == [mine.pk]
    html = response.content.decode()
    assert "Review the request" in html and task_url(mine) in html
    assert task_url(theirs) not in html
    assert "waiting 30 hours" in html and "atm-late" in html


def test_the_task_list_needs_a_login():
    response = Client().get(reverse("automations:task_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Templates and context -------------------------------------------------------------


class Templated(flow.Automation):
    default_template_name = "custom/automation_form.html"
    context = {"colour": "automation", "shape": "automation"}

    first = flow.Form(ReviewForm).User(username="ann")
    second = flow.Form(
        ReviewForm, template_name="custom/node_form.html", context={"shape": "node"}
    ).User(username="ann")
    end = flow.End()


@pytest.fixture
def template_dir(tmp_path, settings):
    (tmp_path / "custom").mkdir()
    (tmp_path / "automations").mkdir()
    line = "{{ colour }}|{{ shape }}|{{ size }}|{{ form.comment.name }}"
    (tmp_path / "custom" / "automation_form.html").write_text("automation template " + line)
    (tmp_path / "custom" / "node_form.html").write_text("node template " + line)
    (tmp_path / "automations" / "form_view.html").write_text("project form_view " + line)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.ATM_FORM_VIEW_CONTEXT = {"colour": "project", "shape": "project", "size": "L"}
    return tmp_path


def test_templates_come_from_the_node_then_the_automation(people, template_dir):
    automation = Templated()
    ann = client_for(people["ann"])
    first = open_task(automation)
    page = ann.get(task_url(first)).content.decode()
    assert page == "automation template automation|automation|L|comment"

    ann.post(task_url(first), {"comment": "next"})
    page = ann.get(task_url(open_task(automation))).content.decode()
    assert page == "node template automation|node|L|comment"


def test_a_project_can_replace_the_default_form_template(people, template_dir):
    task = open_task(UserReview())
    page = client_for(people["ann"]).get(task_url(task)).content.decode()
    assert page == "project form_view project|project|L|comment"


@override_settings(LANGUAGE_CODE="de")
def test_the_pages_speak_german(people):
    task = open_task(UserReview())
    page = client_for(people["ann"]).get(task_url(task)).content.decode()
    assert "Absenden" in page and "Zurück" in page
    listing = client_for(people["ann"]).get(reverse("automations:task_list")).content.decode()
    assert "Meine Aufgaben" in listing
