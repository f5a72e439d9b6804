"""The ``news`` spider: discovers a site's articles and fetches each with its whole thread.

    scrapy crawl news -a site=NAME          # a site from sites.toml
    scrapy crawl news -a url=https://...    # ad hoc: no configuration, everything detected

Discovery: robots.txt ``Sitemap:`` lines, sitemaps and sitemap indexes (Scrapy's own
sitemap parser), RSS/Atom feeds, and in-site links (listings and their pagination).
An article page yields one ArticleItem only after every page of its comment thread has
been fetched and merged, so an article and its thread are stored together.
"""
from __future__ import annotations

import functools
import re
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from ..charset import page_encoding
from ..contracts import (
    ARTICLE_PAGES,
    COMMENT_PAGES,
    COMMENT_THREADS_FAILED,
    CONFIG_ERROR,
    DISCOVERY_FAILURES,
    ERRORS,
    FEEDS,
    LISTINGS,
    SITEMAPS,
    SKIPPED,
    START_FAILURES,
    Kind,
)
from ..extract import NotAnArticle, looks_like_article, parse_article
from ..extract.page import Page
from ..downloadermiddlewares.compression import TooLarge, Truncated, inflate_gzip
from ..sites import ConfigError, SiteConfig, adhoc_site, get_site
from ..urls import InvalidURL, canonical_for_page, canonical_url, tracking_params

try:  # the comment-thread extractor (crawler/extract/comments)
    from ..extract.comments import CommentEndpoints, extract_comments, merge_threads, parse_comment_response
except ImportError:  # pragma: no cover - only while that package is being written
    extract_comments = merge_threads = parse_comment_response = None

# Comment pages are reached through the article, never as listings.
_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?|[?&]cpage=\d+|[?&]replytocom=")
_NON_PAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp3|mp4|avi|mov|woff2?|ttf|xml\.gz)$", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")
WEB_SCHEMES = ("http", "https")


