"""The German translation is complete, compiled, and used."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "automations" / "locale" / "de" / "LC_MESSAGES"


def test_every_message_has_a_german_translation():
    text = (LOCALE / "django.po").read_text()
    entries = text.split("\n\n")[1:]  # the first block is the header
    assert entries
    for entry in entries:
        assert "#, fuzzy" not in entry, entry
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry, re.MULTILINE)
        assert strings, entry
        assert all(value.strip() != '""' for value in strings), f"untranslated:\n{entry}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_compiled_catalogue_matches_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", compiled, LOCALE / "django.po"], check=True)
    with open(compiled, "rb") as fresh, open(LOCALE / "django.mo", "rb") as shipped:
        assert gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(shipped)._catalog


def test_django_uses_it():
    with translation.override("de"):
        assert translation.gettext("My tasks") == "Meine Aufgaben"
        assert translation.ngettext("%(n)d day", "%(n)d days", 3) % {"n": 3} == "3 Tage"
