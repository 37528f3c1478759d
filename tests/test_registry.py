"""Finding automations: autodiscovery, get_automations and loading by path."""

import pytest

from automations import flow
from automations.exceptions import AutomationClassNotFound
from automations.registry import load
from tests.testapp.automations import DiscoveredAutomation


class Outer:
    class Nested(flow.Automation):
        start = flow.Execute()
        end = flow.End()


def test_apps_automations_modules_are_discovered_and_listed():
    listed = dict(flow.get_automations())
    assert listed["tests.testapp.automations.DiscoveredAutomation"] == "Discovered on start-up"
    assert "tests.test_registry.Outer.Nested" not in listed  # not in an automations module


def test_get_automations_for_one_app_or_module():
    assert flow.get_automations("tests.testapp") == [
        ("tests.testapp.automations.DiscoveredAutomation", "Discovered on start-up")
    ]
    assert ("tests.test_registry.Outer.Nested", "Automation Nested") in flow.get_automations(
        "tests.test_registry"
    )


def test_load_finds_classes_by_path_even_nested_ones():
    assert load("tests.testapp.automations.DiscoveredAutomation") is DiscoveredAutomation
    assert load("tests.test_registry.Outer.Nested") is Outer.Nested
    with pytest.raises(AutomationClassNotFound, match="renamed, moved or removed"):
        load("tests.testapp.automations.Gone")
    with pytest.raises(AutomationClassNotFound):
        load("no.such.module.Klass")
