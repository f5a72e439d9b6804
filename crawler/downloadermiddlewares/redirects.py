"""RedirectGuardMiddleware: names the redirects Scrapy gives up on without saying so.

RedirectMiddleware ends a chain over REDIRECT_MAX_TIMES silently ("max redirections reached"),
and a redirect loop is dropped by the duplicate filter as if the page had been crawled. This
middleware, placed before RedirectMiddleware sees the response, counts them as
newsdesk/skipped/redirect_loop and newsdesk/skipped/too_many_redirects (with a warning naming
the chain), for the spider's own requests only.
"""
from __future__ import annotations

import logging
from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest

from ..contracts import SKIPPED, is_site_request

logger = logging.getLogger("newsdesk.failures")

REDIRECT_CODES = (301, 302, 303, 307, 308)


class RedirectGuardMiddleware:
    def __init__(self, stats, max_redirects: int):
        self.stats, self.max_redirects = stats, max_redirects

    @classmethod
    def from_crawler(cls, crawler):
        enabled = crawler.settings.getbool("REDIRECT_ENABLED")
        return cls(crawler.stats, crawler.settings.getint("REDIRECT_MAX_TIMES") if enabled else 0)

    def process_response(self, request, response):
        if (response.status not in REDIRECT_CODES or b"Location" not in response.headers
                or not is_site_request(request) or request.meta.get("dont_redirect")):
            return response
        target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            self._skip("redirect_loop", request, " -> ".join([*chain, target]))
        # The same test RedirectMiddleware makes before it gives up with "max redirections reached".
        if request.meta.get("redirect_times", 0) + 1 > self.max_redirects:
            self._skip("too_many_redirects", request, f"more than {self.max_redirects} redirects from {chain[0]}")
        return response

    def _skip(self, reason: str, request, detail: str):
        self.stats.inc_value(SKIPPED + reason)
        logger.warning("skipped %s: %s (%s)", request.url, reason.replace("_", " "), detail)
        raise IgnoreRequest(reason)
