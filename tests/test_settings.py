"""Settings read by the app, and their validation."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from automations import settings as app_settings


def test_defaults():
    assert app_settings.get_group_model() is Group
    assert app_settings.get_users_with_permission_form_method() is None
    assert app_settings.form_view_context()["submit_classes"]


@pytest.mark.parametrize(
    "given",
    [
        {"ATM_GROUP_MODEL": "auth.Group"},
        {"ATM_USER_WITH_PERMISSIONS_FORM_METHOD": "x.y"},
        {"ATM_GROUP_MODEL": "auth.Group", "ATM_USER_WITH_PERMISSIONS_MODEL_METHOD": "x.y"},
    ],
)
def test_the_group_settings_come_all_three_or_none(given):
    with override_settings(**given), pytest.raises(ImproperlyConfigured) as info:
        app_settings.get_group_model()
    for name in app_settings.GROUP_AND_PERMISSION_SETTINGS:
        assert name in str(info.value)


@override_settings(
    ATM_GROUP_MODEL="nosuchapp.Team",
    ATM_USER_WITH_PERMISSIONS_FORM_METHOD="tests.test_forms.custom_form_users",
    ATM_USER_WITH_PERMISSIONS_MODEL_METHOD="tests.test_forms.custom_task_users",
)
def test_a_group_model_that_does_not_exist_is_named():
    with pytest.raises(ImproperlyConfigured, match=r"nosuchapp\.Team"):
        app_settings.get_group_model()


@override_settings(ATM_FORM_VIEW_CONTEXT={"claim": "Save"})
def test_form_view_context_comes_from_settings():
    assert app_settings.form_view_context() == {"claim": "Save"}


@override_settings(ATM_CONDITION_RECHECK_MIN=10, ATM_CONDITION_RECHECK_MAX=5)
def test_recheck_bounds_are_validated():
    with pytest.raises(ImproperlyConfigured, match="ATM_CONDITION_RECHECK_MIN"):
        app_settings.condition_recheck_bounds()


def test_importing_models_with_half_the_settings_fails_at_start_up():
    import subprocess
    import sys

    code = (
        "import django; from django.conf import settings; "
        "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes','django.contrib.auth',"
        "'automations'], DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', "
        "'NAME': ':memory:'}}, ATM_GROUP_MODEL='auth.Group'); django.setup()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ATM_USER_WITH_PERMISSIONS_MODEL_METHOD" in result.stderr
