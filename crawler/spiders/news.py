"""The ``news`` spider: discovers a site's articles and fetches each with its whole thread.

    scrapy crawl news -a site=NAME          # a site from sites.toml
    scrapy crawl news -a url=https://...    # ad hoc: no configuration, everything detected

Discovery (robots.txt, sitemaps, feeds, links: spiders/discovery.py) finds URLs; this
module decides which to fetch and reads each page; an article page yields one ArticleItem
only after every page of its comment thread has been fetched and merged
(spiders/threads.py), so an article and its thread are stored together.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from ..charset import page_encoding
from ..contracts import (
    ARTICLE_DATA,
    ARTICLE_DATA_FAILED,
    ARTICLE_PAGES,
    LISTINGS,
    NOT_AN_ARTICLE,
    NOT_AN_ARTICLE_KIND,
    SKIPPED,
    Kind,
    reason_key,
)
from ..extract import NotAnArticle, looks_like_article, parse_article
from ..extract.alternate import alternate_json_url, times_from_alternate
from ..extract.classify import kind_of
from ..extract.page import Page
from ..extract.version import extractor_version
from ..monitors.figures import count_rule_hits
from ..sites import ConfigError, SiteConfig, adhoc_site, get_site
from ..urls import InvalidURL, canonical_for_page, canonical_url, tracking_params
from .discovery import COMMENT_PAGE, Discovery, guarded
from .threads import CommentThreads, archived_records

WEB_SCHEMES = ("http", "https")
_COMMENT_PAGE_SUFFIX = re.compile(r"/comment-page-\d+/?(?=$|[?#])")
_NON_PAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp3|mp4|avi|mov|woff2?|ttf|xml\.gz)$", re.I)


class NewsSpider(Discovery, CommentThreads, scrapy.Spider):
    name = "news"

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
            self._article_res = [re.compile(p) for p in cfg.article_patterns]
            self._deny_res = [re.compile(p) for p in cfg.deny_patterns]
            # No allow_domains here: LinkExtractor compares it with host:port, so a site on
            # 127.0.0.1:8080 would have no links; the offsite middleware keeps the crawl on
            # allowed_domains by host.
            self.links = LinkExtractor(deny=[COMMENT_PAGE.pattern], deny_extensions=[])
        self.start_failures: list[str] = []
        # Comment threads still being fetched: stored as far as they got if the crawl stops.
        self.open_threads: dict[int, tuple] = {}
        self.sitemaps_requested = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.store_open_threads, signal=signals.spider_closed)
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

    # --- which URLs to fetch, and how -------------------------------------------------

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
        if _NON_PAGE.search(urlsplit(url).path) or COMMENT_PAGE.search(url):
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

    # --- pages ---------------------------------------------------------------------------

    def page_from(self, response) -> Page | None:
        if not isinstance(response, HtmlResponse):  # JSON, XML, text and binary are no page to read
            self.crawler.stats.inc_value(SKIPPED + "not_html")
            self.logger.info("skipped %s: not HTML (%s)", response.url,
                             response.headers.get("Content-Type", b"?").decode("latin-1"))
            return None
        try:
            # A response replayed from the archive (`newsdesk reextract`) was fetched when it was archived.
            fetched_at = response.meta.get("archived_at") or datetime.now(timezone.utc)
            return Page.parse(response.body, response.url, rules=self.site_config.rules,
                              encoding=page_encoding(response), fetched_at=fetched_at)
        except NotAnArticle as exc:
            self.crawler.stats.inc_value(f"{SKIPPED}{reason_key(exc)}")
            self.logger.info("skipped %s: %s", response.url, exc)
            return None

    @guarded
    def parse_page(self, response):
        """A start page, listing or unknown page: follow its links; it may be an article too."""
        page = self.page_from(response)
        if page is None:
            return
        yield from self.follow_links(response, page)
        if self.is_article_url(response.url) is False:
            self.not_an_article(response, "not an article URL (the site's article_patterns)")
            return
        is_article, reason = looks_like_article(page)
        if is_article:
            yield from self.article_from(page, response)
        else:
            self.not_an_article(response, reason)

    def not_an_article(self, response, reason: str) -> None:
        """A listing, archive, home, tag, search or error page: its links are followed, it is never stored."""
        stats = self.crawler.stats
        stats.inc_value(LISTINGS)
        stats.inc_value(NOT_AN_ARTICLE)
        stats.inc_value(NOT_AN_ARTICLE_KIND + kind_of(reason))
        self.logger.debug("not an article: %s (%s)", response.url, reason)

    @guarded
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
            stats.inc_value(f"{SKIPPED}{reason_key(exc)}")
            self.logger.info("not an article: %s (%s)", response.url, exc)
            return
        # Anything else a page makes the extractor raise: counted by @guarded (errors/extraction).
        # Stored under the page's own same-site rel=canonical, in canonical form (level 1).
        declared = page.tree.xpath("//link[@rel='canonical']/@href")
        # A block theme renders the thread before <head>, so WordPress names the comment page it
        # showed as the canonical URL of the post itself: the article is the URL without it.
        declared = [_COMMENT_PAGE_SUFFIX.sub("/", d) for d in declared[:1]]
        item = replace(item, canonical_url=canonical_for_page(
            response.url, declared[0] if declared else None, extra_tracking=self.extra_tracking,
            trailing_slash=self.site_config.trailing_slash))
        item = replace(item, http_status=response.status, fetched_at=page.fetched_at,
                       etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
                       extractor_version=extractor_version(), archive_records=archived_records(response, Kind.ARTICLE))
        stats.inc_value(ARTICLE_PAGES)
        count_rule_hits(stats, page)  # site health: does each site rule still match (crawler/monitors)
        if url := alternate_json_url(page):
            # The post's own JSON (WordPress's REST route) has its UTC times; then the thread.
            yield scrapy.Request(url, callback=self.parse_alternate, errback=self.alternate_failed,
                                 dont_filter=True, priority=30, meta={"kind": Kind.ARTICLE_DATA},
                                 cb_kwargs={"item": item, "page": page, "article_response": response})
            return
        yield from self.start_thread(item, page, response)

    def parse_alternate(self, response, item, page, article_response):
        published, modified = times_from_alternate(response.body)
        if published is not None:
            item = replace(item, published_at=published)
            self.crawler.stats.inc_value(ARTICLE_DATA)
        if modified is not None and (item.published_at is None or modified >= item.published_at):
            item = replace(item, modified_at=modified)
        yield from self.start_thread(item, page, article_response)

    def alternate_failed(self, failure):
        self.crawler.stats.inc_value(ARTICLE_DATA_FAILED)
        kwargs = failure.request.cb_kwargs
        yield from self.start_thread(kwargs["item"], kwargs["page"], kwargs["article_response"])


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
