"""Expected network failures (refused, DNS, timeouts) are logged as one line, not a traceback.

Scrapy's robots.txt middleware and downloader log such failures with the full exception;
for a site that is down that is a wall of text for one known reason. The reason is kept
in the message and counted in the stats; only the traceback goes.
"""
from __future__ import annotations

import logging

from twisted.internet import error as net
from twisted.web._newclient import ResponseNeverReceived

QUIET = (net.ConnectError, net.DNSLookupError, net.TimeoutError, net.ConnectionLost, ResponseNeverReceived,
         ConnectionRefusedError, TimeoutError)
# Scrapy wraps Twisted's errors in its own exception classes (scrapy.exceptions.Download*).
QUIET_NAMES = {"DownloadConnectionRefusedError", "DownloadTimeoutError", "CannotResolveHostError",
               "DownloadFailedError", "ResponseDataLossError",
               "DownloadCancelledError"}  # a body over DOWNLOAD_MAXSIZE


class QuietNetworkErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        chain = []
        while exc is not None and len(chain) < 5:
            chain.append(exc)
            exc = exc.__cause__ or exc.__context__
        if any(isinstance(e, QUIET) or type(e).__name__ in QUIET_NAMES for e in chain):
            reason = str(chain[0]) or type(chain[0]).__name__
            record.msg = f"{record.getMessage()} ({reason})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class QuietNetworkErrorsExtension:
    """Switched on in settings.EXTENSIONS: puts the filter on every root log handler."""

    @classmethod
    def from_crawler(cls, crawler):
        # On the loggers that report download failures: a filter there sees the record
        # before any handler, whichever root handler Scrapy installs later.
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry",
                     "scrapy.core.scraper", "scrapy.core.engine", "scrapy.core.downloader"):
            logger = logging.getLogger(name)
            if not any(isinstance(f, QuietNetworkErrors) for f in logger.filters):
                logger.addFilter(QuietNetworkErrors())
        return cls()
