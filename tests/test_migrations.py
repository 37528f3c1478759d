"""The committed migrations match the models."""

from io import StringIO

from django.core.management import call_command


def test_makemigrations_finds_nothing_to_do():
    out = StringIO()
    call_command("makemigrations", "automations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
