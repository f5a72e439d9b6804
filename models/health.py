"""Extraction health: per-run figures (``run_health``) and the problems monitors found
(``health_problems``), for the crawl's monitors, ``newsdesk health`` and the Health page.

The figures are computed by the crawl (crawler/monitors/figures.py) from its stats; this
module only stores and reads them. A problem stays open until a later check no longer finds
it, so each problem is announced once when it opens and once when it clears.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .tables import CrawlRun, HealthProblem, RunHealth, Site

# The fields whose coverage is measured, as (name in messages, run_health column).
COVERAGE_FIELDS = ("title", "authors", "published", "body", "section", "image", "language")
FIGURE_COLUMNS = (*(f"{f}_coverage" for f in COVERAGE_FIELDS), "articles", "comments_per_article",
                  "comment_threads_failed", "article_share", "requests", "error_rate", "skip_rate",
                  "pages_per_second")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def site_id_of(session: Session, name: str) -> int | None:
    return session.scalar(select(Site.id).where(Site.name == name))


def record_run_health(session: Session, run_id: int, site_id: int | None, figures: Mapping,
                      problems: Mapping[str, str], now: datetime | None = None) -> None:
    """Store (or replace) the figures of one run and the monitors it failed."""
    row = session.get(RunHealth, run_id) or RunHealth(run_id=run_id)
    row.site_id = site_id
    row.recorded_at = now or _utcnow()
    for name in FIGURE_COLUMNS:
        setattr(row, name, figures.get(name))
    row.articles = int(figures.get("articles") or 0)
    row.comment_threads_failed = int(figures.get("comment_threads_failed") or 0)
    row.requests = int(figures.get("requests") or 0)
    row.reasons_json = json.dumps(figures.get("reasons") or {}, sort_keys=True)
    row.rule_hits_json = json.dumps(figures["rules"], sort_keys=True) if figures.get("rules") else None
    row.problems_json = json.dumps(dict(problems), sort_keys=True) if problems else None
    session.add(row)


@dataclass
class RunFigures:
    """One run of a site as the monitors, ``newsdesk health`` and the Health page see it."""

    run_id: int
    site: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    articles_new: int
    message: str | None
    articles_known: int = 0  # updated + unchanged: articles an earlier run had stored
    figures: dict = field(default_factory=dict)  # the run_health columns; empty when none were recorded
    reasons: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)

    def value(self, name: str):
        return self.figures.get(name)


def _figures_of(health: RunHealth | None) -> tuple[dict, dict, dict]:
    if health is None:
        return {}, {}, {}
    figures = {name: getattr(health, name) for name in FIGURE_COLUMNS}
    figures["rules"] = json.loads(health.rule_hits_json or "{}")
    return (figures, json.loads(health.reasons_json or "{}"), json.loads(health.problems_json or "{}"))


def recent_runs(session: Session, site: str, limit: int = 10, *, before_run: int | None = None,
                statuses: tuple[str, ...] | None = None) -> list[RunFigures]:
    """The site's runs, newest first, with their health figures (runs still going excluded)."""
    stmt = (select(CrawlRun, RunHealth, Site.name).join(Site, Site.id == CrawlRun.site_id)
            .outerjoin(RunHealth, RunHealth.run_id == CrawlRun.id)
            .where(Site.name == site, CrawlRun.status != "running")
            .order_by(CrawlRun.id.desc()).limit(limit))
    if before_run is not None:
        stmt = stmt.where(CrawlRun.id < before_run)
    if statuses:
        stmt = stmt.where(CrawlRun.status.in_(statuses))
    out = []
    for run, health, name in session.execute(stmt):
        figures, reasons, problems = _figures_of(health)
        out.append(RunFigures(run.id, name, run.status, run.started_at, run.finished_at, run.articles_new,
                              run.message, (run.articles_updated or 0) + (run.articles_unchanged or 0),
                              figures, reasons, problems))
    return out


def last_run_started(session: Session, site: str) -> datetime | None:
    return session.scalar(select(CrawlRun.started_at).join(Site, Site.id == CrawlRun.site_id)
                          .where(Site.name == site).order_by(CrawlRun.id.desc()).limit(1))


def site_names(session: Session) -> list[str]:
    return list(session.scalars(select(Site.name).order_by(Site.name)))


# --- problems and their alerts ------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """What one check changed: problems that opened and problems that cleared (kind, message)."""

    site: str
    opened: tuple[tuple[str, str], ...] = ()
    cleared: tuple[tuple[str, str], ...] = ()
    run_id: int | None = None

    def __bool__(self) -> bool:
        return bool(self.opened or self.cleared)


def open_problems(session: Session, site: str) -> dict[str, str]:
    """kind -> message of the site's open problems."""
    rows = session.execute(select(HealthProblem.kind, HealthProblem.message)
                           .join(Site, Site.id == HealthProblem.site_id)
                           .where(Site.name == site, HealthProblem.cleared_at.is_(None))
                           .order_by(HealthProblem.id))
    return dict(rows.all())


def all_open_problems(session: Session) -> dict[str, dict[str, str]]:
    """site -> {kind: message} for every site with an open problem."""
    out: dict[str, dict[str, str]] = {}
    for name, kind, message in session.execute(
            select(Site.name, HealthProblem.kind, HealthProblem.message).join(Site, Site.id == HealthProblem.site_id)
            .where(HealthProblem.cleared_at.is_(None)).order_by(HealthProblem.id)):
        out.setdefault(name, {})[kind] = message
    return out


def update_problems(session: Session, site: str, found: Mapping[str, str], *, run_id: int | None = None,
                    judged: set[str] | None = None, now: datetime | None = None) -> Change:
    """Open the problems in ``found`` that are not open yet; clear the open ones this check
    judged (``judged``: kinds, or prefixes ending in ":", or None for all) and no longer
    found. Returns what changed, which is exactly what to announce."""
    now = now or _utcnow()
    site_id = site_id_of(session, site)
    if site_id is None:
        return Change(site)
    rows = session.scalars(select(HealthProblem).where(HealthProblem.site_id == site_id,
                                                       HealthProblem.cleared_at.is_(None))
                           .with_for_update()).all()
    current = {row.kind: row for row in rows}
    opened, cleared = [], []
    for kind, message in found.items():
        if kind in current:
            continue
        session.add(HealthProblem(site_id=site_id, kind=kind, message=message, opened_at=now, opened_run_id=run_id))
        opened.append((kind, message))
    for kind, row in current.items():
        if kind in found or not _judged(kind, judged):
            continue
        session.execute(update(HealthProblem).where(HealthProblem.id == row.id)
                        .values(cleared_at=now, cleared_run_id=run_id))
        cleared.append((kind, row.message))
    session.flush()
    return Change(site, tuple(opened), tuple(cleared), run_id)


def _judged(kind: str, judged: set[str] | None) -> bool:
    return judged is None or kind in judged or any(p.endswith(":") and kind.startswith(p) for p in judged)
