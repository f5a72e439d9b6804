"""Crawl runs: every write to ``crawl_runs``, its statuses and finish reasons, and the runs as
the scheduler and ``newsdesk runs`` read them.

Inside a crawl, one extension owns the row from open to close (crawler/extensions/runs.py):
it opens the row (or adopts the one its scheduler opened), and closes it with the counters
read from the crawl's Scrapy stats. Outside the crawl, the scheduler opens the row before it
starts the crawl process, so that a process that dies before or during the crawl (a bad
configuration, SIGKILL, out of memory) still leaves a row saying how it ended, and the crawl
lock closes the row of a crawl whose lock it took over (models/crawllock.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .repository import ensure_site
from .tables import CrawlRun, Site

# crawl_runs.finish_reason -> crawl_runs.status, listed once. Scrapy's reasons: a crawl that
# ended on its own or at a limit it was given has done its job; a signal or an engine stop
# cancelled it. newsdesk's: "locked" (another process holds the site, crawler/extensions/
# crawllock.py) and "still_running" (the scheduler's previous run of the site is going) are
# skipped runs. Every other reason is a failure: "lock_lost", "abandoned" (a lock taken over
# from a dead crawl), "killed", "process_exit" (the scheduler saw the process die), Scrapy's
# "closespider_errorcount", an exception's name.
FINISHED_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout")
CANCELLED_REASONS = ("shutdown", "cancelled")
SKIPPED_REASONS = ("locked", "still_running")
STATUSES = ("running", "finished", "cancelled", "skipped", "failed")

RUN_COUNTERS = ("pages_fetched", "articles_new", "articles_updated", "articles_unchanged",
                "comments_new", "comments_updated", "comments_deleted", "comment_threads_failed",
                "duplicates", "errors")


def status_for(reason: str, *, reached_site: bool = True) -> str:
    """The status a run ending for ``reason`` is recorded with; a crawl that finished without
    reaching its site at all has failed."""
    if reason in SKIPPED_REASONS:
        return "skipped"
    if reason in FINISHED_REASONS:
        return "finished" if reached_site else "failed"
    if reason in CANCELLED_REASONS:
        return "cancelled"
    return "failed"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def start_run(session: Session, site_id: int | None, now: datetime | None = None, *,
              origin: str | None = None) -> int:
    run = CrawlRun(site_id=site_id, started_at=now or _utcnow(), status="running", origin=origin)
    session.add(run)
    session.flush()
    return run.id


def adopt_run(session: Session, run_id: int, site_id: int | None) -> int | None:
    """A run row opened by whoever started this crawl (the scheduler, before spawning it):
    the crawl fills that row instead of opening its own. None when there is no such open row."""
    run = session.get(CrawlRun, run_id)
    if run is None or run.status != "running":
        return None
    if run.site_id is None:
        run.site_id = site_id
    return run.id


def finish_run(session: Session, run_id: int, *, status: str, finish_reason: str | None,
               counters: Mapping[str, int], stats: Mapping[str, Any] | None = None,
               now: datetime | None = None, message: str | None = None) -> None:
    run = session.get(CrawlRun, run_id)
    run.finished_at = now or _utcnow()
    run.status = status
    run.finish_reason = finish_reason
    if message:
        run.message = message
    for key in RUN_COUNTERS:
        setattr(run, key, int(counters.get(key, 0)))
    if stats is not None:
        run.stats_json = json.dumps(stats, default=str, sort_keys=True)


def open_run(session: Session, site: str, base_url: str | None, origin: str) -> int:
    return start_run(session, ensure_site(session, site, base_url), origin=origin)


def record_skipped(session: Session, site: str, base_url: str | None, *, origin: str, reason: str,
                   message: str) -> int:
    """A run that did not start (its previous run is still going): a row says so."""
    run_id = open_run(session, site, base_url, origin)
    now = _utcnow()
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
        status=status_for(reason), finish_reason=reason, message=message, finished_at=now))
    return run_id


def close_if_unfinished(session: Session, run_id: int, *, reason: str, message: str) -> bool:
    """The crawl process ended without closing its row: record how it ended, and why."""
    return session.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(
        status=status_for(reason), finish_reason=reason, message=message, finished_at=_utcnow())).rowcount == 1


def add_message(session: Session, run_id: int, message: str) -> None:
    """The crawl recorded a failure without saying why; the process's last words do."""
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "failed",
                                           CrawlRun.message.is_(None)).values(message=message))


@dataclass(frozen=True)
class RunSummary:
    id: int
    site: str
    origin: str | None
    status: str
    finish_reason: str | None
    started_at: datetime
    finished_at: datetime | None
    pages_fetched: int
    articles_new: int
    articles_updated: int
    articles_unchanged: int
    comments_new: int
    errors: int
    message: str | None

    @property
    def seconds(self) -> float | None:
        end = self.finished_at or (_utcnow() if self.status == "running" else None)
        return (end - self.started_at).total_seconds() if end else None


def get_run(session: Session, run_id: int) -> RunSummary | None:
    return next(iter(recent_runs(session, run_id=run_id)), None)


def recent_runs(session: Session, site: str | None = None, limit: int = 20, *,
                run_id: int | None = None) -> list[RunSummary]:
    """Newest first."""
    stmt = (select(CrawlRun.id, func.coalesce(Site.name, "(ad hoc)"), CrawlRun.origin, CrawlRun.status,
                   CrawlRun.finish_reason, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.pages_fetched,
                   CrawlRun.articles_new, CrawlRun.articles_updated, CrawlRun.articles_unchanged,
                   CrawlRun.comments_new, CrawlRun.errors, CrawlRun.message)
            .outerjoin(Site, Site.id == CrawlRun.site_id).order_by(CrawlRun.id.desc()).limit(limit))
    if site:
        stmt = stmt.where(Site.name == site)
    if run_id is not None:
        stmt = stmt.where(CrawlRun.id == run_id)
    return [RunSummary(*row) for row in session.execute(stmt)]
