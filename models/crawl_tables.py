"""The crawler's own tables (re-exported by models/tables.py, where the analysts' tables are):
crawl runs and their health figures and problems (crawler/extensions/runs.py, health.py), what
re-crawls know about each URL (models/fetchstate.py), the per-site crawl locks
(models/crawllock.py), and the WARC records behind each article and the imports' progress
(models/archive.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ArticleRecord(Base):
    """An archived WARC record one fetch of an article used: its page, each comment page
    and comment API response. The records of one fetch share its ``fetched_at``."""

    __tablename__ = "article_records"
    __table_args__ = (UniqueConstraint("article_id", "warc_file", "warc_offset"),
                      Index("ix_article_records_article_id_fetched_at", "article_id", "fetched_at"),
                      Index("ix_article_records_warc_file_warc_offset", "warc_file", "warc_offset"))

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))  # "article", or the comment request's kind ("page", "disqus-api"...)
    url: Mapped[str] = mapped_column(Text)
    warc_file: Mapped[str] = mapped_column(Text)
    warc_offset: Mapped[int] = mapped_column(BigInteger)


class WarcImport(Base):
    """One WARC file `newsdesk import-warc` has read: every record below ``next_offset`` is done."""

    __tablename__ = "warc_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    next_offset: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    records: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    articles: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class CrawlRun(Base):
    """One row per crawl; its counters come from the crawl's Scrapy stats."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_site_started", "site_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32), default="running")  # running, finished, degraded, failed, cancelled, skipped
    finish_reason: Mapped[str | None] = mapped_column(Text)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    comments_new: Mapped[int] = mapped_column(Integer, default=0)
    comments_updated: Mapped[int] = mapped_column(Integer, default=0)
    comments_deleted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comment_threads_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats_json: Mapped[str | None] = mapped_column(Text)  # every Scrapy stat of the run, as JSON
    origin: Mapped[str | None] = mapped_column(String(32))  # what started it: schedule, crawl, cron, scrapy
    message: Mapped[str | None] = mapped_column(Text)  # why it failed, was skipped or is degraded, in one line


class RunHealth(Base):
    """Per crawl run: how complete the stored articles were, and how the crawl went.

    Coverage columns are shares (0..1) of the articles extracted in the run that have the
    field; NULL when the run extracted no article (an incremental re-crawl answered 304s).
    """

    __tablename__ = "run_health"
    __table_args__ = (Index("ix_run_health_site_run", "site_id", "run_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    recorded_at: Mapped[datetime]
    articles: Mapped[int] = mapped_column(Integer, default=0)  # extracted and stored in this run
    title_coverage: Mapped[float | None] = mapped_column(Float)
    authors_coverage: Mapped[float | None] = mapped_column(Float)
    published_coverage: Mapped[float | None] = mapped_column(Float)
    body_coverage: Mapped[float | None] = mapped_column(Float)
    section_coverage: Mapped[float | None] = mapped_column(Float)
    image_coverage: Mapped[float | None] = mapped_column(Float)
    language_coverage: Mapped[float | None] = mapped_column(Float)
    comments_per_article: Mapped[float | None] = mapped_column(Float)
    comment_threads_failed: Mapped[int] = mapped_column(Integer, default=0)
    article_share: Mapped[float | None] = mapped_column(Float)  # article pages / (article pages + listings)
    requests: Mapped[int] = mapped_column(Integer, default=0)  # requests sent (retries included)
    error_rate: Mapped[float | None] = mapped_column(Float)  # pages given up on with an error, per request
    skip_rate: Mapped[float | None] = mapped_column(Float)  # pages skipped (not HTML, 404, ...), per request
    reasons_json: Mapped[str | None] = mapped_column(Text)  # {"errors/timeout": n, "skipped/http_404": n, ...}
    pages_per_second: Mapped[float | None] = mapped_column(Float)
    rule_hits_json: Mapped[str | None] = mapped_column(Text)  # {"body": 0.98}: share of article pages a site rule matched
    problems_json: Mapped[str | None] = mapped_column(Text)  # {"coverage:authors": "message", ...} of failed monitors


class HealthProblem(Base):
    """A problem a monitor found on a site, open until a later check finds it gone.

    Alerts go out when a problem opens and when it clears, once each: this table is what
    remembers which problems were already announced.
    """

    __tablename__ = "health_problems"
    __table_args__ = (Index("ix_health_problems_site_open", "site_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(100))  # coverage:authors, new_articles, error_rate, stalled, overdue, ...
    message: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime]
    opened_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    cleared_at: Mapped[datetime | None]
    cleared_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))

class SeenUrl(Base):
    __tablename__ = "seen_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    status: Mapped[int | None] = mapped_column(Integer)  # of the last full fetch (or the error a known URL gave)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)  # the HTTP date as the server sent it
    content_hash: Mapped[str | None] = mapped_column(String(64))  # the article's (title + body) hash
    first_seen_at: Mapped[datetime]
    fetched_at: Mapped[datetime]  # when these validators were stored (a full fetch that found them new)
    changed_at: Mapped[datetime]  # when the content or validators last changed
    last_seen_at: Mapped[datetime]  # last fetch or conditional check


class CrawlLock(Base):
    __tablename__ = "crawl_locks"

    site: Mapped[str] = mapped_column(String(200), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))  # unique per holder: only it may renew or release
    holder: Mapped[str] = mapped_column(Text)  # what is crawling: "newsdesk schedule", "scrapy crawl"...
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    expires_at: Mapped[datetime]
