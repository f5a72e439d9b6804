"""The ``news`` spider: discovers a site's articles and fetches each with its whole thread.

    scrapy crawl news -a site=NAME          # a site from sites.toml
    scrapy crawl news -a url=https://...    # ad hoc: no configuration, everything detected

Discovery: robots.txt ``Sitemap:`` lines, sitemaps and sitemap indexes (Scrapy's own
sitemap parser), RSS/Atom feeds, and in-site links (listings and their pagination).
An article page yields one ArticleItem only after every page of its comment thread has
been fetched and merged, so an article and its thread are stored together.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip, gzip_magic_number
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
from ..monitors.figures import count_rule_hits
from ..sites import ConfigError, SiteConfig, adhoc_site, get_site
from ..urls import canonical_for_page, canonical_url, tracking_params

try:  # the comment-thread extractor (crawler/extract/comments)
    from ..extract.comments import CommentEndpoints, extract_comments, merge_threads, parse_comment_response
except ImportError:  # pragma: no cover - only while that package is being written
    extract_comments = merge_threads = parse_comment_response = None

# Comment pages are reached through the article, never as listings.
_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?|[?&]cpage=\d+|[?&]replytocom=")
_NON_PAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp3|mp4|avi|mov|woff2?|ttf|xml\.gz)$", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")


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

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
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

    def request_for(self, url: str, *, priority: int = 0, source: str = "link"):
        if not self.allowed(url):
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

    def parse_page(self, response):
        """A start page, listing or unknown page: follow its links; it may be an article too."""
        page = self.page_from(response)
        if page is None:
            return
        yield from self.follow_links(response)
        if self.is_article_url(response.url) is False:
            self.crawler.stats.inc_value(LISTINGS)
            return
        is_article, _ = looks_like_article(page)
        if is_article:
            yield from self.article_from(page, response)
        else:
            self.crawler.stats.inc_value(LISTINGS)

    def parse_article(self, response):
        page = self.page_from(response)
        if page is None:
            return
        yield from self.follow_links(response)
        yield from self.article_from(page, response)

    def article_from(self, page: Page, response):
        stats = self.crawler.stats
        try:
            item = parse_article(page, site=self.site_name, with_comments=False)
        except NotAnArticle as exc:
            stats.inc_value(f"{SKIPPED}{_reason_key(exc)}")
            self.logger.info("not an article: %s (%s)", response.url, exc)
            return
        except Exception as exc:  # a bug or a page nobody foresaw: count it, keep crawling
            stats.inc_value(ERRORS + "extraction")
            self.logger.exception("extraction failed on %s: %s", response.url, exc)
            return
        # Stored under the page's own same-site rel=canonical, in canonical form (level 1).
        declared = page.tree.xpath("//link[@rel='canonical']/@href")
        item = replace(item, canonical_url=canonical_for_page(
            response.url, declared[0] if declared else None, extra_tracking=self.extra_tracking,
            trailing_slash=self.site_config.trailing_slash))
        item = replace(item, http_status=response.status, fetched_at=page.fetched_at,
                       etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"))
        stats.inc_value(ARTICLE_PAGES)
        count_rule_hits(stats, page)  # site health: does each site rule still match (crawler/monitors)
        if extract_comments is None:
            yield item
            return
        state = {"item": item, "threads": [], "pending": [], "seen": {response.url}, "errors": []}
        self._add_thread(state, self._safe(lambda: extract_comments(page, self.comment_endpoints), state))
        yield from self._next_comment_request(state)

    # --- comment threads ---------------------------------------------------------------

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

    def _add_thread(self, state, thread) -> None:
        if thread is None:
            return
        state["threads"].append(thread)
        state["errors"].extend(thread.errors)
        limit = self.crawler.settings.getint("NEWSDESK_MAX_COMMENT_PAGES")
        for req in thread.requests:
            if req.url in state["seen"]:
                continue
            if len(state["seen"]) > limit:
                state["errors"].append("too many comment pages")
                break
            state["seen"].add(req.url)
            state["pending"].append(req)

    def _next_comment_request(self, state):
        if state["pending"]:
            req = state["pending"].pop(0)
            # A comment provider (Disqus) is offsite by nature and serves what every reader's
            # browser loads with the page: the site's allowed domains and robots.txt are not its rules.
            yield scrapy.Request(req.url, headers=req.headers or None, callback=self.parse_comments,
                                 errback=self.comments_failed, dont_filter=True, priority=30,
                                 cb_kwargs={"state": state, "kind": req.kind},
                                 meta={"kind": Kind.COMMENTS, "dont_obey_robotstxt": req.offsite,
                                       "allow_offsite": req.offsite})
            return
        yield self._finish_article(state)

    def parse_comments(self, response, state, kind):
        self.crawler.stats.inc_value(COMMENT_PAGES)
        if kind == "page":
            page = self.page_from(response)
            thread = self._safe(lambda: extract_comments(page, self.comment_endpoints), state) if page else None
        else:
            thread = self._safe(lambda: parse_comment_response(
                kind, response.body, response.url, rules=self.site_config.rules,
                endpoints=self.comment_endpoints), state)
        if thread is None:
            state["errors"].append(f"unreadable {kind} response")
        self._add_thread(state, thread)
        yield from self._next_comment_request(state)

    def comments_failed(self, failure):
        state = failure.request.cb_kwargs["state"]
        reason = failure.getErrorMessage() or failure.type.__name__
        if response := getattr(failure.value, "response", None):
            reason = f"HTTP {response.status}"
        state["errors"].append(f"comment page not fetched ({reason})")
        self.logger.warning("comment page %s failed: %s", failure.request.url, reason)
        yield from self._next_comment_request(state)

    def _finish_article(self, state):
        item = state["item"]
        comments = self._safe(lambda: merge_threads(state["threads"]), state) or []
        reported = next((t.reported_count for t in state["threads"] if t.reported_count is not None), None)
        errors = list(dict.fromkeys(state["errors"]))
        for reason in errors:
            self.crawler.stats.inc_value(f"{COMMENT_THREADS_FAILED}/{_reason_key(reason)}")
        if errors:  # threads, not reasons: one thread may fail for two reasons
            self.crawler.stats.inc_value(COMMENT_THREADS_FAILED)
        complete = not errors and all(t.complete for t in state["threads"])
        return replace(item, comments=comments, comment_count_reported=reported,
                       comments_complete=complete, comment_errors=errors)


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _reason_key(reason) -> str:
    text = getattr(reason, "reason", None) or str(reason)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "unknown"
