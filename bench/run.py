"""``make bench``: throughput, statements per step, and the cost of idle waiters.

    python bench/run.py --db sqlite|postgres [--instances 10000] [--runs 3]

Prints a table and writes ``var/bench-<db>.json``. Figures, not pass/fail: the
machine is noisy, so each figure is the median of several runs.
"""

import argparse
import json
import os
import subprocess
import sys
from datetime import timedelta

import daemon_bench
from common import ROOT, VAR, Counter, median, setup_django, timed

IDLE_SIZES = (100, 10_000, 100_000)
ORIGINAL_PYTHON = VAR / "venv-original" / "bin" / "python"


def start_due_instances(count):
    from benchapp.automations import ThreeSteps

    for n in range(count):
        ThreeSteps(autorun=False, n=n)


def clear():
    from automations.models import AutomationModel

    AutomationModel.objects.all().delete()


def throughput(instances, runs):
    """Execute steps per second over ``instances`` due three-step instances."""
    from automations.runtime.sweep import run_due

    rates, statements, savepoints, commits = [], [], [], []
    for _ in range(runs):
        clear()
        start_due_instances(instances)
        counter = Counter()
        with counter.counting():
            seconds, report = timed(run_due)
        execute_steps = 3 * instances
        assert report.outcomes["done"] == execute_steps, report
        rates.append(execute_steps / seconds)
        statements.append(counter.statements / execute_steps)
        savepoints.append(counter.savepoints / execute_steps)
        commits.append(counter.commits / execute_steps)
    clear()
    return {
        "instances": instances,
        "runs": runs,
        "execute_steps_per_second": [round(rate, 1) for rate in rates],
        "execute_steps_per_second_median": round(median(rates), 1),
        "statements_per_execute_step": round(median(statements), 3),
        "savepoint_statements_per_execute_step": round(median(savepoints), 3),
        "transactions_per_execute_step": round(median(commits), 3),
    }


def make_idle_waiters(count):
    """``count`` idle instances in equal parts: long timers, false conditions, forms.

    Rows are inserted in bulk, as the engine would have left them, so that 100,000
    waiters take seconds to set up rather than minutes.
    """
    from automations import clock
    from automations.models import AutomationModel, AutomationTaskModel, new_key

    now = clock.now()
    kinds = [
        ("benchapp.automations.LongTimer", "start", "time", now + timedelta(days=365)),
        ("benchapp.automations.FalseCondition", "start", "condition", now + timedelta(hours=1)),
        ("benchapp.automations.WaitsForPerson", "review", "person", None),
    ]
    batch = 5000
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        rows = AutomationModel.objects.bulk_create(
            AutomationModel(
                automation_class=kinds[(offset + i) % 3][0], key=new_key(), created=now, updated=now
            )
            for i in range(size)
        )
        AutomationTaskModel.objects.bulk_create(
            AutomationTaskModel(
                automation=row,
                status=kinds[(offset + i) % 3][1],
                created=now,
                wake_at=kinds[(offset + i) % 3][3],
                wait_reason=kinds[(offset + i) % 3][2],
                requires_interaction=kinds[(offset + i) % 3][2] == "person",
            )
            for i, row in enumerate(rows)
        )


def idle_sweeps(runs, keep=False):
    """Time and statements of one sweep with nothing due, for each number of waiters."""
    from django.db import connection

    from automations.models import AutomationModel
    from automations.runtime.sweep import run_due

    results = {}
    present = AutomationModel.objects.count()
    for size in IDLE_SIZES:
        make_idle_waiters(size - present)
        present = size
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        assert AutomationModel.objects.count() == size
        times, statements = [], []
        run_due()  # warm up
        for _ in range(runs):
            counter = Counter()
            with counter.counting():
                seconds, report = timed(run_due)
            assert report.steps == 0
            times.append(seconds * 1000)
            statements.append(counter.statements)
        results[size] = {
            "sweep_ms_median": round(median(times), 3),
            "statements": max(statements),
        }
    if not keep:
        clear()
    return results


