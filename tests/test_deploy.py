"""The systemd unit asks for what the daemon implements."""

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "systemd" / "automations-daemon.service"


def unit():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd units
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_is_a_hardened_notify_service_with_a_watchdog():
    service = unit()["Service"]
    assert service["Type"] == "notify"
    assert service["ExecStart"].endswith("automations-daemon run")
    assert service["Restart"] == "on-failure"
    assert int(service["WatchdogSec"]) > 0 and int(service["TimeoutStopSec"]) > 0
    assert service["User"] != "root" and service["EnvironmentFile"].startswith("/etc/")
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
