"""CrawlLockExtension: a site is crawled by one process at a time, however the crawl started.

The lock is taken inside the crawl itself (on ``spider_opened``), so the scheduler's
runs, a second scheduler, ``newsdesk crawl``, cron lines and ``scrapy crawl news`` all
obey it. When another process holds the site, the crawl is skipped with one message
naming the site and the holder, and its ``crawl_runs`` row says ``skipped``; with
``NEWSDESK_LOCK_WAIT`` it first waits that many seconds for the lock. While the crawl
runs, a heartbeat renews the lock; a crawl killed outright stops renewing it, and the
next crawl takes it over once ``NEWSDESK_LOCK_TTL`` has passed.

The database work lives in models/crawllock.py; this extension only calls it.
"""
from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call, sleep
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from models import crawllock
from models.db import resolve_url, session_factory

from ..contracts import CRAWL_RUN_ID, ERRORS, LOCK_TAKEN_OVER, RUN_MESSAGE

logger = logging.getLogger("newsdesk.lock")


class CrawlLockExtension:
    def __init__(self, crawler, database_url: str, *, ttl: float, heartbeat: float, wait: float, holder: str):
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = resolve_url(database_url)
        self.ttl, self.heartbeat_interval, self.wait, self.holder = ttl, heartbeat, wait, holder
        self.lock: crawllock.Acquired | None = None
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NEWSDESK_STORE"):
            raise NotConfigured("no database: NEWSDESK_STORE is off")
        if not s.getbool("NEWSDESK_LOCK_ENABLED"):
            raise NotConfigured("NEWSDESK_LOCK_ENABLED is off")
        from ..addons.distributed import is_distributed

        if is_distributed(s):
            # Distributed mode: several workers crawl one site on purpose, sharing one queue.
            raise NotConfigured("distributed crawl: workers share the site through Redis")
        ttl = s.getfloat("NEWSDESK_LOCK_TTL")
        # Renew well before expiry, so a busy reactor or a slow database write does not
        # let a live crawl's lock lapse.
        heartbeat = min(s.getfloat("NEWSDESK_LOCK_HEARTBEAT"), ttl / 3)
        origin = s.get("NEWSDESK_RUN_ORIGIN")
        ext = cls(crawler, s.get("NEWSDESK_DATABASE_URL"), ttl=ttl, heartbeat=heartbeat,
                  wait=s.getfloat("NEWSDESK_LOCK_WAIT"), holder=HOLDERS.get(origin, origin))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_opened(self, spider):
        cfg = getattr(spider, "site_config", None)
        if cfg is None:  # a configuration error: the spider closes itself with the reason
            return
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            outcome = self.try_acquire(cfg.name)
            if isinstance(outcome, crawllock.Acquired):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.skip(cfg.name, outcome)
            if not announced:
                logger.info("site %r is being crawled by %s; waiting up to %.0fs for it to finish",
                            cfg.name, outcome.describe(), self.wait)
                announced = True
            await sleep(min(1.0, remaining))
        self.lock = outcome
        if outcome.took_over:
            self.took_over(cfg.name, outcome.took_over)
        self.loop = create_looping_call(self.renew)
        self.loop.start(self.heartbeat_interval, now=False)

    def try_acquire(self, site: str):
        with session_factory(self.url).begin() as session:
            return crawllock.try_acquire(session, site, holder=self.holder, ttl=self.ttl,
                                         run_id=self.stats.get_value(CRAWL_RUN_ID))

    def skip(self, site: str, holder: crawllock.LockHolder):
        message = f"site {site!r} is already being crawled by {holder.describe()}: this crawl is skipped"
        if not self.wait:
            message += " (set NEWSDESK_LOCK_WAIT=SECONDS, or --wait, to wait for it)"
        logger.warning(message)
        self.stats.set_value(RUN_MESSAGE, message)
        raise CloseSpider("locked")

    def took_over(self, site: str, stale: crawllock.LockHolder):
        with session_factory(self.url).begin() as session:
            closed = crawllock.close_abandoned_run(session, stale)
        logger.warning("site %r: took over the lock left by %s, which expired%s", site, stale.describe(),
                       f"; its crawl run {closed} is recorded as abandoned" if closed else "")
        self.stats.set_value(LOCK_TAKEN_OVER, stale.describe())

    def renew(self):
        try:
            with session_factory(self.url).begin() as session:
                still_ours = crawllock.renew(session, self.lock, ttl=self.ttl)
        except SQLAlchemyError as exc:  # a busy or restarting database: the next beat tries again
            self.stats.inc_value(ERRORS + "lock_heartbeat")
            logger.warning("could not renew the crawl lock of %r: %s", self.lock.site, exc)
            return
        if not still_ours:
            # Our lock expired (the process stalled past NEWSDESK_LOCK_TTL) and another crawl
            # took it: stop, rather than crawl the site twice at once.
            message = (f"lost the crawl lock of site {self.lock.site!r} (not renewed within "
                       f"NEWSDESK_LOCK_TTL={self.ttl:g}s, and another crawl took it over)")
            logger.error(message)
            self.stats.set_value(RUN_MESSAGE, message)
            self.lock = None
            self.loop.stop()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="lock_lost"))

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.lock is None:
            return
        try:
            with session_factory(self.url).begin() as session:
                crawllock.release(session, self.lock)
        except SQLAlchemyError as exc:  # it expires on its own
            logger.warning("could not release the crawl lock of %r (it expires in %gs): %s",
                           self.lock.site, self.ttl, exc)
        self.lock = None


# How a lock holder is named in messages, by NEWSDESK_RUN_ORIGIN.
HOLDERS = {
    "schedule": "newsdesk schedule",
    "crawl": "newsdesk crawl",
    "cron": "newsdesk crawl (cron)",
    "demo": "newsdesk demo",
    "scrapy": "scrapy crawl",
}
