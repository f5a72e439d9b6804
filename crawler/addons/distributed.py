"""Distributed mode: several crawler processes (on one or many machines) share one crawl.

One switch, NEWSDESK_REDIS_URL (``-s NEWSDESK_REDIS_URL=redis://...``, the environment
variable of that name, or ``newsdesk crawl SITE --redis URL``), turns on scrapy-redis's
scheduler and duplicate filter; nothing else changes and the spider never knows. Every
worker crawling the same site with the same NEWSDESK_REDIS_PREFIX shares, in Redis:

- ``PREFIX:SITE:requests``   the request queue (scrapy-redis PriorityQueue, pickled requests);
- ``PREFIX:SITE:dupefilter`` the fingerprints of every request scheduled so far, made by
  newsdesk's canonical-URL fingerprinter (URL variants are one request across workers);
- ``PREFIX:SITE:workers``    one field per running worker: busy or idle, and a heartbeat.

Storage is shared through the database (PostgreSQL): upserts by natural key and the
near-duplicate index in it, so nothing else needs Redis.

How a crawl ends: a worker whose shared queue is empty stays open while another live worker
is still busy (its responses may add requests), and closes when every live worker is idle
too; so all workers finish together and every page is fetched once. The last worker to
finish a crawl that ran dry deletes the site's keys, so the next crawl starts afresh. A
crawl that stopped early (Ctrl-C, CLOSESPIDER_*) keeps its queue and duplicate filter: the
next worker started on that site resumes it.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import deque

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from twisted.internet import task

from ..contracts import Kind

logger = logging.getLogger(__name__)

_OWN_KINDS = (Kind.COMMENTS, Kind.ARTICLE_DATA)

try:  # the `distributed` extra; without it the switch is refused (distributed_error)
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.scheduler import Scheduler as RedisScheduler
except ImportError:  # pragma: no cover - exercised only without the extra installed
    RFPDupeFilter = RedisScheduler = object

INSTALL_HINT = "pip install -e '.[distributed]'"


def is_distributed(settings) -> bool:
    """True when this crawl shares its site with other workers (the per-site crawl lock
    must then let several crawls of one site run at once)."""
    return bool(settings.get("NEWSDESK_REDIS_URL"))


def redis_prefix(settings, site: str) -> str:
    # scrapy-redis formats its keys with ``key % {"spider": ...}``: a literal % must be doubled.
    prefix = settings.get("NEWSDESK_REDIS_PREFIX")
    return f"{prefix}:{site}".replace("%", "%%")


def distributed_error(redis_url: str) -> str | None:
    """Why distributed mode cannot start (missing extra, Redis unreachable), or None."""
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError:
        return f"--redis / NEWSDESK_REDIS_URL needs scrapy-redis: {INSTALL_HINT}"
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        client.ping()
        client.close()
    except ValueError as exc:
        return f"bad Redis URL {redis_url!r}: {exc}"
    except redis.RedisError as exc:
        return f"cannot reach Redis at {redis_url}: {exc}"
    return None


class DistributedCrawl:
    """Scrapy add-on (ADDONS in crawler/settings.py): with NEWSDESK_REDIS_URL set, the shared
    scheduler and duplicate filter below replace Scrapy's own, keyed by the crawled site."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def update_settings(self, settings) -> None:
        if not is_distributed(settings):
            return
        spider = self.crawler.spider
        if problem := distributed_error(settings.get("NEWSDESK_REDIS_URL")):
            # Crawling alone would fetch the whole site again beside the other workers: refuse,
            # through the spider's configuration error (one line, the crawl closes at once).
            if getattr(spider, "config_error", None) is None:
                spider.config_error = problem
            return
        # The site's name (or the host of an ad-hoc URL) keeps two sites' crawls apart.
        site = getattr(spider, "site_name", None) or spider.name
        prefix = redis_prefix(settings, site)
        for name, value in {
            "SCHEDULER": "crawler.addons.distributed.SharedScheduler",
            "DUPEFILTER_CLASS": "crawler.addons.distributed.CanonicalRedisDupeFilter",
            # Never flush on close: another worker may still be using the queue; the last
            # worker of a finished crawl clears the keys instead (SharedScheduler.close).
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": settings.get("NEWSDESK_REDIS_URL"),
            "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
            "NEWSDESK_REDIS_WORKERS_KEY": f"{prefix}:workers",
        }.items():
            settings.set(name, value, priority="addon")


class CanonicalRedisDupeFilter(RFPDupeFilter):
    """scrapy-redis 0.9.1's RFPDupeFilter fingerprints with w3lib's canonicalize_url and
    ignores REQUEST_FINGERPRINTER_CLASS, so ``?utm_source=...`` or an AMP variant of an
    article would be a new request on the shared filter; this one asks the crawler's
    fingerprinter (crawler/fingerprint.py), as Scrapy's own duplicate filter does."""

    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider):
        made = super().from_spider(spider)
        return cls(made.server, made.key, made.debug, spider.crawler.request_fingerprinter)

    def request_fingerprint(self, request) -> str:
        return self.fingerprinter.fingerprint(request).hex()