def _guarded(callback):
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


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, site: str | None = None, url: str | None = None, sites_file: str | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config_error: str | None = None
        self.site_config: SiteConfig | None = None
        try:
            if site and url:
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
            self._article_res = [re.compile(p) for p in cfg.article_patterns]
            self._deny_res = [re.compile(p) for p in cfg.deny_patterns]
            # No allow_domains here: LinkExtractor compares it with host:port, so a site on
            # 127.0.0.1:8080 would have no links; the offsite middleware keeps the crawl on
            # allowed_domains by host.
            self.links = LinkExtractor(deny=[_COMMENT_PAGE.pattern], deny_extensions=[])
        self.start_failures: list[str] = []
        # Comment threads still being fetched: stored as far as they got if the crawl stops.
        self.open_threads: dict[int, dict] = {}
        self.sitemaps_requested = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.store_open_threads, signal=signals.spider_closed)
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

    # --- discovery ---------------------------------------------------------------------

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

    @property
    def extra_tracking(self) -> frozenset[str]:
        return tracking_params(self.crawler.settings.getlist("NEWSDESK_TRACKING_PARAMS"))

    def canonical(self, url: str) -> str:
        return canonical_url(url, extra_tracking=self.extra_tracking, trailing_slash=self.site_config.trailing_slash)

    def is_article_url(self, url: str) -> bool | None:
        """True/False when the site's patterns decide, None when the page must decide."""
        if not self._article_res:
            return None
        # Patterns describe the page, not the link to it: an article linked with tracking
        # parameters or as its AMP/print variant is still that article (and the same request).
        url = self.canonical(url)
        return any(r.search(urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else ""))
                   for r in self._article_res)

    def allowed(self, url: str) -> bool:
        if _NON_PAGE.search(urlsplit(url).path) or _COMMENT_PAGE.search(url):
            return False
        return not any(r.search(url) for r in self._deny_res)

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
        if not self.usable(url) or not self.allowed(url):
            return None
        verdict = self.is_article_url(url)
        if verdict is True:
            return scrapy.Request(url, callback=self.parse_article, meta={"kind": Kind.ARTICLE, "source": source},
                                  priority=10 + priority)
        if verdict is False and not self.site_config.follow_links:
            return None
        return scrapy.Request(url, callback=self.parse_page, meta={"kind": Kind.PAGE, "source": source},
                              priority=priority)

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
        if depth > settings.getint("NEWSDESK_SITEMAP_MAX_DEPTH", 3):
            stats.inc_value(SKIPPED + "sitemap_too_deep")
            self.logger.warning("not following sitemap %s: nested deeper than NEWSDESK_SITEMAP_MAX_DEPTH", url)
            return None
        if self.sitemaps_requested >= settings.getint("NEWSDESK_MAX_SITEMAPS", 1000):
            stats.inc_value(SKIPPED + "sitemap_limit")
            if self.sitemaps_requested == settings.getint("NEWSDESK_MAX_SITEMAPS", 1000):
                self.logger.warning("more than NEWSDESK_MAX_SITEMAPS=%d sitemaps: not following %s and the rest",
                                    self.sitemaps_requested, url)
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
            reason, detail = "skipped/too_large", f"inflates past DOWNLOAD_MAXSIZE ({max_size} B)"
        except Truncated as exc:
            reason, detail = "errors/data_loss", str(exc)
        self.crawler.stats.inc_value(f"newsdesk/{reason}")
        self.logger.warning("skipped sitemap %s: %s", response.url, detail)
        return None

    @_guarded
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
        if sitemap.type == "sitemapindex":
            for entry in _first_n(sitemap, limit, stats, SKIPPED + "sitemap_urls_over_limit"):
                if entry.get("loc") and (req := self.sitemap_request(entry["loc"], depth=depth + 1)):
                    yield req
            return
        entries = [e for e in _first_n(sitemap, limit, stats, SKIPPED + "sitemap_urls_over_limit")
                   if e.get("loc")]
        # Newest first: a re-crawl reaches new articles before old ones.
        entries.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
        for rank, entry in enumerate(entries):
            if req := self.request_for(entry["loc"], priority=1 if rank < 100 else 0, source="sitemap"):
                yield req

    @_guarded
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
            if url.startswith(("http://", "https://")) and not _COMMENT_PAGE.search(url):
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

    def follow_links(self, response, page: Page | None = None):
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
            if not _COMMENT_PAGE.search(url) and "/comments/feed" not in url:
                yield scrapy.Request(url, callback=self.parse_feed, errback=self.ignore_failure,
                                     meta={"kind": Kind.FEED}, priority=20)

    # --- pages ---------------------------------------------------------------------------

    def page_from(self, response) -> Page | None:
        if not isinstance(response, HtmlResponse):  # JSON, XML, text and binary are no page to read
            self.crawler.stats.inc_value(SKIPPED + "not_html")
            self.logger.info("skipped %s: not HTML (%s)", response.url,
                             response.headers.get("Content-Type", b"?").decode("latin-1"))
            return None
        try:
            return Page.parse(response.body, response.url, rules=self.site_config.rules,
                              encoding=page_encoding(response), fetched_at=datetime.now(timezone.utc))
        except NotAnArticle as exc:
            self.crawler.stats.inc_value(f"{SKIPPED}{_reason_key(exc)}")
            self.logger.info("skipped %s: %s", response.url, exc)
            return None

    @_guarded
    def parse_page(self, response):
        """A start page, listing or unknown page: follow its links; it may be an article too."""
        page = self.page_from(response)
        if page is None:
            return
        yield from self.follow_links(response, page)
        if self.is_article_url(response.url) is False:
            self.crawler.stats.inc_value(LISTINGS)
            return
        is_article, _ = looks_like_article(page)
        if is_article:
            yield from self.article_from(page, response)
        else:
            self.crawler.stats.inc_value(LISTINGS)

    @_guarded
    def parse_article(self, response):
        page = self.page_from(response)
        if page is None:
            return
        yield from self.follow_links(response, page)
        yield from self.article_from(page, response)

    def article_from(self, page: Page, response):
        stats = self.crawler.stats
        try:
            item = parse_article(page, site=self.site_name, with_comments=False)
        except NotAnArticle as exc:
            stats.inc_value(f"{SKIPPED}{_reason_key(exc)}")
            self.logger.info("not an article: %s (%s)", response.url, exc)
            return
        # Stored under the page's own same-site rel=canonical, in canonical form (level 1).
        declared = page.tree.xpath("//link[@rel='canonical']/@href")
        item = replace(item, canonical_url=canonical_for_page(
            response.url, declared[0] if declared else None, extra_tracking=self.extra_tracking,
            trailing_slash=self.site_config.trailing_slash))
        item = replace(item, http_status=response.status, fetched_at=page.fetched_at,
                       etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"))
        stats.inc_value(ARTICLE_PAGES)
        if extract_comments is None:
            yield item
            return
        state = {"item": item, "threads": [], "pending": [], "seen": {response.url}, "errors": [],
                 "in_flight": 0, "order": 0, "done": False}
        self.open_threads[id(state)] = state
        self._add_thread(state, self._safe(lambda: extract_comments(page, self.comment_endpoints), state), 0)
        yield from self._next_comment_requests(state)

    # --- comment threads ---------------------------------------------------------------
    # The pages of one thread are fetched NEWSDESK_COMMENT_PAGE_CONCURRENCY at a time when the
    # page links them all (numbered pages); a cursor (Disqus) names one next page at a time.
    # Each page's part keeps its place in the order the links were found, so the merged thread
    # does not depend on which answer came first. The article is yielded once every page is in,
    # or, if the crawl stops first, stored with what was fetched and marked incomplete
    # (store_open_threads).

    @property
    def comment_endpoints(self):
        """Where Disqus is fetched from: NEWSDESK_DISQUS_* settings (sites.toml may set them per site)."""
        if getattr(self, "_comment_endpoints", None) is None:
            self._comment_endpoints = CommentEndpoints.from_settings(self.crawler.settings)
        return self._comment_endpoints

    def _safe(self, fn, state):
        try:
            return fn()
        except Exception as exc:  # a thread we cannot read must not lose its article
            state["errors"].append(f"parser error: {type(exc).__name__}")
            self.logger.warning("comment thread of %s failed: %r", state["item"].url, exc)
            return None

    def _add_thread(self, state, thread, order: int) -> None:
        if thread is None:
            return
        state["threads"].append((order, thread))
        state["errors"].extend(thread.errors)
        limit = self.crawler.settings.getint("NEWSDESK_MAX_COMMENT_PAGES")
        for req in thread.requests:
            if req.url in state["seen"]:
                continue
            if len(state["seen"]) > limit:
                state["errors"].append("too many comment pages")
                break
            state["seen"].add(req.url)
            if not self.usable(req.url):
                state["errors"].append("unusable comment page URL")
                continue
            state["order"] += 1
            state["pending"].append((state["order"], req))

    def _next_comment_requests(self, state):
        concurrency = max(1, self.crawler.settings.getint("NEWSDESK_COMMENT_PAGE_CONCURRENCY", 4))
        while state["pending"] and state["in_flight"] < concurrency:
            order, req = state["pending"].pop(0)
            state["in_flight"] += 1
            # A comment provider (Disqus) is offsite by nature and serves what every reader's
            # browser loads with the page: the site's allowed domains and robots.txt are not its rules.
            yield scrapy.Request(req.url, headers=req.headers or None, callback=self.parse_comments,
                                 errback=self.comments_failed, dont_filter=True, priority=30,
                                 cb_kwargs={"state": state, "kind": req.kind, "order": order},
                                 meta={"kind": Kind.COMMENTS, "dont_obey_robotstxt": req.offsite,
                                       "allow_offsite": req.offsite})
        if not state["pending"] and not state["in_flight"] and not state["done"]:
            yield self._finish_article(state)

    def parse_comments(self, response, state, kind, order=0):
        state["in_flight"] -= 1
        self.crawler.stats.inc_value(COMMENT_PAGES)
        try:
            if kind == "page":
                page = self.page_from(response)
                thread = self._safe(lambda: extract_comments(page, self.comment_endpoints), state) if page else None
            else:
                thread = self._safe(lambda: parse_comment_response(
                    kind, response.body, response.url, rules=self.site_config.rules,
                    endpoints=self.comment_endpoints), state)
        except Exception as exc:  # noqa: BLE001 - whatever this page does, its article is kept
            state["errors"].append(f"parser error: {type(exc).__name__}")
            thread = None
        if thread is None:
            state["errors"].append(f"unreadable {kind} response")
        self._add_thread(state, thread, order)
        yield from self._next_comment_requests(state)

    def comments_failed(self, failure):
        state = failure.request.cb_kwargs["state"]
        state["in_flight"] -= 1
        reason = failure.getErrorMessage() or failure.type.__name__
        if response := getattr(failure.value, "response", None):
            reason = f"HTTP {response.status}"
        state["errors"].append(f"comment page not fetched ({reason})")
        self.logger.warning("comment page %s failed: %s", failure.request.url, reason)
        yield from self._next_comment_requests(state)

    def _finish_article(self, state):
        state["done"] = True
        self.open_threads.pop(id(state), None)
        item = state["item"]
        threads = [thread for _, thread in sorted(state["threads"], key=lambda part: part[0])]
        comments = self._safe(lambda: merge_threads(threads), state) or []
        reported = next((t.reported_count for t in threads if t.reported_count is not None), None)
        errors = list(dict.fromkeys(state["errors"]))
        for reason in errors:
            self.crawler.stats.inc_value(f"{COMMENT_THREADS_FAILED}/{_reason_key(reason)}")
        if errors:  # threads, not reasons: one thread may fail for two reasons
            self.crawler.stats.inc_value(COMMENT_THREADS_FAILED)
        complete = not errors and all(t.complete for t in threads)
        return replace(item, comments=comments, comment_count_reported=reported,
                       comments_complete=complete, comment_errors=errors)

    async def store_open_threads(self, spider, reason):
        """The crawl stopped (page limit, time limit, SIGTERM) with threads half fetched: each
        article is stored with the part of its thread that was fetched, marked incomplete,
        rather than lost. Runs on spider_closed before the store pipeline closes the run."""
        if spider is not self or not self.open_threads:
            return
        itemproc = self.crawler.engine.scraper.itemproc
        for state in list(self.open_threads.values()):
            state["errors"].append("crawl stopped before the thread was fetched")
            self.crawler.stats.inc_value("newsdesk/articles_stored_partial")
            item = self._finish_article(state)
            try:
                await itemproc.process_item_async(item)
            except Exception as exc:  # noqa: BLE001 - a DropItem, or a store that failed: counted there
                self.logger.info("article %s with a partial thread not stored: %s", item.url, exc)

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


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _reason_key(reason) -> str:
    text = getattr(reason, "reason", None) or str(reason)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "unknown"
