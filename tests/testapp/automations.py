"""Discovered by the app's autodiscovery: checks and get_automations see these."""

from automations import flow


class DiscoveredAutomation(flow.Automation):
    class Meta:
        verbose_name = "Discovered on start-up"

    start = flow.Execute()
    end = flow.End()
