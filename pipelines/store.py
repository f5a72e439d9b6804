"""StorePipeline: one transaction per article with its thread, and the crawl's crawl_runs row.

The crawl_runs counters are read from the crawl's Scrapy stats when the spider closes,
not kept a second time here.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from scrapy import signals
from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from crawler.items import ArticleItem
from models import repository
from models.db import ensure_schema, resolve_url, session_factory
from models.neardup import NearDuplicate, NearDuplicateIndex, Signature, setting

logger = logging.getLogger(__name__)


def near_duplicate_index(settings) -> NearDuplicateIndex | None:
    """The index class named by NEWSDESK_NEARDUP_INDEX (the database one by default), or None."""
    if not setting(settings, "NEWSDESK_NEARDUP_ENABLED"):
        return None
    from scrapy.utils.misc import load_object

    return load_object(settings.get("NEWSDESK_NEARDUP_INDEX") or "models.neardup.DatabaseNearDuplicateIndex"
                       ).from_settings(settings)


def run_counters(stats: dict) -> dict[str, int]:
    """crawl_runs counters from the stats of one crawl."""
    def total(prefix: str) -> int:
        return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    return {
        "pages_fetched": stats.get("response_received_count", 0),
        "articles_new": stats.get("newsdesk/articles_new", 0),
        "articles_updated": stats.get("newsdesk/articles_updated", 0),
        "articles_unchanged": stats.get("newsdesk/articles_unchanged", 0),
        "comments_new": stats.get("newsdesk/comments_new", 0),
        "comments_updated": stats.get("newsdesk/comments_updated", 0),
        "comments_deleted": stats.get("newsdesk/comments_deleted", 0),
        # Threads, not reasons (a thread can fail for two); the reasons are in stats_json.
        "comment_threads_failed": stats.get("newsdesk/comment_threads_failed", 0),
        "duplicates": total("newsdesk/duplicates/"),
        # Pages given up on, once each, by reason (crawler/failures.py); Scrapy's own per-attempt
        # counts (downloader/exception_count, retry/...) stay in stats_json.
        "errors": total("newsdesk/errors/"),
    }


def run_status(reason: str, stats: dict) -> str:
    if reason == "locked":  # another process is crawling the site (crawler/crawllock.py)
        return "skipped"
    if reason in ("finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout"):
        if stats.get("newsdesk/start_failures") and not stats.get("response_received_count"):
            return "failed"
        # A monitor failed (crawler/extensions/health.py): the crawl ran, its site looks broken.
        return "degraded" if stats.get("newsdesk/health/message") else "finished"
    if reason in ("shutdown", "cancelled"):
        return "cancelled"
    return "failed"


def run_message(reason: str, stats: dict, spider) -> str | None:
    """One line for crawl_runs.message: why the run was skipped or could not do its job."""
    if message := stats.get("newsdesk/run_message"):
        return message
    if error := getattr(spider, "config_error", None):
        return error
    failures = getattr(spider, "start_failures", None)
    if failures and not stats.get("response_received_count"):
        return "could not reach the site: " + "; ".join(failures)
    return stats.get("newsdesk/health/message")


class StorePipeline:
    def __init__(self, crawler, database_url: str, near_duplicates: NearDuplicateIndex | None = None):
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = resolve_url(database_url)
        self.near_duplicates = near_duplicates
        self.sessions = None
        self.site_id: int | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_STORE", True):
            from scrapy.exceptions import NotConfigured

            raise NotConfigured("NEWSDESK_STORE is off")
        pipeline = cls(crawler, crawler.settings.get("NEWSDESK_DATABASE_URL"),
                       near_duplicate_index(crawler.settings))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        ensure_schema(self.url)
        self.sessions = session_factory(self.url)
        spider = self.crawler.spider
        cfg = getattr(spider, "site_config", None)
        settings = self.crawler.settings
        with self.sessions.begin() as session:
            if cfg is not None:
                self.site_id = repository.ensure_site(session, cfg.name, cfg.base_url)
            if settings.getint("NEWSDESK_RUN_ID"):  # opened by the scheduler that started this crawl
                self.run_id = repository.adopt_run(session, settings.getint("NEWSDESK_RUN_ID"), self.site_id)
            if self.run_id is None:
                self.run_id = repository.start_run(session, self.site_id,
                                                   origin=settings.get("NEWSDESK_RUN_ORIGIN") or None)
        self.stats.set_value("newsdesk/crawl_run_id", self.run_id)

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        data = asdict(item)
        try:
            with self.sessions.begin() as session:
                site_id = self.site_id or repository.ensure_site(session, item.site)
                result = repository.save_article(session, site_id, data, now=item.fetched_at)
                near = self.index_near_duplicates(session, result, item)
        except SQLAlchemyError as exc:
            # The transaction rolled back: the article and its thread are stored whole or not at all.
            self.stats.inc_value("newsdesk/errors/store")
            logger.error("could not store %s: %s", item.canonical_url, exc)
            raise DropItem(f"store failed: {item.canonical_url}") from exc
        self.stats.inc_value(f"newsdesk/articles_{result.outcome}" if result.outcome != "duplicate"
                             else "newsdesk/duplicates/content")
        if near is not None:
            self.stats.inc_value("newsdesk/duplicates/near")
        self.stats.inc_value("newsdesk/comments_new", result.comments_new)
        self.stats.inc_value("newsdesk/comments_updated", result.comments_updated)
        self.stats.inc_value("newsdesk/comments_deleted", result.comments_deleted)
        self.stats.inc_value("newsdesk/comments_seen", len(item.comments))
        return item

    def index_near_duplicates(self, session, result, item) -> NearDuplicate | None:
        """Level 3, in the article's own transaction: a new article is looked up (before it
        is indexed, so it cannot find itself) and linked to the earliest copy; a revised one
        moves to its new buckets. Unchanged re-crawls and exact duplicates touch nothing."""
        if self.near_duplicates is None or item.body_signature is None:
            return None
        signature = Signature.from_text(item.body_signature)
        if result.outcome == "new":
            found = self.near_duplicates.find(session, signature, item.body_text, published_at=item.published_at)
            if found is not None:
                self.near_duplicates.link(session, result.article_id, found)
            self.near_duplicates.add(session, result.article_id, signature)
            return found
        if result.outcome == "updated":
            self.near_duplicates.replace(session, result.article_id, signature)
        return None

    def spider_closed(self, spider, reason):
        if self.run_id is None:
            return
        stats = self.stats.get_stats()
        try:
            with self.sessions.begin() as session:
                repository.finish_run(session, self.run_id, status=run_status(reason, stats),
                                      finish_reason=reason, counters=run_counters(stats), stats=stats,
                                      message=run_message(reason, stats, spider))
        except SQLAlchemyError as exc:
            logger.error("could not record the crawl run: %s", exc)
