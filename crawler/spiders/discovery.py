"""Discovery, the first half of the news spider: where a site's article URLs come from.

robots.txt ``Sitemap:`` lines, sitemaps and sitemap indexes (Scrapy's own sitemap parser),
RSS/Atom feeds, and in-site links (listings and their pagination). Every URL found goes
through ``NewsSpider.request_for``, which decides whether it is an article, a page to look
at, or nothing to fetch.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import CloseSpider
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from ..contracts import CONFIG_ERROR, DISCOVERY_FAILURES, FEEDS, SITEMAPS, SKIPPED, START_FAILURES, Kind

# Comment pages are reached through the article, never as listings.
COMMENT_PAGE = re.compile(r"/comment-page-\d+/?|[?&]cpage=\d+|[?&]replytocom=")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")


class Discovery:
    """Mixed into NewsSpider: start requests and the callbacks of robots.txt, sitemaps, feeds
    and links."""

    async def start(self):
        if self.config_error:
            self.logger.error("configuration error: %s", self.config_error)
            self.crawler.stats.set_value(CONFIG_ERROR, self.config_error)
            raise CloseSpider("config_error")
        cfg = self.site_config
        for url in cfg.start_urls:
            yield scrapy.Request(url, callback=self.parse_page, errback=self.start_failed,
                                 meta={"kind": Kind.START}, priority=5)
        for url in cfg.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.start_failed,
                                 meta={"kind": Kind.FEED}, priority=20)
        for url in cfg.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.start_failed,
                                 meta={"kind": Kind.SITEMAP}, priority=15)
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
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.ignore_failure,
                                 meta={"kind": Kind.SITEMAP}, priority=15)

    def parse_sitemap(self, response):
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except OSError:
                self.crawler.stats.inc_value(SKIPPED + "bad_sitemap")
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml raises several types on garbage; the reason is what counts
            self.crawler.stats.inc_value(SKIPPED + "bad_sitemap")
            self.logger.warning("not a sitemap: %s", response.url)
            return
        self.crawler.stats.inc_value(SITEMAPS)
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                yield scrapy.Request(entry["loc"], callback=self.parse_sitemap, errback=self.ignore_failure,
                                     meta={"kind": Kind.SITEMAP}, priority=15)
            return
        entries = [e for e in sitemap if e.get("loc")]
        # Newest first: a re-crawl reaches new articles before old ones.
        entries.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
        for rank, entry in enumerate(entries):
            if req := self.request_for(entry["loc"], priority=1 if rank < 100 else 0, source="sitemap"):
                yield req

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
        for link in links:
            if req := self.request_for(response.urljoin(link.strip()), priority=2, source="feed"):
                yield req

    def follow_links(self, response):
        if not self.site_config.follow_links:
            return
        for link in self.links.extract_links(response):
            if req := self.request_for(link.url):
                yield req
        # Feeds a page advertises are discovery too.
        for href in response.xpath("//link[@rel='alternate']").xpath(
                "self::*[" + " or ".join(f"@type='{t}'" for t in _FEED_TYPES) + "]/@href").getall():
            url = response.urljoin(href)
            if not COMMENT_PAGE.search(url) and "/comments/feed" not in url:
                yield scrapy.Request(url, callback=self.parse_feed, errback=self.ignore_failure,
                                     meta={"kind": Kind.FEED}, priority=20)
