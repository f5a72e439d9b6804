"""Reading a page: the CPU-heavy half of the news spider's callbacks, as a pure function of the
fetched bytes and the site's configuration.

Parsing the page, its links (and which of them to request), the article, the first part of its
comment thread: a ``PageReader`` does it all and returns a ``Reading``, plain picklable data
with the stats to count and the lines to log. So the same code runs in the spider's own process
(``--workers 1``) or in a worker process of ``crawler/spiders/pool.py``, and the crawl's process
keeps the network, the scheduling, the pipelines and the database. Nothing here touches the
crawler, the engine or the database.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

from ..charset import page_encoding
from ..contracts import ARTICLE_PAGES, SKIPPED, reason_key
from ..extract import NotAnArticle, looks_like_article, parse_article
from ..extract.alternate import alternate_json_url
from ..extract.comments import CommentEndpoints, extract_comments, parse_comment_response
from ..extract.comments.thread import CommentThread
from ..extract.page import Page
from ..extract.version import extractor_version
from ..items import ArticleItem
from ..monitors.figures import count_rule_hits
from ..sites import SiteConfig
from ..urls import InvalidURL, canonical_for_page, canonical_url
from .links import COMMENT_PAGE, PageLinks

WEB_SCHEMES = ("http", "https")
_COMMENT_PAGE_SUFFIX = re.compile(r"/comment-page-\d+/?(?=$|[?#])")
_NON_PAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp3|mp4|avi|mov|woff2?|ttf|xml\.gz)$", re.I)
CANONICAL_CACHE = 10_000  # links whose canonical form a reader keeps (~2.5 MB)
OFFSITE_LINKS = "newsdesk/links_offsite"  # not under skipped/: a foreign link is no page left out


@dataclass(frozen=True)
class ReaderOptions:
    """The crawl settings a reader needs (read once from the crawler's settings)."""

    extra_tracking: frozenset[str] = frozenset()
    max_links: int = 1000
    url_length_limit: int = 2083
    endpoints: CommentEndpoints = field(default_factory=CommentEndpoints)
    follow_links: bool = True  # False: no link of a page is read (`newsdesk reextract`, the site's follow_links)


@dataclass
class Fetched:
    """What a reader needs of a response: picklable, so that it can go to a worker process."""

    url: str
    status: int
    content_type: bytes
    body: bytes
    fetched_at: datetime

    @classmethod
    def of(cls, response) -> Fetched:
        # A response replayed from the archive (`newsdesk reextract`) was fetched when it was archived.
        return cls(response.url, response.status, response.headers.get(b"Content-Type") or b"", response.body,
                   response.meta.get("archived_at") or datetime.now(timezone.utc))

    def response(self) -> HtmlResponse:
        headers = {b"Content-Type": self.content_type} if self.content_type else {}
        return HtmlResponse(self.url, status=self.status, headers=headers, body=self.body)


@dataclass
class Reading:
    counts: Counter = field(default_factory=Counter)  # stats to add
    logs: list[tuple[int, str]] = field(default_factory=list)  # lines for the spider's logger
    page_read: bool = False  # False: not a page to read (counted in counts)
    links: list[tuple[str, bool | None]] = field(default_factory=list)  # (URL, is_article_url) to request
    feeds: list[str] = field(default_factory=list)  # feeds the page advertises
    not_article: str | None = None  # why the page is a listing and not an article
    item: ArticleItem | None = None  # the article, its thread not yet merged
    alternate_url: str | None = None  # the article's own JSON (WordPress REST) to fetch first
    thread: CommentThread | None = None  # the thread as this response shows it
    thread_error: tuple[str, str] | None = None  # what its parser raised: (exception type, repr)
    error: tuple[str, str] | None = None  # what no extractor foresaw: (exception type, message)

    def inc_value(self, key: str, count: int = 1) -> None:  # the stats interface count_rule_hits uses
        self.counts[key] += count

    def log(self, level: int, message: str, *args) -> None:
        self.logs.append((level, message % args if args else message))


def on_site(host: str, domains: tuple[str, ...]) -> bool:
    """Scrapy's OffsiteMiddleware rule: the host is an allowed domain or under one."""
    return not domains or any(host == d or host.endswith("." + d) for d in domains)


class PageReader(PageLinks):
    def __init__(self, config: SiteConfig, options: ReaderOptions, allowed_domains: tuple[str, ...] = ()):
        self.config, self.options = config, options
        self.allowed_domains = tuple(d.lower() for d in allowed_domains)
        self.article_res = [re.compile(p) for p in config.article_patterns]
        self.deny_res = [re.compile(p) for p in config.deny_patterns]
        self._canonical: dict[str, str] = {}

    # --- which URLs to fetch -------------------------------------------------------------

    def canonical(self, url: str) -> str:
        # Every page of a site links the same sections, and each article is linked from many
        # pages: the canonical form (~0.1 ms a link) is made once per link, within a bound.
        if (found := self._canonical.get(url)) is None:
            if len(self._canonical) >= CANONICAL_CACHE:
                self._canonical.clear()
            found = self._canonical[url] = canonical_url(url, extra_tracking=self.options.extra_tracking,
                                                         trailing_slash=self.config.trailing_slash)
        return found

    def is_article_url(self, url: str, canonical: str | None = None) -> bool | None:
        """True/False when the site's patterns decide, None when the page must decide."""
        if not self.article_res:
            return None
        # Patterns describe the page, not the link to it: an article linked with tracking
        # parameters or as its AMP/print variant is still that article (and the same request).
        parts = urlsplit(canonical or self.canonical(url))
        target = parts.path + ("?" + parts.query if parts.query else "")
        return any(r.search(target) for r in self.article_res)

    def allowed(self, url: str) -> bool:
        if _NON_PAGE.search(urlsplit(url).path) or COMMENT_PAGE.search(url):
            return False
        return not any(r.search(url) for r in self.deny_res)

    def plan(self, url: str, stats) -> tuple[bool, bool | None]:
        """(request it?, is_article_url). A URL no request can be made for (not http(s), past
        URLLENGTH_LIMIT, no valid host or port) is counted (newsdesk/skipped/not_http,
        url_too_long, invalid_url) and dropped before it is scheduled."""
        try:
            host = urlsplit(url).hostname
        except ValueError:  # a broken IPv6 host: counted as invalid below
            host = None
        if host and self.allowed_domains and not on_site(host, self.allowed_domains):
            # Most links of an article page lead off the site: dropped before any canonical
            # form is made (the downloader's OffsiteMiddleware would drop them later).
            stats.inc_value(OFFSITE_LINKS)
            return False, None
        limit = self.options.url_length_limit
        if limit and len(url) > limit:
            stats.inc_value(SKIPPED + "url_too_long")
            return False, None
        try:
            canonical = self.canonical(url)
            parts = urlsplit(canonical)
        except (InvalidURL, ValueError):
            stats.inc_value(SKIPPED + "invalid_url")
            return False, None
        if parts.scheme not in WEB_SCHEMES or not parts.hostname:
            stats.inc_value(SKIPPED + "not_http")
            return False, None
        if not self.allowed(url):
            return False, None
        verdict = self.is_article_url(url, canonical)
        if verdict is False and not self.config.follow_links:
            return False, None
        return True, verdict

    # --- pages ---------------------------------------------------------------------------

    def read(self, mode: str, fetched: Fetched) -> Reading:
        """mode: "page" (a start page, listing or unknown page), "article", or the kind of a
        comment request ("page-comments" for an HTML comment page)."""
        reading = Reading()
        try:
            if mode in ("page", "article"):
                self._read_page(mode, fetched, reading)
            else:
                self._read_comments(mode, fetched, reading)
        except Exception as exc:  # noqa: BLE001 - counted by the spider as errors/extraction
            reading.error = (type(exc).__name__, str(exc)[:200])
        return reading

    def page(self, fetched: Fetched, response, reading: Reading) -> Page | None:
        try:
            page = Page.parse(fetched.body, fetched.url, rules=self.config.rules, encoding=page_encoding(response),
                              fetched_at=fetched.fetched_at)
        except NotAnArticle as exc:
            reading.inc_value(f"{SKIPPED}{reason_key(exc)}")
            reading.log(logging.INFO, "skipped %s: %s", fetched.url, exc)
            return None
        reading.page_read = True
        return page

    def _read_page(self, mode: str, fetched: Fetched, reading: Reading) -> None:
        response = fetched.response()
        page = self.page(fetched, response, reading)
        if page is None:
            return
        if self.options.follow_links:
            self.read_links(response, page, reading)
        if mode == "page":
            if self.is_article_url(fetched.url) is False:
                reading.not_article = "not an article URL (the site's article_patterns)"
                return
            is_article, reason = looks_like_article(page)
            if not is_article:
                reading.not_article = reason
                return
        self.read_article(page, response, reading)

    def read_article(self, page: Page, response, reading: Reading) -> None:
        try:
            item = parse_article(page, site=self.config.name, with_comments=False)
        except NotAnArticle as exc:
            reading.inc_value(f"{SKIPPED}{reason_key(exc)}")
            reading.log(logging.INFO, "not an article: %s (%s)", response.url, exc)
            return
        # Stored under the page's own same-site rel=canonical, in canonical form (level 1).
        declared = page.tree.xpath("//link[@rel='canonical']/@href")
        # A block theme renders the thread before <head>, so WordPress names the comment page it
        # showed as the canonical URL of the post itself: the article is the URL without it.
        declared = [_COMMENT_PAGE_SUFFIX.sub("/", d) for d in declared[:1]]
        reading.item = replace(
            item, canonical_url=canonical_for_page(response.url, declared[0] if declared else None,
                                                   extra_tracking=self.options.extra_tracking,
                                                   trailing_slash=self.config.trailing_slash),
            http_status=response.status, fetched_at=page.fetched_at, etag=None, last_modified=None,
            extractor_version=extractor_version())
        reading.inc_value(ARTICLE_PAGES)
        count_rule_hits(reading, page)  # site health: does each site rule still match (crawler/monitors)
        reading.alternate_url = alternate_json_url(page)
        # The thread is read now, from the parsed page, even when the article's JSON comes first:
        # no parsed page waits in memory for another response.
        self._thread(reading, lambda: extract_comments(page, self.options.endpoints))

    def _read_comments(self, kind: str, fetched: Fetched, reading: Reading) -> None:
        if kind == "page-comments":
            page = self.page(fetched, fetched.response(), reading)
            if page is not None:
                self._thread(reading, lambda: extract_comments(page, self.options.endpoints))
            return
        reading.page_read = True
        self._thread(reading, lambda: parse_comment_response(kind, fetched.body, fetched.url, rules=self.config.rules,
                                                             endpoints=self.options.endpoints))

    @staticmethod
    def _thread(reading: Reading, parse) -> None:
        try:
            reading.thread = parse()
        except Exception as exc:  # noqa: BLE001 - a thread we cannot read must not lose its article
            reading.thread_error = (type(exc).__name__, repr(exc)[:300])
