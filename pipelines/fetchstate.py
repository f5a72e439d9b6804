"""FetchStatePipeline: after an article is stored, remember how its page was fetched.

It runs after StorePipeline, so the validators (ETag, Last-Modified) of a page are
written only once its article is safely in the database: a crawl that dies between fetch
and store leaves the old validators, and the next crawl fetches the page again instead of
being told "not modified" about content it never saved. Re-crawls read this state in
crawler/downloadermiddlewares/conditional.py.
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from crawler.contracts import SEEN_URLS
from crawler.items import ArticleItem
from models import fetchstate
from models.db import resolve_url, session_factory

from .writer import in_writer

logger = logging.getLogger(__name__)


class FetchStatePipeline:
    def __init__(self, crawler, database_url: str, max_age_days: float):
        self.crawler = crawler
        self.stats = crawler.stats
        self.sessions = session_factory(resolve_url(database_url))
        self.max_age_days = max_age_days

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_STORE"):
            raise NotConfigured("NEWSDESK_STORE is off")
        return cls(crawler, crawler.settings.get("NEWSDESK_DATABASE_URL"),
                   crawler.settings.getfloat("NEWSDESK_SEEN_URL_DAYS"))

    async def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.http_status is None:
            return item
        spider = self.crawler.spider
        # The key the downloader middleware looks requests up by: the fetched URL in the
        # spider's canonical form (not rel=canonical, which may name another page).
        url = spider.canonical(item.url) if getattr(spider, "site_config", None) else item.canonical_url
        try:
            outcome = await in_writer(self.crawler, self.record, item, url)
        except SQLAlchemyError as exc:
            # The article is stored; without its validators the next crawl fetches it in full.
            self.stats.inc_value(f"{SEEN_URLS}not_recorded")
            logger.warning("could not record how %s was fetched: %s", item.url, str(exc).splitlines()[0][:200])
            return item
        if outcome is not None:
            self.stats.inc_value(f"{SEEN_URLS}{outcome}")
        return item

    def record(self, item: ArticleItem, url: str) -> str | None:
        """On the writer thread: the page's validators, in a transaction of their own."""
        with self.sessions.begin() as session:
            article_id = fetchstate.article_id_for(session, item.canonical_url)
            if article_id is None:
                return None
            return fetchstate.record_fetch(
                session, url, article_id=article_id, site_id=fetchstate.site_id_of(session, item.site),
                status=item.http_status, etag=item.etag, last_modified=item.last_modified,
                content_hash=item.content_hash, max_age_days=self.max_age_days)
