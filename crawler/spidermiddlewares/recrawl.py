"""Incremental re-crawls: ask only what may have changed, and ask for new URLs first.

What a re-crawl knows about each article URL (its validators, when it was last fetched
and checked) lives in ``seen_urls`` (models/fetchstate.py), written by
pipelines/fetchstate.py once the article is stored. Two small components read it:

- ``RecrawlOrderMiddleware`` (spider middleware, this module), on the requests a page yields: known
  article URLs queue behind new ones, and with ``NEWSDESK_REFETCH_AFTER_HOURS`` a known
  article checked less than that long ago is not requested at all.
- ``ConditionalRequestsMiddleware`` (downloader middleware, crawler/downloadermiddlewares/conditional.py): a known article page is
  requested with ``If-None-Match``/``If-Modified-Since``; a 304 counts the article as
  unchanged, refreshes its ``last_seen_at`` and ends there (no extraction, no comment
  pages). Articles published within the site's ``revisit_days`` are fetched in full, since
  a comment thread served from elsewhere (Disqus and the like) changes without the page
  changing. Listings, feeds, sitemaps and comment pages are always fetched in full.

Scrapy's HttpCacheMiddleware (RFC2616 policy) also revalidates, but it answers a 304 by
replaying the cached body to the spider, which re-extracts every unchanged page and keeps
every body on disk; here a 304 means there is nothing to do, and no bodies are kept.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from models import fetchstate
from models.db import resolve_url, session_factory

from ..contracts import ARTICLE_KINDS, RECRAWL
from ..urls import canonical_url

logger = logging.getLogger("newsdesk.incremental")


def _enabled(settings) -> bool:
    return settings.getbool("NEWSDESK_STORE") and settings.getbool("NEWSDESK_INCREMENTAL")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SeenUrls:
    """Shared by both middlewares: the database and the URL key (the spider's canonical form).
    ConditionalRequestsMiddleware imports it from here."""

    def __init__(self, crawler):
        if not _enabled(crawler.settings):
            raise NotConfigured("incremental re-crawls need the database (NEWSDESK_STORE, NEWSDESK_INCREMENTAL)")
        self.crawler = crawler
        self.stats = crawler.stats
        self.sessions = session_factory(resolve_url(crawler.settings.get("NEWSDESK_DATABASE_URL")))
        self.max_age_days = crawler.settings.getfloat("NEWSDESK_SEEN_URL_DAYS")
        self._has_state: bool | None = None

    @property
    def has_state(self) -> bool:
        """Asked once per crawl: a site's first crawl knows no URL, so no request needs a lookup.
        What this crawl stores is not asked about again (the duplicate filter sees to that)."""
        if self._has_state is None:
            cfg = getattr(self.crawler.spider, "site_config", None)
            try:
                with self.sessions() as session:
                    self._has_state = fetchstate.site_has_state(session, cfg.name if cfg is not None else None)
            except SQLAlchemyError:  # the database is away: ask per request, as before
                return True
        return self._has_state

    def key(self, url: str) -> str:
        spider = self.crawler.spider
        if spider is not None and getattr(spider, "site_config", None) is not None:
            return spider.canonical(url)
        return canonical_url(url)

    @property
    def revisit_days(self) -> float:
        cfg = getattr(self.crawler.spider, "site_config", None)
        return cfg.revisit_days if cfg is not None else 7.0


class RecrawlOrderMiddleware(SeenUrls):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.priority_drop = crawler.settings.getint("NEWSDESK_KNOWN_URL_PRIORITY_DROP")
        self.refetch_after = timedelta(hours=crawler.settings.getfloat("NEWSDESK_REFETCH_AFTER_HOURS"))
        self.skipped: set[str] = set()  # not-due URLs already left out (a page links them again and again)

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    async def process_spider_output_async(self, response, result):
        batch: list = []
        async for obj in result:
            batch.append(obj)
        for obj in self.plan(batch):
            yield obj

    def process_spider_output(self, response, result):
        yield from self.plan(list(result))

    def plan(self, outputs: list):
        """The outputs of one callback, with known article URLs queued last (or left out
        when checked recently enough); one database query per 500 URLs."""
        if not self.has_state:
            return outputs
        candidates = {id(o): self.key(o.url) for o in outputs
                      if isinstance(o, Request) and o.meta.get("kind") in ARTICLE_KINDS}
        if not candidates:
            return outputs
        try:
            with self.sessions() as session:
                known = fetchstate.known_urls(session, candidates.values())
                not_due = self.not_due(session, [u for u in candidates.values() if u in known])
        except SQLAlchemyError:  # the database is away (a restart): every link goes out, in the page's order
            self.stats.inc_value("newsdesk/recrawl/state_unavailable")
            return outputs
        planned = []
        for obj in outputs:
            url = candidates.get(id(obj))
            if url in not_due:
                if url not in self.skipped:
                    self.skipped.add(url)
                    self.stats.inc_value(RECRAWL + "not_due")
                continue
            if url in known:
                obj = obj.replace(priority=obj.priority - self.priority_drop)
            planned.append(obj)
        return planned

    def not_due(self, session, urls: list[str]) -> set[str]:
        if not self.refetch_after or not urls:
            return set()
        now = utcnow()
        not_due = set()
        for url in urls:
            if url in self.skipped:
                not_due.add(url)
                continue
            page = fetchstate.known_page(session, url)
            if (page is not None and now - page.last_seen_at < self.refetch_after
                    and not page.recent(now, self.revisit_days) and not page.expired(now, self.max_age_days)):
                not_due.add(url)
        return not_due

    def spider_closed(self, spider, reason):
        if reason != "finished" or getattr(spider, "site_config", None) is None:
            return
        with self.sessions.begin() as session:
            gone = fetchstate.expire(session, spider.site_config.name, self.max_age_days)
        if gone:
            self.stats.set_value(RECRAWL + "seen_urls_expired", gone)
            logger.info("forgot %d URLs not seen for %g days", gone, self.max_age_days)
