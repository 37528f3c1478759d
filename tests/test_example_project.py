"""The example project: a fresh database, then ``run_demo`` with a fake clock, end to end.

It runs in subprocesses with the example's own settings and a temporary SQLite file,
whichever database the rest of the suite uses.
"""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "example"

pytestmark = pytest.mark.slow


def manage(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "EXAMPLE_DB_PATH": str(db),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def task_rows(output: str) -> list[list[str]]:
    """``[time, class, #id, node, what happened...]`` for each row of the demo's table."""
    return [line.split() for line in output.splitlines() if line.lstrip().startswith("+")]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("example") / "db.sqlite3"
    migrated = manage(db, "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    return db


@pytest.fixture(scope="module")
def demo(database) -> subprocess.CompletedProcess:
    return manage(database, "run_demo", "--fake-clock")


def test_the_demo_exits_cleanly_with_every_instance_finished(demo):
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stderr == ""
    assert "6 finished, 0 failed, 0 still running" in demo.stdout


def test_every_instance_reaches_its_end_node(demo):
    ended = {(row[1], row[2]) for row in task_rows(demo.stdout) if row[3:5] == ["end", "Finished"]}
    assert Counter(name for name, _ in ended) == {
        "BoardMeeting": 1,
        "WebinarWorkflow": 2,
        "PurchaseApproval": 3,
    }


def test_the_webinar_mails_go_out_in_order_after_their_waits(demo):
    mails = [
        (row[0], row[6])
        for row in task_rows(demo.stdout)
        if row[1] == "WebinarWorkflow" and row[4] == "OK:" and row[6] == "mail"
    ]
    assert [time for time, _ in mails] == ["+0.0s", "+0.0s", "+3.0s", "+6.0s", "+9.0s", "+12.0s"]
    assert "6 mails sent in this run" in demo.stdout


def test_the_error_of_the_finance_review_goes_to_its_handler(demo):
    rows = [row for row in task_rows(demo.stdout) if row[1] == "PurchaseApproval"]
    assert any(row[3:5] == ["finance_review", "raised"] for row in rows)
    assert any(
        row[3:] == ["budget_unknown", "OK:", "referred", "to", "the", "controller"] for row in rows
    )
    assert "Espresso machine (890.00 EUR): rejected" in demo.stdout


def test_both_branches_of_the_conditions_are_taken(demo):
    outcomes = Counter(" ".join(row[3:6]) for row in task_rows(demo.stdout))
    assert outcomes["route condition true"] == 1  # the large purchase waits for the board
    assert outcomes["route condition false"] == 2
    assert outcomes["decide condition true"] == 2
    assert outcomes["decide condition false"] == 1
    assert "Trade-fair booth (24000.00 EUR): approved" in demo.stdout


def test_instances_still_running_at_the_time_limit_make_it_fail(database, demo):
    late = manage(database, "run_demo", "--fake-clock", "--timeout", "5")
    assert late.returncode == 1
    assert "2 still running" in late.stdout
    assert "did not reach their end" in late.stderr
