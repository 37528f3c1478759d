"""The daemon's figures for ``make bench``, measured on real daemon processes.

Wake latency (step start minus ``wake_at``) for tasks due at scattered times among
many idle waiters; SQL statements per minute while nothing is due; resident memory
with few and many waiters; steps per second with one and two daemons.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

from common import HERE, ROOT

DAEMON = [sys.executable, "-m", "automations_daemon", "run", "--log-format", "json"]


class DaemonProcess:
    def __init__(self, env: dict[str, str]):
        self.events: list[dict] = []
        self.proc = subprocess.Popen(
            DAEMON,
            env={**os.environ, **env, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with self.proc.stdout:
            for line in self.proc.stdout:
                with contextlib.suppress(ValueError):
                    self.events.append(json.loads(line))

    def wait_for(self, name: str, timeout: float = 60, after: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events[after:]:
                if event.get("event") == name:
                    return event
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"daemon: no {name!r} event; last events: {self.events[-5:]}")

    def named(self, name: str) -> list[dict]:
        return [event for event in self.events if event.get("event") == name]

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        self.reader.join(5)
        return code


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def wake_latency(env: dict, tasks: int = 1000, spread_s: float = 30.0, lead_s: float = 15.0):
    """1,000 instances due at scattered times, announced by this process as a web app would."""
    from benchapp.automations import WakesAt

    from automations import clock

    daemon = DaemonProcess(env)
    try:
        daemon.wait_for("ready")
        time.sleep(1)
        start = clock.now() + timedelta(seconds=lead_s)
        moments = [start + timedelta(seconds=random.uniform(0, spread_s)) for _ in range(tasks)]
        for moment in moments:
            WakesAt(at=moment.isoformat())
        if clock.now() >= start:
            raise RuntimeError(f"creating {tasks} instances took longer than {lead_s}s")
        deadline = time.monotonic() + lead_s + spread_s + 30
        while time.monotonic() < deadline:
            done = [e for e in daemon.named("step done") if e.get("node") == "work"]
            if len(done) >= tasks:
                break
            time.sleep(0.2)
    finally:
        code = daemon.stop()
    lags = [e["lag_ms"] for e in daemon.named("step done") if e.get("node") == "work"]
    if len(lags) < tasks:
        raise RuntimeError(f"only {len(lags)} of {tasks} wakes ran")
    return {
        "tasks": tasks,
        "spread_s": spread_s,
        "lag_ms_p50": round(percentile(lags, 0.50), 2),
        "lag_ms_p99": round(percentile(lags, 0.99), 2),
        "lag_ms_min": round(min(lags), 2),
        "lag_ms_max": round(max(lags), 2),
        "early": sum(1 for lag in lags if lag < 0),
        "exit_status": code,
    }


def idle_statements(env: dict, window_s: float = 125.0):
    """SQL statements of a daemon per minute while nothing is due (default resync: 60 s)."""
    daemon = DaemonProcess(env)
    try:
        ready = daemon.wait_for("ready")
        time.sleep(window_s)
    finally:
        code = daemon.stop()
    resyncs = daemon.named("resync")
    if len(resyncs) < 2:
        raise RuntimeError(f"expected two resyncs in {window_s}s, got {len(resyncs)}")
    # The second resync counts the statements of one full idle interval.
    idle = resyncs[1]["statements"]
    return {
        "window_s": window_s,
        "resync_s": ready and daemon.named("start")[0]["resync_s"],
        "statements_in_one_idle_interval": idle,
        "statements_per_minute": round(idle * 60 / daemon.named("start")[0]["resync_s"], 2),
        "passes_while_idle": len(daemon.named("pass")),
        "exit_status": code,
    }


def resident_memory(env: dict, settle_s: float = 3.0) -> float:
    daemon = DaemonProcess(env)
    try:
        daemon.wait_for("ready")
        time.sleep(settle_s)
        return round(daemon.rss_mib(), 1)
    finally:
        daemon.stop()


def throughput(env: dict, instances: int, daemons: int):
    """Execute steps per second of ``daemons`` daemons over due three-step instances."""
    from benchapp.automations import ThreeSteps

    from automations.models import AutomationModel
    from automations.testing import start_many

    AutomationModel.objects.all().delete()
    ids = start_many(ThreeSteps, instances, data=lambda n: {"n": n})
    processes = [DaemonProcess(env) for _ in range(daemons)]
    try:
        for process in processes:
            process.wait_for("ready")
        started = time.monotonic()
        while AutomationModel.objects.filter(pk__in=ids, finished=False).exists():
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        codes = [process.stop() for process in processes]
    steps = [sum(e["steps"] for e in p.named("pass")) for p in processes]
    AutomationModel.objects.all().delete()
    return {
        "daemons": daemons,
        "instances": instances,
        "execute_steps_per_second": round(3 * instances / seconds, 1),
        "steps_per_daemon": steps,
        "exit_statuses": codes,
    }
