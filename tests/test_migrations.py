"""The committed migrations match the models."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_makemigrations_finds_nothing_to_do():
    out = StringIO()
    call_command("makemigrations", "automations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
