"""Form and ModelForm nodes: tasks that wait for a person, and their completion."""

from datetime import timedelta

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission, User
from django.test import override_settings

from automations import flow, outcomes
from automations.exceptions import NotAssigned, TaskNotOpen
from automations.flow import this
from automations.models import AutomationTaskModel
from automations.runtime.forms import submit_form
from automations.testing import FakeClock
from tests.testapp.models import Document

pytestmark = pytest.mark.django_db


class ReviewForm(forms.Form):
    approved = forms.BooleanField(required=False)
    comment = forms.CharField()
    due = forms.DateField(required=False)


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "approved"]


class Review(flow.Automation):
    start = flow.Execute()
    review = flow.Form(ReviewForm, description="Please review").Group(name="Reviewers")
    decide = flow.If(lambda task: task.data["review"]["approved"]).Then(this.end).Else(this.rework)
    rework = flow.Form(ReviewForm).User(username=this.owner_name).SkipAfter(timedelta(days=2))
    end = flow.End()

    def owner_name(self, task):
        return self.data["owner"]


class Perms(flow.Automation):
    check = (
        flow.Form(ReviewForm)
        .Permission("testapp.change_document")
        .Permission("testapp.view_document")
    )
    end = flow.End()


class EditDocument(flow.Automation):
    edit = flow.ModelForm(DocumentForm, key="document").Permission("testapp.change_document")
    end = flow.End()


@pytest.fixture
def people():
    reviewers = Group.objects.create(name="Reviewers")
    ann = User.objects.create_user("ann")
    ann.groups.add(reviewers)
    bob = User.objects.create_user("bob")
    boss = User.objects.create_superuser("boss")
    return {"ann": ann, "bob": bob, "boss": boss, "reviewers": reviewers}


def open_task(automation):
    return AutomationTaskModel.objects.get(automation_id=automation.id, finished__isnull=True)


def valid(form_class, **data):
    form = form_class(data=data)
    assert form.is_valid(), form.errors
    return form


def test_a_form_task_waits_for_a_person_assigned_by_group(people):
    review = Review(owner="bob")
    task = open_task(review)
    assert task.status == "review"
    assert task.requires_interaction and task.wait_reason == outcomes.PERSON
    assert task.wake_at is None  # nothing to wake up for
    assert task.interaction_group == people["reviewers"]
    assert set(task.get_users_with_permission()) == {people["ann"], people["boss"]}
    assert set(task.get_users_with_permission(include_superusers=False)) == {people["ann"]}
    assert task.may_be_completed_by(people["ann"]) and not task.may_be_completed_by(people["bob"])
    assert [t.pk for t in AutomationTaskModel.get_open_tasks(people["ann"])] == [task.pk]
    assert AutomationTaskModel.get_open_tasks(people["bob"]) == ()


def test_submitting_stores_cleaned_data_and_moves_on_within_the_call(people):
    review = Review(owner="bob")
    task = open_task(review)
    form = valid(ReviewForm, approved="on", comment="fine", due="2026-12-24")
    stopped = submit_form(task, form, people["ann"])
    assert stopped == review.end
    review = Review(automation_id=review.id)
    assert review.is_finished()
    assert review.data["review"] == {"approved": True, "comment": "fine", "due": "2026-12-24"}
    done = AutomationTaskModel.objects.get(pk=task.pk)
    assert done.message == "Submitted" and done.result["user_id"] == people["ann"].pk
    assert not done.requires_interaction


def test_a_user_may_only_complete_tasks_assigned_to_them(people):
    review = Review(owner="bob")
    task = open_task(review)
    with pytest.raises(NotAssigned):
        submit_form(task, valid(ReviewForm, comment="sneaky"), people["bob"])
    assert open_task(review).pk == task.pk and "review" not in Review(automation_id=review.id).data


def test_a_completed_task_cannot_be_completed_again(people):
    review = Review(owner="bob")
    task = open_task(review)
    submit_form(task, valid(ReviewForm, comment="no", approved=""), people["ann"])
    with pytest.raises(TaskNotOpen):
        submit_form(task, valid(ReviewForm, comment="again"), people["ann"])


def test_user_lookups_may_depend_on_the_instance_and_skip_after_wakes_the_form(people):
    with FakeClock() as clock:
        review = Review(owner="bob")
        submit_form(open_task(review), valid(ReviewForm, comment="needs work"), people["ann"])
        rework = open_task(review)
        assert rework.status == "rework" and rework.interaction_user == people["bob"]
        assert rework.wake_at == rework.created + timedelta(days=2)  # only for the skip
        clock.advance(days=2)
        rework = AutomationTaskModel.objects.get(pk=rework.pk)
        assert rework.message == "skipped" and not rework.requires_interaction
        assert Review(automation_id=review.id).is_finished()


def test_a_lookup_that_matches_no_user_fails_the_step_clearly(people):
    review = Review(owner="nobody")
    submit_form(open_task(review), valid(ReviewForm, comment="x"), people["ann"])
    failed = AutomationTaskModel.objects.get(automation_id=review.id, status="rework")
    assert failed.message.startswith("LookupError(")
    assert "Review.rework" in failed.message and "username='nobody'" in failed.message
    assert Review(automation_id=review.id)._db.failed


def test_permissions_must_all_be_held(people):
    change = Permission.objects.get(codename="change_document")
    view = Permission.objects.get(codename="view_document")
    people["ann"].user_permissions.add(change, view)
    people["bob"].user_permissions.add(change)
    task = open_task(Perms())
    assert task.interaction_permissions == ["testapp.change_document", "testapp.view_document"]
    assert set(task.get_users_with_permission(include_superusers=False)) == {people["ann"]}
    assert set(Perms.check.get_users_with_permission()) == {people["ann"]}


def test_model_form_creates_the_instance_and_keeps_its_id(people):
    people["ann"].user_permissions.add(Permission.objects.get(codename="change_document"))
    edit = EditDocument()
    node = EditDocument.edit
    assert node.get_instance(edit) is None
    submit_form(open_task(edit), valid(DocumentForm, title="Plan", approved="on"), people["ann"])
    edit = EditDocument(automation_id=edit.id)
    document = Document.objects.get()
    assert edit.data["document"] == document.pk and document.approved
    assert edit.document == document
    assert node.get_instance(edit) == document


def custom_form_users(node):
    return User.objects.filter(username="bob")


def custom_task_users(task, include_superusers, backend):
    return User.objects.filter(username="bob")


@override_settings(
    ATM_GROUP_MODEL="auth.Group",
    ATM_USER_WITH_PERMISSIONS_FORM_METHOD="tests.test_forms.custom_form_users",
    ATM_USER_WITH_PERMISSIONS_MODEL_METHOD=custom_task_users,
)
def test_the_user_lookups_can_be_replaced_in_settings(people):
    task = open_task(Review(owner="bob"))
    assert list(task.get_users_with_permission()) == [people["bob"]]
    assert task.may_be_completed_by(people["bob"]) and not task.may_be_completed_by(people["ann"])
    assert list(Review.review.get_users_with_permission()) == [people["bob"]]
