"""StorePipeline: one transaction per article with its thread.

What it stores is counted in the crawl's Scrapy stats (crawler/contracts.py); the crawl's
crawl_runs row, and its counters read from those stats, belong to crawler/extensions/runs.py.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.misc import load_object
from sqlalchemy.exc import SQLAlchemyError

from crawler.contracts import (
    ARTICLES_NEW,
    ARTICLES_STALE,
    ARTICLES_UNCHANGED,
    ARTICLES_UPDATED,
    COMMENTS_DELETED,
    COMMENTS_NEW,
    COMMENTS_SEEN,
    COMMENTS_UPDATED,
    DUPLICATES,
    ERRORS,
    STORE_RETRIES,
)
from crawler.items import ArticleItem
from models import repository
from models.db import ensure_schema, is_transient, resolve_url, session_factory
from models.neardup import NearDuplicate, NearDuplicateIndex
from models.shingles import Signature

from .writer import in_writer

logger = logging.getLogger(__name__)

# repository.save_article's outcome -> the counter it adds to.
OUTCOME_STATS = {"new": ARTICLES_NEW, "updated": ARTICLES_UPDATED, "unchanged": ARTICLES_UNCHANGED,
                 "stale": ARTICLES_STALE, "duplicate": DUPLICATES + "content"}


def near_duplicate_index(settings) -> NearDuplicateIndex | None:
    """The index class named by NEWSDESK_NEARDUP_INDEX (the database one by default), or None."""
    if not settings.getbool("NEWSDESK_NEARDUP_ENABLED"):
        return None

    return load_object(settings.get("NEWSDESK_NEARDUP_INDEX")).from_settings(settings)


class StorePipeline:
    def __init__(self, crawler, database_url: str, near_duplicates: NearDuplicateIndex | None = None):
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = resolve_url(database_url)
        self.near_duplicates = near_duplicates
        # Re-extraction (`newsdesk reextract`): any changed field makes a version, not only the text.
        self.compare_fields = crawler.settings.getbool("NEWSDESK_VERSION_ON_ANY_FIELD", False)
        self.sessions = None
        settings = crawler.settings
        # A database that goes away for a while (a PostgreSQL restart, a failover) costs waits,
        # not articles: NEWSDESK_STORE_RETRIES tries, NEWSDESK_STORE_BACKOFF seconds doubled each time.
        self.retries = settings.getint("NEWSDESK_STORE_RETRIES", 8)
        self.backoff = settings.getfloat("NEWSDESK_STORE_BACKOFF", 0.5)
        self.site_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_STORE"):
            raise NotConfigured("NEWSDESK_STORE is off")
        return cls(crawler, crawler.settings.get("NEWSDESK_DATABASE_URL"), near_duplicate_index(crawler.settings))

    def open_spider(self):
        ensure_schema(self.url)
        self.sessions = session_factory(self.url)
        spider = self.crawler.spider
        cfg = getattr(spider, "site_config", None)
        if cfg is not None:
            with self.sessions.begin() as session:
                self.site_id = repository.ensure_site(session, cfg.name, cfg.base_url)

    async def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        for attempt in range(self.retries + 1):
            try:
                result, near = await in_writer(self.crawler, self.save_one, item)
                break
            except SQLAlchemyError as exc:
                # The transaction rolled back: the article and its thread are stored whole or not
                # at all. A dropped connection (the server restarting) or a busy SQLite file is
                # tried again after a wait that doubles; other errors, or the last try, give up.
                if attempt < self.retries and is_transient(exc):
                    delay = min(self.backoff * 2 ** attempt, 30.0)
                    self.stats.inc_value(STORE_RETRIES)
                    logger.warning("could not store %s (%s); trying again in %.1fs", item.canonical_url,
                                   str(exc).splitlines()[0][:200], delay)
                    await sleep(delay)
                    continue
                self.stats.inc_value(ERRORS + "store")
                logger.error("could not store %s: %s", item.canonical_url, str(exc).splitlines()[0][:300])
                raise DropItem(f"store failed: {item.canonical_url}") from exc
        self.count(item, result, near)
        return item

    def save_one(self, item: ArticleItem):
        """One article with its thread in a transaction of its own (on the writer thread)."""
        with self.sessions.begin() as session:
            return self.save(session, item)

    def save(self, session, item: ArticleItem, site_id: int | None = None):
        """Store one article with its thread in the caller's transaction (`newsdesk import-warc`
        records its progress in that same transaction); count it with ``count`` once committed."""
        site_id = site_id or self.site_id or repository.ensure_site(session, item.site)
        result = repository.save_article(session, site_id, asdict(item), now=item.fetched_at,
                                         compare_fields=self.compare_fields)
        return result, self.index_near_duplicates(session, result, item)

    def count(self, item: ArticleItem, result, near) -> None:
        self.stats.inc_value(OUTCOME_STATS[result.outcome])
        if near is not None:
            self.stats.inc_value(DUPLICATES + "near")
        self.stats.inc_value(COMMENTS_NEW, result.comments_new)
        self.stats.inc_value(COMMENTS_UPDATED, result.comments_updated)
        self.stats.inc_value(COMMENTS_DELETED, result.comments_deleted)
        self.stats.inc_value(COMMENTS_SEEN, len(item.comments))

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
