"""A person completes a task and an operator follows an instance, in a real browser."""

from datetime import timedelta

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission, User

from automations import flow
from automations.flow import this
from automations.models import AutomationTaskModel

from . import chromium

chromium.require()

pytestmark = pytest.mark.django_db(transaction=True)


class PurchaseForm(forms.Form):
    comment = forms.CharField(help_text="Why is this purchase needed?")
    approved = forms.BooleanField(required=False)

    def clean_comment(self):
        comment = self.cleaned_data["comment"]
        if len(comment) < 10:
            raise forms.ValidationError("Please explain in at least 10 characters.")
        return comment


class PurchaseReview(flow.Automation):
    class Meta:
        verbose_name = "Purchase review"
        verbose_name_plural = "Purchase reviews"

    start = flow.Execute()
    review = flow.Form(PurchaseForm, description="Review the purchase of a laptop").Group(
        name="Buyers"
    )
    paperwork = flow.Split().Next(this.order).Next(this.delivery)
    order = flow.Execute(this.place_order).Next(this.received)
    delivery = flow.Execute().AfterWaitingFor(timedelta(days=2)).Next(this.received)
    received = flow.Join()
    end = flow.End()

    def place_order(self, task):
        self.data["ordered"] = self.data["review"]["approved"]
        self.save()


def log_in(page, live_server, username, next_path):
    page.goto(f"{live_server.url}{next_path}")
    assert "/accounts/login/" in page.url  # login required
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")


def test_a_user_logs_in_and_completes_a_task(page, live_server, screenshot):
    buyers = Group.objects.create(name="Buyers")
    User.objects.create_user("ann", password="secret").groups.add(buyers)
    review = PurchaseReview(item="laptop")
    task = AutomationTaskModel.objects.get(automation_id=review.id, finished__isnull=True)

    log_in(page, live_server, "ann", "/automations/")
    assert page.locator(".atm-task").count() == 1
    assert "waiting 0 hours" in page.inner_text(".atm-task")
    screenshot("task_list")

    page.click("text=Review the purchase of a laptop")
    page.wait_for_url(f"{live_server.url}/automations/{task.pk}/")
    assert page.inner_text("h1") == "Review the purchase of a laptop"

    page.fill("input[name=comment]", "cheap")
    page.click("button[type=submit]")
    assert page.inner_text(".errorlist") == "Please explain in at least 10 characters."
    assert AutomationTaskModel.objects.get(pk=task.pk).finished is None
    screenshot("task_form_error")

    page.fill("input[name=comment]", "The old one is broken.")
    page.check("input[name=approved]")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/automations/")
    assert "is done" in page.inner_text(".atm-messages")
    assert page.locator(".atm-task").count() == 0
    screenshot("task_done")

    review = PurchaseReview(automation_id=review.id)
    assert review.data["review"] == {"comment": "The old one is broken.", "approved": True}
    assert review.data["ordered"] is True  # moved on within the request
    waiting = AutomationTaskModel.objects.filter(automation_id=review.id, finished__isnull=True)
    assert sorted(waiting.values_list("status", flat=True)) == ["delivery", "received"]


def test_an_operator_follows_an_instance_on_the_dashboard_and_its_diagram(
    page, live_server, screenshot
):
    buyers = Group.objects.create(name="Buyers")
    ann = User.objects.create_user("ann")
    ann.groups.add(buyers)
    operator = User.objects.create_user("olga", password="secret")
    operator.user_permissions.add(
        Permission.objects.get(codename="view_automationmodel"),
        Permission.objects.get(codename="view_automationtaskmodel"),
    )
    waiting = PurchaseReview(item="desk")
    reviewed = PurchaseReview(item="chair")
    from automations.runtime.forms import submit_form

    task = AutomationTaskModel.objects.get(automation_id=reviewed.id, finished__isnull=True)
    form = PurchaseForm(data={"comment": "Back pain, doctor's advice.", "approved": "on"})
    assert form.is_valid()
    submit_form(task, form, ann)

    log_in(page, live_server, "olga", "/automations/dashboard/")
    card = page.locator(f'[data-automation-class="{PurchaseReview._meta.path}"]')
    assert card.locator(".atm-state-running dd").inner_text() == "2"
    assert card.locator(".atm-state-failed dd").inner_text() == "0"
    screenshot("dashboard")

    card.locator(f"a[href='/automations/dashboard/{reviewed.id}/']").click()
    page.wait_for_url(f"{live_server.url}/automations/dashboard/{reviewed.id}/")
    current = page.locator("svg.atm-diagram g.atm-current")
    assert sorted(current.evaluate_all("nodes => nodes.map(n => n.dataset.node)")) == [
        "delivery",
        "received",
    ]
    stroke = page.locator('g.atm-current[data-node="delivery"] rect.atm-box').evaluate(
        "rect => getComputedStyle(rect).stroke"
    )
    assert stroke == "rgb(11, 99, 206)"  # highlighted, as the page's CSS says
    assert "wakes" in page.locator('g[data-node="delivery"] .atm-badge').text_content()
    assert page.inner_text(".atm-next-wake") != "nothing scheduled"
    assert page.locator(".atm-paths .atm-path").count() == 2  # the split, side by side
    screenshot("history")

    page.goto(f"{live_server.url}/automations/dashboard/{waiting.id}/")
    assert page.locator("g.atm-current").evaluate_all(
        "nodes => nodes.map(n => n.dataset.node)"
    ) == ["review"]
    screenshot("history_waiting_for_a_person")
