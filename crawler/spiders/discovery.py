"""Discovery, the first half of the news spider: where a site's article URLs come from.

robots.txt ``Sitemap:`` lines, sitemaps and sitemap indexes (Scrapy's own sitemap parser),
RSS/Atom feeds, and in-site links (listings and their pagination). Every URL found goes
through ``NewsSpider.request_for``, which decides whether it is an article, a page to look
at, or nothing to fetch.
"""
from __future__ import annotations

import functools
import inspect
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import CloseSpider
from scrapy.utils.gz import gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from ..contracts import CONFIG_ERROR, DISCOVERY_FAILURES, ERRORS, FEEDS, SITEMAPS, SKIPPED, START_FAILURES, Kind
from ..downloadermiddlewares.compression import TooLarge, Truncated, inflate_gzip
from .reading import Reading


class ReadFailed(Exception):
    """What a page's reader (crawler/spiders/reading.py, perhaps in another process) caught."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


def guarded(callback):
    """A page no extractor foresaw (a bug, a structure nobody writes) must not stop the crawl or
    vanish as a bare spider exception: it is logged in one line and counted as
    newsdesk/errors/extraction, so crawl_runs.errors shows it. What the callback yielded before
    it raised (links, requests) still goes out. Sync and async generator callbacks alike."""
    if inspect.isasyncgenfunction(callback):
        @functools.wraps(callback)
        async def async_wrapper(self, response, *args, **kwargs):
            try:
                async for out in callback(self, response, *args, **kwargs):
                    yield out
            except Exception as exc:  # noqa: BLE001 - the point is to catch what nobody foresaw
                _extraction_failed(self, response, exc)
        return async_wrapper

    @functools.wraps(callback)
    def wrapper(self, response, *args, **kwargs):
        try:
            yield from callback(self, response, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the point is to catch what nobody foresaw
            _extraction_failed(self, response, exc)
    return wrapper


def _extraction_failed(spider, response, exc: Exception) -> None:
    name = exc.type_name if isinstance(exc, ReadFailed) else type(exc).__name__
    spider.crawler.stats.inc_value(ERRORS + "extraction")
    # By exception type too, outside newsdesk/errors/ (crawl_runs.errors sums that prefix).
    spider.crawler.stats.inc_value(f"newsdesk/extraction_errors/{name}")
    spider.logger.error("extraction failed on %s: %s: %s", response.url, name, str(exc)[:200])
    spider.logger.debug("extraction failure on %s", response.url, exc_info=True)


class Discovery:
    """Mixed into NewsSpider: start requests and the callbacks of robots.txt, sitemaps, feeds
    and links."""

    async def start(self):
        if self.config_error:
            self.logger.error("configuration error: %s", self.config_error)
            self.crawler.stats.set_value(CONFIG_ERROR, self.config_error)
            raise CloseSpider("config_error")
        if database_error := self.crawler.settings.get("NEWSDESK_DATABASE_ERROR"):
            # crawler/extensions/database.py has logged it; nothing is fetched that cannot be stored.
            self.database_error = database_error
            raise CloseSpider("database_unavailable")
        cfg = self.site_config
        for url in cfg.start_urls:
            yield scrapy.Request(url, callback=self.parse_page, errback=self.start_failed,
                                 meta={"kind": Kind.START}, priority=5)
        for url in cfg.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.start_failed,
                                 meta={"kind": Kind.FEED}, priority=20)
        for url in cfg.sitemaps:
            if req := self.sitemap_request(url, depth=0, errback=self.start_failed):
                yield req
        if cfg.robots_sitemaps:
            roots = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/robots.txt"
                     for u in cfg.start_urls + cfg.feeds}
            for url in sorted(roots):
                yield scrapy.Request(url, callback=self.parse_robots, errback=self.ignore_failure,
                                     meta={"kind": Kind.ROBOTS, "dont_obey_robotstxt": True}, priority=25)

    def start_failed(self, failure):
        request = failure.request
        reason = failure.getErrorMessage() or failure.type.__name__
        if response := getattr(failure.value, "response", None):
            reason = f"HTTP {response.status}"
        self.start_failures.append(f"{request.url}: {reason}")
        self.crawler.stats.inc_value(START_FAILURES)
        self.logger.error("cannot fetch start URL %s: %s", request.url, reason)

    def ignore_failure(self, failure):
        self.crawler.stats.inc_value(DISCOVERY_FAILURES + str(failure.request.meta.get("kind")))

    def parse_robots(self, response):
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if req := self.sitemap_request(url, depth=0):
                yield req

    def sitemap_request(self, url: str, *, depth: int, errback=None):
        """A sitemap to fetch, within NEWSDESK_SITEMAP_MAX_DEPTH (index in index in ...) and
        NEWSDESK_MAX_SITEMAPS per crawl: a generated index that always names one more
        (``?page=N+1``) would otherwise never end. A sitemap index naming itself is one
        request (the duplicate filter)."""
        settings, stats = self.crawler.settings, self.crawler.stats
        limit = settings.getint("NEWSDESK_MAX_SITEMAPS", 1000)
        if depth > settings.getint("NEWSDESK_SITEMAP_MAX_DEPTH", 3):
            stats.inc_value(SKIPPED + "sitemap_too_deep")
            self.logger.warning("not following sitemap %s: nested deeper than NEWSDESK_SITEMAP_MAX_DEPTH", url)
            return None
        if self.sitemaps_requested >= limit:
            stats.inc_value(SKIPPED + "sitemap_limit")
            if self.sitemaps_requested == limit:
                self.logger.warning("more than NEWSDESK_MAX_SITEMAPS=%d sitemaps: not following %s and the rest",
                                    limit, url)
                self.sitemaps_requested += 1
            return None
        if not self.usable(url):
            return None
        self.sitemaps_requested += 1
        return scrapy.Request(url, callback=self.parse_sitemap, errback=errback or self.ignore_failure,
                              meta={"kind": Kind.SITEMAP, "sitemap_depth": depth}, priority=15)

    def sitemap_body(self, response) -> bytes | None:
        """The sitemap's XML; a .xml.gz served as a file (not Content-Encoding) is inflated here,
        within DOWNLOAD_MAXSIZE (newsdesk/skipped/too_large); a cut-off one is
        newsdesk/errors/data_loss."""
        body = response.body
        if not gzip_magic_number(response):
            return body
        max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        try:
            return inflate_gzip(body, max_size)
        except TooLarge:
            reason, detail = SKIPPED + "too_large", f"inflates past DOWNLOAD_MAXSIZE ({max_size} B)"
        except Truncated as exc:
            reason, detail = ERRORS + "data_loss", str(exc)
        self.crawler.stats.inc_value(reason)
        self.logger.warning("skipped sitemap %s: %s", response.url, detail)
        return None

    @guarded
    def parse_sitemap(self, response):
        stats = self.crawler.stats
        body = self.sitemap_body(response)
        if body is None:
            return
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml raises several types on garbage; the reason is what counts
            stats.inc_value(SKIPPED + "bad_sitemap")
            self.logger.warning("not a sitemap: %s", response.url)
            return
        stats.inc_value(SITEMAPS)
        depth = response.meta.get("sitemap_depth", 0)
        limit = self.crawler.settings.getint("NEWSDESK_SITEMAP_MAX_URLS", 50_000)
        over = SKIPPED + "sitemap_urls_over_limit"
        if sitemap.type == "sitemapindex":
            for entry in _first_n(sitemap, limit, stats, over):
                if entry.get("loc") and (req := self.sitemap_request(entry["loc"], depth=depth + 1)):
                    yield req
            return
        entries = [e for e in _first_n(sitemap, limit, stats, over) if e.get("loc")]
        # Newest first: a re-crawl reaches new articles before old ones.
        entries.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
        for rank, entry in enumerate(entries):
            if req := self.request_for(entry["loc"], priority=1 if rank < 100 else 0, source="sitemap"):
                yield req

    @guarded
    def parse_feed(self, response):
        try:
            root = etree.fromstring(response.body, parser=etree.XMLParser(recover=True, resolve_entities=False,
                                                                           no_network=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            self.crawler.stats.inc_value(SKIPPED + "bad_feed")
            return
        self.crawler.stats.inc_value(FEEDS)
        links = root.xpath("//item/link/text() | //*[local-name()='entry']/*[local-name()='link']"
                           "[not(@rel) or @rel='alternate']/@href")
        capping = Reading()
        links = self.reader.capped(links, response.url, capping)
        self.applied(capping)
        for link in links:
            try:
                url = response.urljoin(link.strip())
            except ValueError:  # urljoin of a broken IPv6 host
                self.crawler.stats.inc_value(SKIPPED + "invalid_url")
                continue
            if req := self.request_for(url, priority=2, source="feed"):
                yield req


def _first_n(entries, limit: int, stats, key: str) -> list:
    """The first ``limit`` entries of an iterable (0: all); how many more there were is counted."""
    out, extra = [], 0
    for entry in entries:
        if limit and len(out) >= limit:
            extra += 1
        else:
            out.append(entry)
    if extra:
        stats.inc_value(key, extra)
    return out
