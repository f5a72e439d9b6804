"""One crawl per site at a time, whoever starts it: a lock row per site in the database.

Every way a crawl starts (``newsdesk schedule``, a second scheduler on another machine,
``newsdesk crawl``, a cron line, ``scrapy crawl news``) takes the same row, so the rule
holds across processes and hosts, on SQLite and PostgreSQL alike.

A row is taken with one atomic statement: an ``INSERT ... ON CONFLICT DO NOTHING`` when
nobody holds it, else an ``UPDATE ... WHERE expires_at < now`` when the holder stopped
renewing it. The holder renews ``expires_at`` with a heartbeat while it crawls; a process
killed with SIGKILL stops renewing, so its lock is taken over once it expires. Advisory
locks (``pg_advisory_lock``) would vanish with the killed session on PostgreSQL but have no
SQLite equivalent across processes, and they cannot say who holds them; a row can.

Times come from the crawling host's clock: hosts sharing a database need synchronised
clocks (NTP), to well within the lock's time to live.
"""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .tables import CrawlLock, CrawlRun


@dataclass(frozen=True)
class LockHolder:
    """Who holds a site's lock, for the message a skipped crawl prints."""

    site: str
    holder: str
    host: str
    pid: int
    run_id: int | None
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def describe(self, now: datetime | None = None) -> str:
        now = now or _utcnow()
        run = f"crawl run {self.run_id}, " if self.run_id else ""
        return (f"{self.holder} ({run}pid {self.pid} on {self.host}, since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"last heartbeat {max(0, (now - self.heartbeat_at).total_seconds()):.0f}s ago)")


@dataclass(frozen=True)
class Acquired:
    """A lock this process now holds; ``took_over`` is the expired holder it replaced, if any."""

    site: str
    token: str
    took_over: LockHolder | None = None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CrawlLock.__table__)


def _holder(row: CrawlLock) -> LockHolder:
    return LockHolder(row.site, row.holder, row.host, row.pid, row.run_id, row.acquired_at, row.heartbeat_at,
                      row.expires_at)


def current_holder(session: Session, site: str) -> LockHolder | None:
    row = session.get(CrawlLock, site, populate_existing=True)
    return _holder(row) if row is not None else None


def try_acquire(session: Session, site: str, *, holder: str, ttl: float, run_id: int | None = None,
                now: datetime | None = None) -> Acquired | LockHolder:
    """Take the site's lock, or return who holds it. The caller commits right away.

    Each branch is a single conditional statement, so two processes racing for one site
    cannot both win: the database serialises the insert on the primary key and re-checks
    ``expires_at`` of the row it updates.
    """
    now = now or _utcnow()
    token = uuid.uuid4().hex
    values = dict(token=token, holder=holder, host=socket.gethostname(), pid=os.getpid(), run_id=run_id,
                  acquired_at=now, heartbeat_at=now, expires_at=now + timedelta(seconds=ttl))
    # RETURNING, not rowcount: SQLAlchemy reports -1 for this insert on psycopg 3.
    inserted = session.execute(_insert(session).values(site=site, **values)
                               .on_conflict_do_nothing(index_elements=["site"]).returning(CrawlLock.site)).first()
    if inserted is not None:
        return Acquired(site, token)
    stale = current_holder(session, site)
    if stale is None:  # released between our insert and our read: try once more
        return try_acquire(session, site, holder=holder, ttl=ttl, run_id=run_id, now=now)
    taken = session.execute(update(CrawlLock).where(CrawlLock.site == site, CrawlLock.expires_at < now)
                            .values(**values)).rowcount
    if taken == 1:
        return Acquired(site, token, took_over=stale)
    return stale


def renew(session: Session, lock: Acquired, *, ttl: float, now: datetime | None = None) -> bool:
    """Push the expiry forward; False when the lock is no longer ours (it expired and was taken)."""
    now = now or _utcnow()
    return session.execute(update(CrawlLock).where(CrawlLock.site == lock.site, CrawlLock.token == lock.token)
                           .values(heartbeat_at=now, expires_at=now + timedelta(seconds=ttl))).rowcount == 1


def release(session: Session, lock: Acquired) -> bool:
    return session.execute(delete(CrawlLock).where(CrawlLock.site == lock.site,
                                                   CrawlLock.token == lock.token)).rowcount == 1


def close_abandoned_run(session: Session, stale: LockHolder, now: datetime | None = None) -> int | None:
    """The crawl run of a holder whose lock expired never closed its row (it was killed):
    record how it ended, so that ``crawl_runs`` has no run left "running" forever."""
    if stale.run_id is None:
        return None
    now = now or _utcnow()
    done = session.execute(update(CrawlRun).where(CrawlRun.id == stale.run_id, CrawlRun.status == "running").values(
        status="failed", finish_reason="abandoned", finished_at=stale.heartbeat_at,
        message=(f"the crawl process (pid {stale.pid} on {stale.host}) stopped without closing its run; "
                 f"its lock expired at {stale.expires_at:%Y-%m-%d %H:%M:%S} UTC and was taken over"))).rowcount
    return stale.run_id if done else None


def held_locks(session: Session) -> list[LockHolder]:
    return [_holder(row) for row in session.scalars(select(CrawlLock).order_by(CrawlLock.site))]