class SharedScheduler(RedisScheduler):
    """scrapy-redis's scheduler, plus the bookkeeping that lets every worker of one crawl
    share the work to the end and finish together, and the last one clean the crawl's keys.

    A plain scrapy.Spider closes as soon as its queue is empty, and the queue is shared: a
    worker started beside another finds the start pages already taken and would quit at
    once, or later whenever the others hold every request in flight. So an idle worker
    stays open while another live worker is busy, and polls the shared queue meanwhile
    (Scrapy's engine itself looks only every 5 s): a request it claims is handed to the
    engine through ``engine.crawl`` and kept here, not scheduled twice.
    """

    BUSY, IDLE = "busy", "idle"

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        # scrapy-redis 0.9.1 passes spider= to stats.inc_value (deprecated in Scrapy 2.19, one
        # warning per crawl): its counters are kept in enqueue_request/next_request below.
        scheduler.stats = None
        scheduler.workers_key = settings.get("NEWSDESK_REDIS_WORKERS_KEY").replace("%%", "%")
        scheduler.worker_timeout = settings.getfloat("NEWSDESK_REDIS_WORKER_TIMEOUT")
        scheduler.poll_interval = settings.getfloat("NEWSDESK_REDIS_POLL_INTERVAL")
        scheduler.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        scheduler.state = cls.BUSY
        scheduler.claimed = []  # popped from the shared queue by the poller, not yet downloaded
        # The requests of an article still being put together (its comment pages, its JSON) carry
        # the article and its thread so far: they stay with the worker that holds the rest of it
        # (another worker would finish a copy of the thread, and this one would wait for it for ever).
        scheduler.own = deque()
        scheduler.heartbeat = task.LoopingCall(scheduler._report)
        scheduler.poller = task.LoopingCall(scheduler._poll)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    # --- the worker registry ---------------------------------------------------------

    def _now(self) -> float:
        # Redis's clock, not ours: workers on several machines compare heartbeats.
        seconds, micros = self.server.time()
        return seconds + micros / 1e6

    def _report(self, state: str | None = None) -> None:
        self.state = state or self.state
        self.server.hset(self.workers_key, self.worker_id, f"{self.state} {self._now():.3f}")

    def _other_workers(self) -> dict[str, str]:
        """Live workers but this one, by id: state. A worker whose heartbeat is older than
        NEWSDESK_REDIS_WORKER_TIMEOUT was killed; its field is removed."""
        now, live = self._now(), {}
        for worker, value in self.server.hgetall(self.workers_key).items():
            worker = worker.decode() if isinstance(worker, bytes) else worker
            value = value.decode() if isinstance(value, bytes) else value
            if worker == self.worker_id:
                continue
            state, _, seen = value.partition(" ")
            if now - float(seen or 0) > self.worker_timeout:
                self.server.hdel(self.workers_key, worker)
                logger.warning("worker %s stopped answering; its requests in flight are lost", worker)
                continue
            live[worker] = state
        return live

    def _busy_others(self) -> int:
        return sum(state == self.BUSY for state in self._other_workers().values())

    # --- scheduler interface ---------------------------------------------------------

    def open(self, spider):
        super().open(spider)
        self._report(self.BUSY)
        logger.info("distributed crawl: worker %s, %d other worker(s), %d request(s) queued in %s",
                    self.worker_id, len(self._other_workers()), len(self.queue), self.queue.key)
        self.heartbeat.start(max(self.worker_timeout / 4, 0.5), now=False)

    def enqueue_request(self, request):
        if any(request is claimed for claimed in self.claimed):
            return True  # already ours: taken from the shared queue by _poll
        if request.meta.get("kind") in _OWN_KINDS:
            self.own.append(request)
            return True
        added = super().enqueue_request(request)
        if added:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return added

    def next_request(self):
        if self.own:
            return self.own.popleft()
        request = self.claimed.pop(0) if self.claimed else super().next_request()
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
            if self.state != self.BUSY:
                self._report(self.BUSY)
        return request

    def has_pending_requests(self):
        return bool(self.own) or bool(self.claimed) or super().has_pending_requests()

    def spider_idle(self, spider):
        """The shared queue is empty and this worker has nothing in flight."""
        self._report(self.IDLE)
        if busy := self._busy_others():
            # Their responses may still add requests to the shared queue.
            if not self.poller.running:
                self.poller.start(self.poll_interval, now=False)
            raise DontCloseSpider(f"waiting for {busy} busy worker(s)")

    def _poll(self) -> None:
        if self.state == self.BUSY or self.claimed:
            self.poller.stop()
            return
        request = super().next_request()
        if request is not None:
            self.claimed.append(request)
            self._report(self.BUSY)
            self.poller.stop()
            self.crawler.engine.crawl(request)  # wakes the engine, which takes it from next_request

    def close(self, reason):
        for loop in (self.heartbeat, self.poller):
            if loop.running:
                loop.stop()
        for request in self.claimed:  # stopped before downloading them: give them back
            self.queue.push(request)
        self.server.hdel(self.workers_key, self.worker_id)
        if reason == "finished" and not self._other_workers() and not len(self.queue):
            self.server.delete(self.queue.key, self.df.key, self.workers_key)
            logger.info("distributed crawl finished: cleared %s:*", self.queue.key.rsplit(":", 1)[0])
        super().close(reason)
