"""Retries that wait: exponential backoff, and a server's Retry-After.

Scrapy's RetryMiddleware re-schedules a failed request at once (only its priority drops),
so a server answering 429 "slow down" or 503 "back in a minute" is asked again within
milliseconds, RETRY_TIMES times, and the page is given up on while the server is still
busy. This middleware sits just before RetryMiddleware and, when a response or an error is
going to be retried, waits first: NEWSDESK_RETRY_BACKOFF seconds doubled per earlier retry,
or the response's Retry-After (seconds or an HTTP date) when that is longer; never more than
NEWSDESK_RETRY_MAX_DELAY. The wait is asynchronous: other requests go on meanwhile.
Waits are counted in newsdesk/retry_waits and newsdesk/retry_wait_seconds.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.misc import load_object

logger = logging.getLogger("newsdesk.backoff")


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: ``120`` or ``Wed, 21 Oct 2026 07:28:00 GMT``."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryBackoffMiddleware:
    def __init__(self, crawler, *, base: float, max_delay: float, max_retries: int, codes: set[int],
                 exceptions: tuple):
        self.stats = crawler.stats
        self.base, self.max_delay, self.max_retries = base, max_delay, max_retries
        self.codes, self.exceptions = codes, exceptions

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("RETRY_ENABLED") or s.getfloat("NEWSDESK_RETRY_MAX_DELAY", 60.0) <= 0:
            raise NotConfigured("no retries, or no waiting between them")
        exceptions = tuple(load_object(e) if isinstance(e, str) else e for e in s.getlist("RETRY_EXCEPTIONS"))
        return cls(crawler, base=s.getfloat("NEWSDESK_RETRY_BACKOFF", 1.0),
                   max_delay=s.getfloat("NEWSDESK_RETRY_MAX_DELAY", 60.0), max_retries=s.getint("RETRY_TIMES"),
                   codes={int(c) for c in s.getlist("RETRY_HTTP_CODES")}, exceptions=exceptions)

    def _will_retry(self, request) -> bool:
        if request.meta.get("dont_retry"):
            return False
        return request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retries)

    def delay(self, request, retry_after: float | None = None) -> float:
        backoff = self.base * 2 ** request.meta.get("retry_times", 0)
        return min(max(backoff, retry_after or 0.0), self.max_delay)

    async def _wait(self, request, seconds: float, why: str):
        if seconds <= 0:
            return
        self.stats.inc_value("newsdesk/retry_waits")
        self.stats.inc_value("newsdesk/retry_wait_seconds", round(seconds, 3))
        logger.info("waiting %.1fs before retrying %s (%s)", seconds, request.url, why)
        await sleep(seconds)

    async def process_response(self, request, response):
        if response.status in self.codes and self._will_retry(request):
            after = retry_after_seconds(response.headers.get(b"Retry-After"))
            await self._wait(request, self.delay(request, after), f"HTTP {response.status}"
                             + (f", Retry-After {after:g}s" if after is not None else ""))
        return response

    async def process_exception(self, request, exception):
        if isinstance(exception, self.exceptions) and self._will_retry(request):
            await self._wait(request, self.delay(request), type(exception).__name__)
        return None
