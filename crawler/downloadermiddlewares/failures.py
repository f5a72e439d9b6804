"""Named reasons for pages that never reach the spider, counted once per URL given up on.

Scrapy's own components do the work: RedirectMiddleware follows redirects up to
REDIRECT_MAX_TIMES, RetryMiddleware retries 5xx and timeouts, the download handler cancels
bodies over DOWNLOAD_MAXSIZE, HttpErrorMiddleware keeps 4xx/5xx from the callbacks. What they
count is per attempt and by exception class (downloader/exception_type_count/...,
retry/reason_count/...), and two cases are not counted at all: "max redirections reached"
ends silently, and a redirect loop is dropped by the duplicate filter as if the page had been
crawled. These two middlewares only name the outcome:

- ``RedirectGuardMiddleware`` (redirects.py, before RedirectMiddleware sees the response):
  newsdesk/skipped/redirect_loop and newsdesk/skipped/too_many_redirects;
- ``FailureReasonsMiddleware`` (after RetryMiddleware has given up): newsdesk/errors/timeout,
  .../connection_refused, .../dns, .../data_loss, .../download_failed, .../http_5xx codes;
  newsdesk/skipped/too_large and newsdesk/skipped/http_4xx codes; and
  newsdesk/recovered_after_retry for a page a retry saved.

Only the spider's own requests (they carry meta "kind") are counted: Scrapy's robots.txt
fetch is not a page of the site. crawl_runs.errors is the sum of newsdesk/errors/*.
"""
from __future__ import annotations

import logging

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as net

from ..contracts import ERRORS, PREFIX, RECOVERED_AFTER_RETRY, SKIPPED, is_site_request

logger = logging.getLogger("newsdesk.failures")

# Reasons under newsdesk/ (crawler/contracts.py: ERRORS, SKIPPED).
EXCEPTION_REASONS = (
    ((DownloadTimeoutError, net.TimeoutError, TimeoutError), "errors/timeout"),
    ((DownloadConnectionRefusedError, net.ConnectionRefusedError, ConnectionRefusedError), "errors/connection_refused"),
    ((CannotResolveHostError, net.DNSLookupError), "errors/dns"),
    ((ResponseDataLossError,), "errors/data_loss"),
    ((DownloadCancelledError,), "skipped/too_large"),  # DOWNLOAD_MAXSIZE is its only canceller in a crawl
    ((DownloadFailedError, net.ConnectError, net.ConnectionLost, net.ConnectionDone), "errors/download_failed"),
)


class FailureReasonsMiddleware:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request, response):
        if not is_site_request(request):
            return response
        if response.status >= 500:
            self.stats.inc_value(f"{ERRORS}http_{response.status}")
        elif response.status >= 400:
            self.stats.inc_value(f"{SKIPPED}http_{response.status}")
        elif request.meta.get("retry_times"):
            self.stats.inc_value(RECOVERED_AFTER_RETRY)
        return response

    def process_exception(self, request, exception):
        if not is_site_request(request) or isinstance(exception, IgnoreRequest):
            return None
        reason = next((name for types, name in EXCEPTION_REASONS if isinstance(exception, types)),
                      "errors/download_failed")
        self.stats.inc_value(PREFIX + reason)
        logger.debug("gave up on %s: %s (%s)", request.url, reason, exception)
        return None
