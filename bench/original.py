"""The throughput workload on django-automations 0.9.4.1 (run by its own virtualenv).

Prints one JSON line. Used by ``run.py`` for the speed-up figure; never imported
by the project.
"""

import argparse
import json

from common import Counter, setup_django, timed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--idle-waiters", type=int, default=1000)
    args = parser.parse_args()
    # The original's models use AutoField ids.
    setup_django(args.db, "atm_bench_original", auto_field="django.db.models.AutoField")

    from benchapp.automations import FalseCondition, ThreeSteps

    from automations.models import AutomationModel

    for n in range(args.instances):
        ThreeSteps(autorun=False, n=n)
    counter = Counter()
    with counter.counting():
        seconds, _ = timed(AutomationModel.run)
    steps = 3 * args.instances
    assert AutomationModel.objects.filter(finished=True).count() == args.instances

    AutomationModel.objects.all().delete()
    for _ in range(args.idle_waiters):
        FalseCondition()
    idle_seconds, _ = timed(AutomationModel.run)
    print(
        json.dumps(
            {
                "instances": args.instances,
                "execute_steps_per_second": round(steps / seconds, 1),
                "statements_per_execute_step": round(counter.statements / steps, 2),
                "idle_waiters": args.idle_waiters,
                "ms_per_idle_waiter": round(idle_seconds * 1000 / args.idle_waiters, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
