"""What `newsdesk schedule` works from: its options (defaults in crawler/settings.py), the sites
that have a schedule, and the jobs its database's job store holds (read without running a
scheduler, for `newsdesk schedule --list`)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from models.db import ensure_schema, get_engine

from .runner import crawl_settings
from .sites import SiteConfig, load_sites

logger = logging.getLogger("newsdesk.schedule")

JOB_PREFIX = "crawl:"  # jobs newsdesk owns in the job store
NOW_PREFIX = "now:"  # --now: one run per site at start, kept in memory only


@dataclass
class ScheduleOptions:
    db_url: str
    misfire_grace: int  # the defaults of these three: NEWSDESK_SCHEDULE_* in crawler/settings.py
    stop_timeout: float
    max_parallel: int
    sites_file: str | None = None
    run_now: bool = False
    crawl_settings: dict[str, str] = field(default_factory=dict)  # -s NAME=VALUE for every crawl

    @classmethod
    def from_settings(cls, db_url: str, **given) -> "ScheduleOptions":
        """Defaults from crawler/settings.py (NEWSDESK_SCHEDULE_*); what the command line gave wins."""
        settings = crawl_settings(None)
        defaults = dict(misfire_grace=settings.getint("NEWSDESK_SCHEDULE_MISFIRE_GRACE"),
                        stop_timeout=settings.getfloat("NEWSDESK_SCHEDULE_STOP_TIMEOUT"),
                        max_parallel=settings.getint("NEWSDESK_SCHEDULE_MAX_PARALLEL"))
        return cls(db_url=db_url, **{**defaults, **{k: v for k, v in given.items() if v is not None}})


def scheduled_sites(sites_file: str | None, unschedulable: dict[str, str] | None = None) -> dict[str, SiteConfig]:
    """The sites with a schedule; a site whose URLs name an unset environment variable is
    left out with a warning (its crawls could only fail), and why lands in ``unschedulable``."""
    out = {}
    for name, cfg in load_sites(sites_file).items():
        if not cfg.schedule:
            continue
        if cfg.unresolved:
            logger.warning("site %r is not scheduled: %s", name, cfg.unresolved)
            if unschedulable is not None:
                unschedulable[name] = cfg.unresolved
            continue
        out[name] = cfg
    return out


@dataclass(frozen=True)
class StoredJob:
    site: str
    schedule: str | None
    next_run_time: datetime | None


def stored_jobs(db_url: str) -> list[StoredJob] | None:
    """The jobs in the database's job store, or None when it has none (never scheduled)."""
    engine = get_engine(db_url)
    if not inspect(engine).has_table("apscheduler_jobs"):
        return None
    store = SQLAlchemyJobStore(engine=engine)
    store.start(None, "default")
    return [StoredJob(job.id[len(JOB_PREFIX):], job.kwargs.get("schedule"), job.next_run_time)
            for job in store.get_all_jobs() if job.id.startswith(JOB_PREFIX)]


class StoppableScheduler(BackgroundScheduler):
    def _process_jobs(self):
        # APScheduler 3's loop runs one more round after shutdown() has stopped the
        # executors, and submits whatever is due to them ("Error submitting job").
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def ensure_schema_racing(url: str) -> None:
    """Bring the schema to head; a second process upgrading the same new database at the
    same moment makes ours fail once, after which it is there."""
    for attempt in range(3):
        try:
            ensure_schema(url)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 2:
                raise
            time.sleep(1 + attempt)