def run_original(db, instances):
    """The same workload on django-automations 0.9.4.1, in its own virtualenv."""
    if not ORIGINAL_PYTHON.exists():
        return {"skipped": f"{ORIGINAL_PYTHON} not found (make bench creates it)"}
    result = subprocess.run(
        [
            str(ORIGINAL_PYTHON),
            str(ROOT / "bench" / "original.py"),
            "--db",
            db,
            "--instances",
            str(instances),
        ],
        capture_output=True,
        text=True,
        cwd=str(ROOT / "bench"),
        env={**os.environ},
    )
    if result.returncode != 0:
        return {"failed": result.stderr[-2000:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle-runs", type=int, default=7)
    parser.add_argument("--skip-daemon", action="store_true", help="leave out the daemon's figures")
    parser.add_argument(
        "--original-instances",
        type=int,
        default=10_000,
        help="instances for the original's run (0 skips it)",
    )
    args = parser.parse_args()

    env = setup_django(args.db, "atm_bench")
    results = {"db": args.db}
    print(f"== django-automations on {args.db} ==", flush=True)
    results["throughput"] = tp = throughput(args.instances, args.runs)
    print(
        f"Execute steps/s, {args.instances} due three-step instances: "
        f"median {tp['execute_steps_per_second_median']} of {tp['execute_steps_per_second']}\n"
        f"SQL statements per Execute step: {tp['statements_per_execute_step']} "
        f"(and {tp['savepoint_statements_per_execute_step']} SAVEPOINT/RELEASE, "
        f"{tp['transactions_per_execute_step']} transactions)",
        flush=True,
    )
    if not args.skip_daemon:
        results["daemon_throughput"] = []
        for daemons in (1, 2):
            figures = daemon_bench.throughput(env, args.instances, daemons)
            results["daemon_throughput"].append(figures)
            print(
                f"automations-daemon x{daemons}: {figures['execute_steps_per_second']} Execute "
                f"steps/s over {args.instances} due three-step instances "
                f"(steps per daemon {figures['steps_per_daemon']}, "
                f"exit {figures['exit_statuses']})",
                flush=True,
            )
        make_idle_waiters(IDLE_SIZES[0])
        rss_small = daemon_bench.resident_memory(env)
    results["idle"] = idle = idle_sweeps(args.idle_runs, keep=not args.skip_daemon)
    for size, figures in idle.items():
        print(
            f"automation_step with {size:>7} idle waiters, nothing due: "
            f"{figures['sweep_ms_median']:.3f} ms median, {figures['statements']} statement(s)",
            flush=True,
        )
    ratio = idle[IDLE_SIZES[-1]]["sweep_ms_median"] / idle[IDLE_SIZES[0]]["sweep_ms_median"]
    results["idle_ratio_100k_to_100"] = round(ratio, 2)
    print(f"cost of a sweep, 100,000 waiters / 100 waiters: {ratio:.2f}x", flush=True)

    if not args.skip_daemon:
        rss_large = daemon_bench.resident_memory(env)
        results["daemon_rss_mib"] = {str(IDLE_SIZES[0]): rss_small, str(IDLE_SIZES[-1]): rss_large}
        print(
            f"automations-daemon resident memory: {rss_small} MiB with {IDLE_SIZES[0]} waiters, "
            f"{rss_large} MiB with {IDLE_SIZES[-1]} waiters",
            flush=True,
        )
        results["daemon_idle"] = quiet = daemon_bench.idle_statements(env)
        print(
            f"automations-daemon idle, {IDLE_SIZES[-1]} waiters, nothing due: "
            f"{quiet['statements_per_minute']} SQL statements per minute "
            f"(resync every {quiet['resync_s']} s)",
            flush=True,
        )
        results["wake_latency"] = lat = daemon_bench.wake_latency(env)
        print(
            f"wake latency (step start - wake_at), {lat['tasks']} tasks due at scattered times "
            f"over {lat['spread_s']} s among {IDLE_SIZES[-1]} idle waiters: "
            f"p50 {lat['lag_ms_p50']} ms, p99 {lat['lag_ms_p99']} ms, "
            f"min {lat['lag_ms_min']} ms, max {lat['lag_ms_max']} ms, {lat['early']} early",
            flush=True,
        )
        clear()

    if args.original_instances:
        print(f"== django-automations 0.9.4.1 (original) on {args.db} ==", flush=True)
        results["original"] = original = run_original(args.db, args.original_instances)
        if "execute_steps_per_second" in original:
            speedup = tp["execute_steps_per_second_median"] / original["execute_steps_per_second"]
            results["speedup"] = round(speedup, 2)
            print(
                f"original: {original['execute_steps_per_second']} Execute steps/s, "
                f"{original['statements_per_execute_step']} statements per step "
                f"({original['instances']} instances); "
                f"its sweep with {original['idle_waiters']} false-condition waiters: "
                f"{original['ms_per_idle_waiter']} ms per waiter\n"
                f"speed-up: {speedup:.1f}x",
                flush=True,
            )
        else:
            print(f"original: {original}", flush=True)
    out = VAR / f"bench-{args.db}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"(written to {out.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
