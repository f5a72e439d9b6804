"""Crawler traps: URL spaces with no end and no articles (calendars, ``?date=`` day views).

A calendar widget links each month to the next one forever; every page is new to the
duplicate filter, so nothing in Scrapy stops the crawl (DEPTH_LIMIT would also cut off
deep but real pagination). Here a page is judged by what it yields: pages of one URL
*template* (the path and query with every digit run replaced, so /calendar/2024/05/ and
/calendar/2031/11/ are one template) that yield no new article link, NEWSDESK_TRAP_LIMIT
times without one in between, stop being followed. Their links are dropped and counted
as newsdesk/skipped/crawler_trap; article links are never dropped.

"New article link": a link to a URL no page of this crawl has linked before that the site's
article_patterns call an article; on a site without patterns (the page decides), a new link
to another template on the same host.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import NotConfigured

from ..contracts import CRAWLER_TRAPS, SKIPPED, Kind

logger = logging.getLogger("newsdesk.traps")

_DIGITS = re.compile(r"\d+")
JUDGED_KINDS = (Kind.START, Kind.PAGE)  # listings and unknown pages; articles, feeds and sitemaps are never traps


def url_template(url: str) -> str:
    parts = urlsplit(url)
    return _DIGITS.sub("#", parts.netloc + parts.path + ("?" + parts.query if parts.query else ""))


class CrawlerTrapMiddleware:
    """Spider middleware: follows a URL template only while its pages keep yielding new articles."""

    def __init__(self, crawler, limit: int):
        self.crawler = crawler
        self.stats = crawler.stats
        self.limit = limit
        self.seen: set[bytes] = set()  # fingerprints of every link yielded so far
        self.barren: dict[str, int] = {}  # template -> pages without a new article since its last one
        self.trapped: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        limit = crawler.settings.getint("NEWSDESK_TRAP_LIMIT")
        if limit <= 0:
            raise NotConfigured("NEWSDESK_TRAP_LIMIT is 0")
        return cls(crawler, limit)

    async def process_spider_output_async(self, response, result):
        outputs = [obj async for obj in result]
        for obj in self.guard(response, outputs):
            yield obj

    def process_spider_output(self, response, result):
        yield from self.guard(response, list(result))

    def guard(self, response, outputs: list) -> list:
        kind = response.request.meta.get("kind") if response.request is not None else None
        template = url_template(response.url)
        new = self._remember([o for o in outputs if isinstance(o, Request)])
        if kind in JUDGED_KINDS:
            self._judge(template, response, [o for o in outputs if id(o) in new])
        return [o for o in outputs if not self._dropped(o, id(o) in new)]

    def _remember(self, requests: list[Request]) -> set[int]:
        fingerprint = self.crawler.request_fingerprinter.fingerprint
        new = set()
        for request in requests:
            if request.meta.get("kind") == Kind.COMMENTS:  # a thread's pages belong to its article
                continue
            fp = fingerprint(request)
            if fp not in self.seen:
                self.seen.add(fp)
                new.add(id(request))
        return new

    def _judge(self, template: str, response, new_links: list[Request]) -> None:
        if any(self._is_new_article(template, response.url, r) for r in new_links):
            self.barren[template] = 0
            return
        self.barren[template] = self.barren.get(template, 0) + 1
        if self.barren[template] >= self.limit and template not in self.trapped:
            self.trapped.add(template)
            self.stats.inc_value(CRAWLER_TRAPS)
            logger.warning("crawler trap: %d pages like %s yielded no new article; not following that URL "
                           "pattern further (NEWSDESK_TRAP_LIMIT=%d)", self.barren[template], response.url,
                           self.limit)

    def _is_new_article(self, template: str, page_url: str, request: Request) -> bool:
        if request.meta.get("kind") == Kind.ARTICLE:
            return True
        spider = self.crawler.spider
        has_patterns = bool(getattr(getattr(spider, "site_config", None), "article_patterns", ()))
        return (not has_patterns and request.meta.get("kind") == Kind.PAGE
                and urlsplit(request.url).netloc == urlsplit(page_url).netloc
                and url_template(request.url) != template)

    def _dropped(self, obj, is_new: bool) -> bool:
        if not isinstance(obj, Request) or obj.meta.get("kind") not in JUDGED_KINDS:
            return False
        if url_template(obj.url) not in self.trapped:
            return False
        if is_new:
            self.stats.inc_value(SKIPPED + "crawler_trap")
            logger.debug("not following %s: crawler trap", obj.url)
        return True
