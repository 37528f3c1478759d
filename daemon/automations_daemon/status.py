"""``automations-daemon status``: what waits, what is due, which daemons are alive."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Min, Q

from automations import clock
from automations import settings as app_settings
from automations.models import AutomationTaskModel, DaemonHeartbeat


def collect(upcoming: int = 5) -> dict:
    now = clock.now()
    tasks = AutomationTaskModel.objects.filter(finished__isnull=True)
    counts = tasks.aggregate(
        open=Count("pk"),
        due=Count("pk", filter=Q(wake_at__lte=now)),
        waiting_for_people=Count("pk", filter=Q(requires_interaction=True)),
        oldest_due=Min("wake_at", filter=Q(wake_at__lte=now)),
    )
    next_wakes = [
        {
            "wake_at": wake_at.isoformat(),
            "automation": path.rsplit(".", 1)[-1],
            "automation_id": automation_id,
            "node": node,
            "waiting_for": reason or "due",
        }
        for wake_at, path, automation_id, node, reason in tasks.filter(wake_at__gt=now)
        .order_by("wake_at", "pk")
        .values_list(
            "wake_at", "automation__automation_class", "automation_id", "status", "wait_reason"
        )[:upcoming]
    ]
    alive_since = now - timedelta(seconds=2 * app_settings.daemon_resync() + 5)
    daemons = [
        {
            "name": beat.name,
            "pid": beat.pid,
            "version": beat.version,
            "started": beat.started.isoformat(),
            "seen_s_ago": round((now - beat.seen).total_seconds(), 1),
            "alive": beat.seen >= alive_since,
        }
        for beat in DaemonHeartbeat.objects.order_by("started")
    ]
    oldest = counts.pop("oldest_due")
    return {
        "now": now.isoformat(),
        **counts,
        "oldest_due_late_s": None if oldest is None else round((now - oldest).total_seconds(), 3),
        "next_wakes": next_wakes,
        "daemons": daemons,
    }


def render(status: dict) -> str:
    lines = [
        f"open tasks:          {status['open']}",
        f"due now:             {status['due']}"
        + (f" (oldest {status['oldest_due_late_s']} s late)" if status["due"] else ""),
        f"waiting for people:  {status['waiting_for_people']}",
        "next wakes:" if status["next_wakes"] else "next wakes:          none",
    ]
    for wake in status["next_wakes"]:
        lines.append(
            f"  {wake['wake_at']}  {wake['automation']} #{wake['automation_id']} "
            f"{wake['node']} ({wake['waiting_for']})"
        )
    alive = [d for d in status["daemons"] if d["alive"]]
    lines.append(f"daemons alive:       {len(alive)}")
    for daemon in status["daemons"]:
        state = "alive" if daemon["alive"] else "silent"
        lines.append(
            f"  {daemon['name']}  {state}, seen {daemon['seen_s_ago']} s ago, "
            f"version {daemon['version']}"
        )
    return "\n".join(lines)
