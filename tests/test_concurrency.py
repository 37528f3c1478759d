"""Several automation_step processes at once: every step exactly once, no lost update.

Real processes against the real database. PostgreSQL: three processes over 2,000
instances. SQLite (one writer at a time): two processes over 300 instances.
"""

import os
import subprocess
import sys
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from automations.models import AutomationModel, AutomationTaskModel
from tests.concurrency_automations import Counted
from tests.testapp.models import Ledger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def start_workers(count):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "ATM_TEST_DB": os.environ.get("ATM_TEST_DB", "sqlite"),
        "ATM_TEST_DB_NAME": connection.settings_dict["NAME"],
        "PYTHONPATH": os.getcwd(),
    }
    return [
        subprocess.Popen(
            [sys.executable, "-m", "django", "automation_step"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


def steps_of(output):
    # "automation_step: 2400 steps (1800 done, 600 finished)"
    return int(output.split(":", 1)[1].split()[0])


@pytest.mark.parametrize(
    ("vendor", "processes", "instances"), [("postgresql", 3, 2000), ("sqlite", 2, 300)]
)
def test_parallel_automation_step_runs_every_step_exactly_once(vendor, processes, instances):
    if connection.vendor != vendor:
        pytest.skip(f"runs in the {vendor} pass")
    started = [Counted(autorun=False).id for _ in range(instances)]
    workers = start_workers(processes)
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
        outputs.append(out)

    # Every node's database effect happened exactly once per instance.
    per_step = Counter(
        (row["automation_id"], row["node"])
        for row in Ledger.objects.values("automation_id", "node")
    )
    assert len(per_step) == 3 * instances
    assert set(per_step.values()) == {1}
    # No lost update of data: each instance saw its own three increments.
    rows = AutomationModel.objects.filter(pk__in=started)
    assert all(row.finished and not row.failed for row in rows)
    assert {row.data["count"] for row in rows} == {3}
    assert {tuple(row.data["nodes"]) for row in rows} == {("one", "two", "three")}
    # Four task rows per instance (three steps and the End), none left open.
    tasks = AutomationTaskModel.objects.values("automation_id").annotate(n=Count("id"))
    assert {row["n"] for row in tasks} == {4}
    assert not AutomationTaskModel.objects.filter(finished__isnull=True).exists()
    # Nothing was counted twice; on PostgreSQL (row locks, SKIP LOCKED) the work is shared.
    # SQLite serialises writers, so there a second process is only required to be safe.
    done = [steps_of(out) for out in outputs]
    assert sum(done) == 4 * instances
    if vendor == "postgresql":
        assert sum(1 for n in done if n > 0) >= 2, outputs
