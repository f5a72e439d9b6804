"""Discovery, the first half of the news spider: where a site's article URLs come from.

robots.txt ``Sitemap:`` lines, sitemaps and sitemap indexes (Scrapy's own sitemap parser),
RSS/Atom feeds, and in-site links (listings and their pagination). Every URL found goes
through ``NewsSpider.request_for``, which decides whether it is an article, a page to look
at, or nothing to fetch.
"""
from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import CloseSpider
from scrapy.utils.gz import gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from ..contracts import CONFIG_ERROR, DISCOVERY_FAILURES, ERRORS, FEEDS, SITEMAPS, SKIPPED, START_FAILURES, Kind
from ..downloadermiddlewares.compression import TooLarge, Truncated, inflate_gzip

# Comment pages are reached through the article, never as listings.
COMMENT_PAGE = re.compile(r"/comment-page-\d+/?|[?&]cpage=\d+|[?&]replytocom=")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")


def guarded(callback):
    """A page no extractor foresaw (a bug, a structure nobody writes) must not stop the crawl or
    vanish as a bare spider exception: it is logged in one line and counted as
    newsdesk/errors/extraction, so crawl_runs.errors shows it. What the callback yielded before
    it raised (links, requests) still goes out."""
    @functools.wraps(callback)
    def wrapper(self, response, *args, **kwargs):
        try:
            yield from callback(self, response, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the point is to catch what nobody foresaw
            self.crawler.stats.inc_value(ERRORS + "extraction")
            # By exception type too, outside newsdesk/errors/ (crawl_runs.errors sums that prefix).
            self.crawler.stats.inc_value(f"newsdesk/extraction_errors/{type(exc).__name__}")
            self.logger.error("extraction failed on %s: %s: %s", response.url, type(exc).__name__, str(exc)[:200])
            self.logger.debug("extraction failure on %s", response.url, exc_info=True)
    return wrapper


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
        for link in self.capped(links, response.url):
            try:
                url = response.urljoin(link.strip())
            except ValueError:  # urljoin of a broken IPv6 host
                self.crawler.stats.inc_value(SKIPPED + "invalid_url")
                continue
            if req := self.request_for(url, priority=2, source="feed"):
                yield req

    def _link_rank(self, url: str) -> int:
        """0 for a link the site's article patterns match (on the link as written), else 1."""
        path = url.split("#", 1)[0].split("://", 1)[-1].partition("/")[2]
        return 0 if any(r.search("/" + path) for r in self._article_res) else 1

    def _many_links(self, base: str, hrefs: list[str], limit: int) -> list[str]:
        """The page's distinct links, article links first; only the first ``limit`` are made
        absolute (urljoin is most of the cost), the rest are returned as written, to be counted."""
        distinct = sorted(dict.fromkeys(h.strip().split("#", 1)[0] for h in hrefs), key=self._link_rank)
        urls = []
        for href in distinct[:limit] if limit else distinct:
            try:
                url = urljoin(base, href)
            except ValueError:  # a broken IPv6 host
                self.crawler.stats.inc_value(SKIPPED + "invalid_url")
                continue
            if url.startswith(("http://", "https://")) and not COMMENT_PAGE.search(url):
                urls.append(url)
        return urls + distinct[limit:] if limit else urls

    def capped(self, links: list, page_url: str) -> list:
        """At most NEWSDESK_MAX_LINKS_PER_PAGE links of one page or feed (a page of 100,000
        links would queue them all); the rest are counted as newsdesk/skipped/links_over_limit."""
        limit = self.crawler.settings.getint("NEWSDESK_MAX_LINKS_PER_PAGE", 1000)
        if not limit or len(links) <= limit:
            return links
        self.crawler.stats.inc_value(SKIPPED + "links_over_limit", len(links) - limit)
        self.crawler.stats.inc_value("newsdesk/pages_over_link_limit")
        self.logger.warning("%s has %d links: following the first %d (NEWSDESK_MAX_LINKS_PER_PAGE)",
                            page_url, len(links), limit)
        return links[:limit]

    def follow_links(self, response, page=None):
        if not self.site_config.follow_links:
            return
        limit = self.crawler.settings.getint("NEWSDESK_MAX_LINKS_PER_PAGE", 1000)
        hrefs = page.tree.xpath("//a/@href | //area/@href") if page is not None else []
        if page is not None and page.link_farm_hrefs or limit and len(hrefs) > 2 * limit:
            # LinkExtractor costs ~0.4 ms a link (40 s for a page of 100,000): a page far over
            # the limit has its links read from the parsed tree, article links first.
            urls = self._many_links(response.url, hrefs + page.link_farm_hrefs, limit)
        else:
            urls = [link.url for link in self.links.extract_links(response)]
            # Scrapy's LinkExtractor drops links urllib cannot read (a port of 99999 or "abc", a
            # broken IPv6 host) without a word; they are counted here.
            if unreadable := sum(1 for href in hrefs if _unreadable_link(response.url, href)):
                self.crawler.stats.inc_value(SKIPPED + "invalid_url", unreadable)
            if limit and len(urls) > limit:
                urls.sort(key=self._link_rank)
        for url in self.capped(urls, response.url):
            if req := self.request_for(url):
                yield req
        # Feeds a page advertises are discovery too.
        for href in response.xpath("//link[@rel='alternate']").xpath(
                "self::*[" + " or ".join(f"@type='{t}'" for t in _FEED_TYPES) + "]/@href").getall():
            url = response.urljoin(href)
            if not COMMENT_PAGE.search(url) and "/comments/feed" not in url:
                yield scrapy.Request(url, callback=self.parse_feed, errback=self.ignore_failure,
                                     meta={"kind": Kind.FEED}, priority=20)


def _unreadable_link(base: str, href: str) -> bool:
    if "//" not in href:  # a relative link takes the page's own (readable) host and port
        return False
    try:
        urlsplit(urljoin(base, href.strip())).port  # noqa: B018 - raises ValueError when unreadable
    except ValueError:
        return True
    return False


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
