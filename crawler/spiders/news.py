"""The ``news`` spider: discovers a site's articles and fetches each with its whole thread.

    scrapy crawl news -a site=NAME          # a site from sites.toml
    scrapy crawl news -a url=https://...    # ad hoc: no configuration, everything detected

Discovery (robots.txt, sitemaps, feeds, links: spiders/discovery.py) finds URLs; this
module decides which to fetch and reads each page; an article page yields one ArticleItem
only after every page of its comment thread has been fetched and merged
(spiders/threads.py), so an article and its thread are stored together.
"""
from __future__ import annotations

from dataclasses import replace
from hashlib import blake2b
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse

from ..contracts import (
    ARTICLE_DATA,
    ARTICLE_DATA_FAILED,
    LISTINGS,
    NOT_AN_ARTICLE,
    NOT_AN_ARTICLE_KIND,
    SKIPPED,
    Kind,
)
from ..extract.alternate import times_from_alternate
from ..extract.classify import kind_of
from ..sites import ConfigError, SiteConfig, adhoc_site, get_site
from ..urls import InvalidURL, canonical_url, tracking_params
from .discovery import Discovery, ReadFailed, guarded
from .pool import ReadingPool, worker_count
from .reading import WEB_SCHEMES, Fetched, PageReader, ReaderOptions, Reading
from .threads import CommentThreads, archived_records


