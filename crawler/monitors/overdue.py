"""Scheduled sites that have not run when they should have (``newsdesk health``, the scheduler).

A site with a ``schedule`` is overdue when the first run due after its last run started is
more than its ``overdue_minutes`` in the past: the scheduler was down, its job was lost, or
its crawls die before they record a run. A site never crawled is not judged (nothing says
since when it has been scheduled).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..sites import SiteConfig, parse_schedule


def next_due(schedule: str, after: datetime) -> datetime | None:
    from apscheduler.triggers.interval import IntervalTrigger

    trigger = parse_schedule(schedule)
    if isinstance(trigger, IntervalTrigger):  # its own start date is "now": count from the last run
        return after + trigger.interval
    return trigger.get_next_fire_time(None, after)


def overdue_message(cfg: SiteConfig, last_started: datetime | None, now: datetime | None = None) -> str | None:
    minutes = cfg.health.overdue_minutes
    if not cfg.schedule or not minutes or not cfg.health.enabled or last_started is None:
        return None
    now = now or datetime.now(timezone.utc)
    due = next_due(cfg.schedule, last_started)
    if due is None or now - due < timedelta(minutes=minutes):
        return None
    late = (now - due).total_seconds() / 60
    return (f"no run since {last_started:%Y-%m-%d %H:%M} UTC; the run due at {due:%Y-%m-%d %H:%M} "
            f"UTC (schedule {cfg.schedule!r}) is {late:.0f} min late (overdue_minutes = {minutes:g})")


def check_schedules(db_url: str, sites: dict[str, SiteConfig], alerts=None, now: datetime | None = None) -> dict:
    """Open or clear each scheduled site's ``overdue`` problem; alert on what changed.
    Returns site -> overdue message for the overdue sites."""
    from models import health
    from models.db import session_factory

    found = {}
    changes = []
    with session_factory(db_url).begin() as session:
        for name, cfg in sites.items():
            if not cfg.schedule:
                continue
            message = overdue_message(cfg, health.last_run_started(session, name), now)
            if message:
                found[name] = message
            changes.append(health.update_problems(session, name, {"overdue": message} if message else {},
                                                  judged={"overdue"}, now=now))
    if alerts:
        for change in changes:
            alerts.send(change)
    return found
