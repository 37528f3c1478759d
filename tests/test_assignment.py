"""Who may complete a form task: a form assigned to nobody is for superusers only."""

import pytest
from django import forms
from django.contrib.auth.models import User

from automations import flow
from automations.models import AutomationTaskModel

pytestmark = pytest.mark.django_db


class NoteForm(forms.Form):
    note = forms.CharField()


class Unassigned(flow.Automation):
    ask = flow.Form(NoteForm)  # automations.W102: only superusers
    end = flow.End()


def test_a_form_assigned_to_nobody_is_open_to_superusers_only():
    clerk = User.objects.create_user("clerk")
    boss = User.objects.create_superuser("boss")
    task = AutomationTaskModel.objects.get(automation_id=Unassigned().id, finished__isnull=True)

    assert list(task.get_users_with_permission()) == [boss]
    assert not task.get_users_with_permission(include_superusers=False).exists()
    assert not task.may_be_completed_by(clerk)
    assert task.may_be_completed_by(boss)
    assert AutomationTaskModel.get_open_tasks(clerk) == ()
    assert [t.pk for t in AutomationTaskModel.get_open_tasks(boss)] == [task.pk]
    assert not Unassigned.ask.get_users_with_permission().exists()
