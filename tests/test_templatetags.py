"""Template tags for projects without Django CMS: task list, status, messages."""

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

from automations import flow
from automations.models import AutomationModel

pytestmark = pytest.mark.django_db


class NoteForm(forms.Form):
    note = forms.CharField()


class Signup(flow.Automation):
    class Meta:
        verbose_name = "Sign-up"
        status_template = "custom/signup_status.html", "Sign-up status"

    unique = ("email",)
    confirm = flow.Form(NoteForm, description="Confirm the sign-up").User(username="ann")
    end = flow.End()

    def receive_visited(self, token, data):
        self.data.setdefault("visits", []).append([token, data.path])
        self.save()
        return "noted"

    def receive_subscribe(self, token, data):
        self.data["subscribed_from"] = data.GET.get("from", "")
        self.save()


class Other(flow.Automation):
    start = flow.Execute()
    wait = flow.Form(NoteForm).User(username="ann")
    end = flow.End()


@pytest.fixture(autouse=True)
def ann():
    return User.objects.create_user("ann")


@pytest.fixture
def status_template(tmp_path, settings):
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "signup_status.html").write_text(
        "{% if automation %}custom {{ automation.data.email }}{% else %}custom nothing{% endif %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]


def render(source, request, **context):
    return Template("{% load automations_tags %}" + source).render(
        Context({"request": request, **context})
    )


def get(path="/page/", user=None, **params):
    request = RequestFactory().get(path, params)
    request.user = user or AnonymousUser()
    return request


def test_the_task_list_shows_the_current_users_tasks():
    ann = User.objects.get(username="ann")
    signup = Signup(email="a@example.com")
    html = render("{% automation_task_list %}", get(user=ann))
    assert "Confirm the sign-up" in html and "Sign-up" in html
    assert f'data-task="{signup._db.automationtaskmodel_set.get().pk}"' in html
    assert "Nothing to do" in render("{% automation_task_list %}", get())


def test_the_task_list_takes_another_template(tmp_path, settings):
    (tmp_path / "mine.html").write_text("{{ count }} for {{ user.username }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    ann = User.objects.get(username="ann")
    Signup(email="a@example.com")
    assert render('{% automation_task_list "mine.html" %}', get(user=ann)) == "1 for ann"


def test_the_status_of_the_instance_named_by_key(status_template):
    signup = Signup(email="a@example.com")
    html = render("{% automation_status %}", get(key=signup.get_key()))
    assert "Sign-up" in html and "running" in html and "confirm" in html
    assert render("{% automation_status %}", get(key="not-a-key")).strip() == ""
    assert render("{% automation_status %}", get()).strip() == ""
    assert "finished" in render("{% automation_status a %}", get(), a=_finished(signup))


def _finished(automation):
    AutomationModel.objects.filter(pk=automation.id).update(finished=True)
    return automation.id


def test_a_status_template_is_only_drawn_for_the_class_that_declares_it(status_template):
    signup = Signup(email="a@example.com")
    other = Other()
    tag = '{% automation_status template_name="custom/signup_status.html" %}'
    assert render(tag, get(key=signup.get_key())) == "custom a@example.com"
    assert render(tag, get(key=other.get_key())) == "custom nothing"


def test_a_message_reaches_the_instance_named_by_key():
    signup = Signup(email="a@example.com")
    render(
        '{% automation_message "tests.test_templatetags.Signup" "visited" "home" %}',
        get(key=signup.get_key()),
    )
    render(
        '{% automation_message "tests.test_templatetags.Signup" "visited" token="faq" %}',
        get("/faq/", key=signup.get_key()),
    )
    assert Signup(automation_id=signup.id).data["visits"] == [
        ["home", "/page/"],
        ["faq", "/faq/"],
    ]


def test_a_message_can_start_an_instance_or_reach_all_of_them():
    tag = '{% automation_message "tests.test_templatetags.Signup" "subscribe" operation="start" %}'
    render(tag, get(email="b@example.com", **{"from": "newsletter"}))
    started = AutomationModel.objects.get(automation_class=Signup._meta.path)
    assert started.data == {"email": "b@example.com", "subscribed_from": "newsletter"}

    Signup(email="c@example.com")
    render(
        '{% automation_message "tests.test_templatetags.Signup" "visited" operation="broadcast" %}',
        get("/news/"),
    )
    visits = [row.data.get("visits") for row in AutomationModel.objects.order_by("pk")]
    assert visits == [[[None, "/news/"]], [[None, "/news/"]]]


def test_a_message_to_something_that_is_no_automation_is_a_clear_error():
    with pytest.raises(TemplateSyntaxError, match="is not an automation class"):
        render('{% automation_message "os.system" "x" %}', get())
    with pytest.raises(TemplateSyntaxError, match="operation must be one of"):
        render(
            '{% automation_message "tests.test_templatetags.Signup" "x" operation="explode" %}',
            get(),
        )


def test_the_original_library_name_still_loads():
    ann = User.objects.get(username="ann")
    Signup(email="a@example.com")
    html = Template("{% load atm_tags %}{% automation_task_list %}").render(
        Context({"request": get(user=ann)})
    )
    assert "Confirm the sign-up" in html