class NewsSpider(Discovery, CommentThreads, scrapy.Spider):
    name = "news"
    reads_links = True  # False: no link of a page is followed (the reextract spider)

    def __init__(self, site: str | None = None, url: str | None = None, sites_file: str | None = None,
                 *args, config: SiteConfig | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.config_error: str | None = None
        self.site_config: SiteConfig | None = None
        try:
            if config is not None:  # handed over whole (`newsdesk reextract`)
                self.site_config = config
            elif site and url:
                adhoc_site(url)  # refuses what is not an http(s) URL
                self.site_config = replace(get_site(site, sites_file), start_urls=(url,))
            elif site:
                self.site_config = get_site(site, sites_file)
            elif url:
                self.site_config = adhoc_site(url)
            else:
                raise ConfigError("say which site to crawl: -a site=NAME (from sites.toml) or -a url=URL")
        except ConfigError as exc:
            self.config_error = str(exc)
        cfg = self.site_config
        if cfg is not None:
            self.allowed_domains = list(cfg.allowed_domains)
        self.start_failures: list[str] = []
        # Comment threads still being fetched: stored as far as they got if the crawl stops.
        self.open_threads: dict[int, tuple] = {}
        self.sitemaps_requested = 0
        self._extra_tracking: frozenset[str] | None = None
        self._reader: PageReader | None = None
        self.pool: ReadingPool | None = None  # NEWSDESK_WORKERS > 1: pages read in worker processes
        self.links_yielded: set[bytes] | None = set()  # 8-byte digests of the page links requested so far

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.store_open_threads, signal=signals.spider_closed)
        crawler.signals.connect(spider.start_pool, signal=signals.spider_opened)
        crawler.signals.connect(spider.stop_pool, signal=signals.engine_stopped)
        if spider.config_error:
            # Nothing will be crawled: no database is opened (or created) to record it.
            crawler.settings.set("NEWSDESK_STORE", False, priority=100)
        cfg = spider.site_config
        if cfg is not None:
            # Per-site politeness from sites.toml (AutoThrottle stays on).
            if cfg.download_delay:
                spider.download_delay = cfg.download_delay
            if cfg.max_pages:
                crawler.settings.set("CLOSESPIDER_PAGECOUNT", cfg.max_pages, priority="spider")
            if cfg.depth_limit:
                crawler.settings.set("DEPTH_LIMIT", cfg.depth_limit, priority="spider")
            crawler.settings.set("ROBOTSTXT_OBEY", cfg.obey_robots, priority="spider")
            crawler.settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", cfg.concurrency, priority="spider")
            for name, value in cfg.settings:  # [sites.NAME.settings]; -s on the command line still wins
                crawler.settings.set(name, value, priority="spider")
        return spider

    @property
    def site_name(self) -> str | None:
        return self.site_config.name if self.site_config else None

    def start_pool(self, spider):
        workers = worker_count(self.crawler.settings.get("NEWSDESK_WORKERS"))
        if spider is self and self.site_config is not None and not self.config_error and workers > 1:
            self.pool = ReadingPool(self.reader, workers)
            self.logger.info("reading pages in %d worker processes", workers)

    def stop_pool(self):
        if self.pool is not None:
            self.pool.close()

    # --- which URLs to fetch, and how -------------------------------------------------

    @property
    def extra_tracking(self) -> frozenset[str]:
        if self._extra_tracking is None:  # once: canonical() runs for every link of every page
            self._extra_tracking = tracking_params(self.crawler.settings.getlist("NEWSDESK_TRACKING_PARAMS"))
        return self._extra_tracking

    @property
    def reader(self) -> PageReader:
        """What reads the pages (crawler/spiders/reading.py), in this process or in the pool's."""
        if self._reader is None:
            settings = self.crawler.settings
            options = ReaderOptions(extra_tracking=self.extra_tracking,
                                    max_links=settings.getint("NEWSDESK_MAX_LINKS_PER_PAGE", 1000),
                                    url_length_limit=settings.getint("URLLENGTH_LIMIT", 2083),
                                    endpoints=self.comment_endpoints,
                                    follow_links=self.site_config.follow_links and self.reads_links)
            self._reader = PageReader(self.site_config, options, tuple(self.allowed_domains or ()))
        return self._reader

    def canonical(self, url: str) -> str:
        return self.reader.canonical(url)

    def is_article_url(self, url: str) -> bool | None:
        """True/False when the site's patterns decide, None when the page must decide."""
        return self.reader.is_article_url(url)

    def allowed(self, url: str) -> bool:
        return self.reader.allowed(url)

    def usable(self, url: str) -> bool:
        """A URL a request can be made for: http(s), within URLLENGTH_LIMIT, a valid host and port.
        What is not is counted (newsdesk/skipped/not_http, url_too_long, invalid_url) and dropped
        before it is scheduled (so no robots.txt is asked for an ftp: host either)."""
        stats = self.crawler.stats
        limit = self.crawler.settings.getint("URLLENGTH_LIMIT", 2083)
        if limit and len(url) > limit:
            stats.inc_value(SKIPPED + "url_too_long")
            return False
        try:
            parts = urlsplit(canonical_url(url))
        except InvalidURL:
            stats.inc_value(SKIPPED + "invalid_url")
            return False
        if parts.scheme not in WEB_SCHEMES or not parts.hostname:
            stats.inc_value(SKIPPED + "not_http")
            return False
        return True

    def request_for(self, url: str, *, priority: int = 0, source: str = "link"):
        wanted, verdict = self.reader.plan(url, self.crawler.stats)
        return self.request_of(url, verdict, priority=priority, source=source) if wanted else None

    def request_of(self, url: str, verdict: bool | None, *, priority: int = 0, source: str = "link"):
        if verdict is True:
            return scrapy.Request(url, callback=self.callback("parse_article"),
                                  meta={"kind": Kind.ARTICLE, "source": source}, priority=10 + priority)
        return scrapy.Request(url, callback=self.callback("parse_page"), meta={"kind": Kind.PAGE, "source": source},
                              priority=priority)

    # --- pages: read here (importer, --workers 1) or in the pool (callbacks *_pooled) -----

    def callback(self, name: str):
        return getattr(self, name + "_pooled") if self.pool is not None else getattr(self, name)

    def readable(self, response) -> bool:
        if isinstance(response, HtmlResponse):
            return True
        # JSON, XML, text and binary are no page to read.
        self.crawler.stats.inc_value(SKIPPED + "not_html")
        self.logger.info("skipped %s: not HTML (%s)", response.url,
                         response.headers.get("Content-Type", b"?").decode("latin-1"))
        return False

    def read_here(self, mode: str, response) -> Reading:
        return self.applied(self.reader.read(mode, Fetched.of(response)))

    async def read_pooled(self, mode: str, response) -> Reading:
        if self.pool is None:  # a request queued by a worker with a pool (distributed mode), run by one without
            return self.read_here(mode, response)
        return self.applied(await self.pool.read(mode, Fetched.of(response)))

    def applied(self, reading: Reading) -> Reading:
        """The reading's stats counted and its lines logged, here, whichever process read it."""
        for key, count in reading.counts.items():
            self.crawler.stats.inc_value(key, count)
        for level, line in reading.logs:
            self.logger.log(level, line)
        return reading

    @guarded
    def parse_page(self, response):
        """A start page, listing or unknown page: follow its links; it may be an article too."""
        if self.readable(response):
            yield from self.outputs(self.read_here("page", response), response)

    @guarded
    async def parse_page_pooled(self, response):
        if self.readable(response):
            for out in self.outputs(await self.read_pooled("page", response), response):
                yield out

    @guarded
    def parse_article(self, response):
        if self.readable(response):
            yield from self.outputs(self.read_here("article", response), response)

    @guarded
    async def parse_article_pooled(self, response):
        if self.readable(response):
            for out in self.outputs(await self.read_pooled("article", response), response):
                yield out

    def outputs(self, reading: Reading, response):
        """What a read page yields: its links and feeds, then its article (or nothing: a listing)."""
        for url, verdict in reading.links:
            if self.first_yield(url):
                yield self.request_of(url, verdict)
        for url in reading.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.ignore_failure,
                                 meta={"kind": Kind.FEED}, priority=20)
        if reading.not_article:
            self.not_an_article(response, reading.not_article)
        elif reading.item is not None:
            yield from self.article_from(reading, response)
        if reading.error:  # what @guarded counts (the links above still go out)
            raise ReadFailed(*reading.error)

    def first_yield(self, url: str) -> bool:
        """False for a link this crawl's pages have already yielded. An article page links ~50
        pages already requested; each would become a Request, go through every spider
        middleware and get a fingerprint, only for the duplicate filter to drop it. What stops
        a link before the scheduler (off the site, a crawler trap, not due for a re-fetch)
        stops it again, so nothing else changes; except under DEPTH_LIMIT, where a link too
        deep on one page may come again from a shallower one: there every link goes out."""
        if self.links_yielded is None:
            return True
        if self.crawler.settings.getint("DEPTH_LIMIT"):
            self.links_yielded = None
            return True
        digest = blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        if digest in self.links_yielded:
            return False
        self.links_yielded.add(digest)
        return True

    def not_an_article(self, response, reason: str) -> None:
        """A listing, archive, home, tag, search or error page: its links are followed, it is never stored."""
        stats = self.crawler.stats
        stats.inc_value(LISTINGS)
        stats.inc_value(NOT_AN_ARTICLE)
        stats.inc_value(NOT_AN_ARTICLE_KIND + kind_of(reason))
        self.logger.debug("not an article: %s (%s)", response.url, reason)

    def article_from(self, reading: Reading, response):
        item = replace(reading.item, etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
                       archive_records=archived_records(response, Kind.ARTICLE))
        if reading.alternate_url:
            # The post's own JSON (WordPress's REST route) has its UTC times; then the thread.
            yield scrapy.Request(reading.alternate_url, callback=self.parse_alternate, errback=self.alternate_failed,
                                 dont_filter=True, priority=30, meta={"kind": Kind.ARTICLE_DATA},
                                 cb_kwargs={"item": item, "reading": reading, "article_response": response})
            return
        yield from self.start_thread(item, reading, response)

    def parse_alternate(self, response, item, reading, article_response):
        published, modified = times_from_alternate(response.body)
        if published is not None:
            item = replace(item, published_at=published)
            self.crawler.stats.inc_value(ARTICLE_DATA)
        if modified is not None and (item.published_at is None or modified >= item.published_at):
            item = replace(item, modified_at=modified)
        yield from self.start_thread(item, reading, article_response)

    def alternate_failed(self, failure):
        self.crawler.stats.inc_value(ARTICLE_DATA_FAILED)
        kwargs = failure.request.cb_kwargs
        yield from self.start_thread(kwargs["item"], kwargs["reading"], kwargs["article_response"])


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
