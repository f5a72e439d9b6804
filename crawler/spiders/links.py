"""The links of a read page, the part of crawler/spiders/reading.py that finds what to request
next: every link as Scrapy's LinkExtractor finds it, the page's advertised feeds, and the cap
on links per page. Mixed into PageReader (which decides, link by link, what to request)."""
from __future__ import annotations

import logging
import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

from w3lib.html import get_base_url, strip_html5_whitespace
from w3lib.url import safe_url_string

from ..contracts import SKIPPED
from ..extract.page import Page

# Comment pages are reached through the article, never as listings.
COMMENT_PAGE = re.compile(r"/comment-page-\d+/?|[?&]cpage=\d+|[?&]replytocom=")
_LINK_SCHEMES = frozenset({"http", "https", "file", "ftp"})  # LinkExtractor's valid URLs
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_FEED_LINKS = "//link[@rel='alternate'][" + " or ".join(f"@type='{t}'" for t in _FEED_TYPES) + "]/@href"


class PageLinks:
    def read_links(self, response, page: Page, reading) -> None:
        """The links to request and the feeds of the page, into ``reading`` (a Reading)."""
        limit = self.options.max_links
        hrefs = page.tree.xpath("//a/@href | //area/@href")
        if page.link_farm_hrefs or limit and len(hrefs) > 2 * limit:
            # LinkExtractor costs ~0.4 ms a link (40 s for a page of 100,000): a page far over
            # the limit has its links read from the parsed tree, article links first.
            urls = self._many_links(response.url, hrefs + page.link_farm_hrefs, limit, reading)
        else:
            occurrences = Counter(hrefs)
            urls = self.extracted_links(response, page, occurrences)
            # Scrapy's LinkExtractor drops links urllib cannot read (a port of 99999 or "abc", a
            # broken IPv6 host) without a word; they are counted here.
            if unreadable := sum(n for href, n in occurrences.items() if _unreadable_link(response.url, href)):
                reading.inc_value(SKIPPED + "invalid_url", unreadable)
            if limit and len(urls) > limit:
                urls.sort(key=self._link_rank)
        for url in self.capped(urls, response.url, reading):
            wanted, verdict = self.plan(url, reading)
            if wanted:
                reading.links.append((url, verdict))
        # Feeds a page advertises are discovery too.
        for href in page.tree.xpath(_FEED_LINKS):
            url = response.urljoin(href)
            if not COMMENT_PAGE.search(url) and "/comments/feed" not in url:
                reading.feeds.append(url)

    def extracted_links(self, response, page: Page, hrefs) -> list[str]:
        """What Scrapy's LinkExtractor(deny=[COMMENT_PAGE], deny_extensions=[]) finds on the page
        (same joins, same filters, same order, the same duplicates dropped), read from the tree
        already parsed (LinkExtractor parses the page a second time) and each distinct href joined
        once (an article page links the same few URLs many times over)."""
        base = get_base_url(page.html[:4096], response.url)
        urls, seen = [], set()
        for href in dict.fromkeys(strip_html5_whitespace(h) for h in hrefs):
            try:
                url = urljoin(base, href)
                # The page's encoding matters only to a non-ASCII URL (it is asked for only then).
                url = urljoin(response.url, safe_url_string(url, encoding="utf-8" if url.isascii()
                                                            else response.encoding))
            except ValueError:  # bogus links, skipped as LinkExtractor skips them
                continue
            if url in seen:  # the first of the same link, before filtering (LinkExtractor's unique=True)
                continue
            seen.add(url)
            if url.split("://", 1)[0] in _LINK_SCHEMES and not COMMENT_PAGE.search(url):
                urls.append(url)
        return urls

    def _link_rank(self, url: str) -> int:
        """0 for a link the site's article patterns match (on the link as written), else 1."""
        path = url.split("#", 1)[0].split("://", 1)[-1].partition("/")[2]
        return 0 if any(r.search("/" + path) for r in self.article_res) else 1

    def _many_links(self, base: str, hrefs: list[str], limit: int, stats) -> list[str]:
        """The page's distinct links, article links first; only the first ``limit`` are made
        absolute (urljoin is most of the cost), the rest are returned as written, to be counted."""
        distinct = sorted(dict.fromkeys(h.strip().split("#", 1)[0] for h in hrefs), key=self._link_rank)
        urls = []
        for href in distinct[:limit] if limit else distinct:
            try:
                url = urljoin(base, href)
            except ValueError:  # a broken IPv6 host
                stats.inc_value(SKIPPED + "invalid_url")
                continue
            if url.startswith(("http://", "https://")) and not COMMENT_PAGE.search(url):
                urls.append(url)
        return urls + distinct[limit:] if limit else urls

    def capped(self, links: list, page_url: str, reading) -> list:
        """At most NEWSDESK_MAX_LINKS_PER_PAGE links of one page or feed (a page of 100,000
        links would queue them all); the rest are counted as newsdesk/skipped/links_over_limit."""
        limit = self.options.max_links
        if not limit or len(links) <= limit:
            return links
        reading.inc_value(SKIPPED + "links_over_limit", len(links) - limit)
        reading.inc_value("newsdesk/pages_over_link_limit")
        reading.log(logging.WARNING, "%s has %d links: following the first %d (NEWSDESK_MAX_LINKS_PER_PAGE)",
                    page_url, len(links), limit)
        return links[:limit]


def _unreadable_link(base: str, href: str) -> bool:
    if "//" not in href:  # a relative link takes the page's own (readable) host and port
        return False
    try:
        urlsplit(urljoin(base, href.strip())).port  # noqa: B018 - raises ValueError when unreadable
    except ValueError:
        return True
    return False
