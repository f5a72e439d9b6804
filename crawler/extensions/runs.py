"""CrawlRunExtension: the crawl's ``crawl_runs`` row, from open to close.

When the spider opens, the row is opened (or, with ``NEWSDESK_RUN_ID``, the row the
scheduler opened before it started this process is adopted) and its id is published as the
stat newsdesk/crawl_run_id, for the crawl lock and the commands' summaries. When the spider
closes, the row gets its status (from the finish reason, models/runs.py), its counters (read
from the crawl's Scrapy stats, which the pipelines and middlewares keep: no second
bookkeeping), all stats as JSON, and one message saying why a run was skipped or could not do
its job (for a run a health monitor failed: status ``degraded`` and the monitors' message, from
crawler/extensions/health.py). What happens outside the crawl (a process that died) is the
scheduler's to record.
"""
from __future__ import annotations

import logging
import resource

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from models import repository, runs
from models.db import ensure_schema, resolve_url, session_factory

from ..contracts import (
    ARTICLES_NEW,
    ARTICLES_UNCHANGED,
    ARTICLES_UPDATED,
    COMMENT_THREADS_FAILED,
    COMMENTS_DELETED,
    COMMENTS_NEW,
    COMMENTS_UPDATED,
    CRAWL_RUN_ID,
    DUPLICATES,
    ERRORS,
    HEALTH_MESSAGE,
    PEAK_RSS,
    RUN_MESSAGE,
    START_FAILURES,
    total,
)

logger = logging.getLogger("newsdesk.runs")


def run_counters(stats: dict) -> dict[str, int]:
    """crawl_runs counters from the stats of one crawl."""
    return {
        "pages_fetched": stats.get("response_received_count", 0),
        "articles_new": stats.get(ARTICLES_NEW, 0),
        "articles_updated": stats.get(ARTICLES_UPDATED, 0),
        "articles_unchanged": stats.get(ARTICLES_UNCHANGED, 0),
        "comments_new": stats.get(COMMENTS_NEW, 0),
        "comments_updated": stats.get(COMMENTS_UPDATED, 0),
        "comments_deleted": stats.get(COMMENTS_DELETED, 0),
        # Threads, not reasons (a thread can fail for two); the reasons are in stats_json.
        "comment_threads_failed": stats.get(COMMENT_THREADS_FAILED, 0),
        "duplicates": total(stats, DUPLICATES),
        # Pages given up on, once each, by reason (crawler/downloadermiddlewares/failures.py);
        # Scrapy's own per-attempt counts (downloader/exception_count, retry/...) stay in stats_json.
        "errors": total(stats, ERRORS),
    }


def reached_site(stats: dict) -> bool:
    """False when every start request failed and no page was received."""
    return not (stats.get(START_FAILURES) and not stats.get("response_received_count"))


def run_status(reason: str, stats: dict) -> str:
    status = runs.status_for(reason, reached_site=reached_site(stats))
    # A health monitor failed (crawler/extensions/health.py): the crawl ran, the site looks broken.
    return "degraded" if status == "finished" and stats.get(HEALTH_MESSAGE) else status


def run_message(reason: str, stats: dict, spider) -> str | None:
    """One line for crawl_runs.message: why the run was skipped or could not do its job."""
    if message := stats.get(RUN_MESSAGE):
        return message
    if error := getattr(spider, "config_error", None):
        return error
    failures = getattr(spider, "start_failures", None)
    if failures and not stats.get("response_received_count"):
        return "could not reach the site: " + "; ".join(failures)
    return stats.get(HEALTH_MESSAGE)  # which monitors a degraded run failed


class CrawlRunExtension:
    def __init__(self, crawler, database_url: str):
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = resolve_url(database_url)
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_STORE"):
            raise NotConfigured("no database: NEWSDESK_STORE is off")
        ext = cls(crawler, crawler.settings.get("NEWSDESK_DATABASE_URL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider):
        ensure_schema(self.url)  # already done by StorePipeline.open_spider, unless it is switched off
        cfg = getattr(spider, "site_config", None)
        settings = self.crawler.settings
        try:
            with session_factory(self.url).begin() as session:
                site_id = repository.ensure_site(session, cfg.name, cfg.base_url) if cfg is not None else None
                if settings.getint("NEWSDESK_RUN_ID"):  # opened by the scheduler that started this crawl
                    self.run_id = runs.adopt_run(session, settings.getint("NEWSDESK_RUN_ID"), site_id)
                if self.run_id is None:
                    self.run_id = runs.start_run(session, site_id, origin=settings.get("NEWSDESK_RUN_ORIGIN") or None)
        except SQLAlchemyError as exc:
            logger.error("could not open the crawl run: %s", exc)
            return
        self.stats.set_value(CRAWL_RUN_ID, self.run_id)
        # Connected now, not in from_crawler: receivers run in the order they were connected, so
        # the row is closed after every other extension's spider_closed (the crawl lock is
        # released first, and whoever waits for the row to close finds the site free).
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self, spider, reason):
        if self.run_id is None:
            return
        # Scrapy's memusage/max is a sample taken once a minute, which a short crawl never
        # reaches: the kernel's high-water mark is the true peak (ru_maxrss is in KiB on Linux).
        self.stats.set_value(PEAK_RSS, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        stats = self.stats.get_stats()
        try:
            with session_factory(self.url).begin() as session:
                runs.finish_run(session, self.run_id, status=run_status(reason, stats), finish_reason=reason,
                                counters=run_counters(stats), stats=stats, message=run_message(reason, stats, spider))
        except SQLAlchemyError as exc:
            logger.error("could not record the crawl run: %s", exc)
