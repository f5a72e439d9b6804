"""ConditionalRequestsMiddleware (downloader middleware): a known article page is requested
with If-None-Match/If-Modified-Since, and a 304 ends there. What a re-crawl knows, and the
spider middleware that orders known URLs last, are described in
crawler/spidermiddlewares/recrawl.py."""
from __future__ import annotations

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from sqlalchemy.exc import SQLAlchemyError

from models import fetchstate

from ..contracts import ARTICLE_KINDS, ARTICLES_UNCHANGED, NOT_MODIFIED, RECRAWL
from ..spidermiddlewares.recrawl import SeenUrls, utcnow

CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class ConditionalRequestsMiddleware(SeenUrls):
    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        # A redirect copies the headers and meta of the request it replaces: decide afresh.
        for header in CONDITIONAL_HEADERS:
            request.headers.pop(header, None)
        request.meta.pop("newsdesk_known", None)
        # Only article pages (reached by a link, a feed or a sitemap) may be answered from what
        # is known; start pages, feeds, sitemaps, robots.txt and comment pages are fetched in full.
        if request.meta.get("kind") not in ARTICLE_KINDS or not self.has_state:
            return None
        url = self.key(request.url)
        try:
            with self.sessions() as session:
                known = fetchstate.known_page(session, url)
        except SQLAlchemyError:  # the database is away (a restart): fetch the page in full
            self.stats.inc_value(f"{RECRAWL}state_unavailable")
            return None
        if known is None:
            return None
        now = utcnow()
        if known.expired(now, self.max_age_days):
            self.stats.inc_value(RECRAWL + "expired")
            return None
        if known.recent(now, self.revisit_days):
            self.stats.inc_value(RECRAWL + "revisited")
            return None
        if not (known.etag or known.last_modified):
            self.stats.inc_value(RECRAWL + "no_validators")
            return None
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        request.meta["newsdesk_known"] = (url, known.article_id)
        self.stats.inc_value(RECRAWL + "conditional")
        return None

    def process_response(self, request: Request, response):
        known = request.meta.get("newsdesk_known")
        if known is None:
            return response
        url, article_id = known
        if response.status == 304:
            try:
                with self.sessions.begin() as session:
                    fetchstate.mark_not_modified(session, url, article_id)
            except SQLAlchemyError:  # last_seen_at stays as it was; the article is unchanged all the same
                self.stats.inc_value(f"{RECRAWL}state_unavailable")
            self.stats.inc_value(NOT_MODIFIED)
            self.stats.inc_value(ARTICLES_UNCHANGED)
            raise IgnoreRequest(f"not modified: {request.url}")
        if response.status >= 400:
            try:
                with self.sessions.begin() as session:
                    fetchstate.mark_error(session, url, response.status)
            except SQLAlchemyError:
                self.stats.inc_value(f"{RECRAWL}state_unavailable")
            self.stats.inc_value(f"{RECRAWL}known_url_status/{response.status}")
        return response
