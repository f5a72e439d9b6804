"""Progress: one line per interval (pages, articles, comments, rate, errors) and a summary.

On a terminal the line is redrawn in place; otherwise it is a plain log line, so cron
mails and CI logs stay readable.
"""
from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

from ..contracts import (
    ARTICLES_NEW,
    ARTICLES_UNCHANGED,
    ARTICLES_UPDATED,
    COMMENTS_NEW,
    COMMENTS_SEEN,
    ERRORS,
    SKIPPED,
    total,
)

logger = logging.getLogger("newsdesk.progress")


class Progress:
    def __init__(self, stats, interval: float, live: bool):
        self.stats = stats
        self.interval = interval
        self.live = live
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        mode = crawler.settings.get("NEWSDESK_PROGRESS")
        live = mode == "live" or (mode == "auto" and sys.stderr.isatty())
        ext = cls(crawler.stats, crawler.settings.getfloat("NEWSDESK_PROGRESS_INTERVAL"), live)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        s = self.stats.get_stats()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        pages = s.get("response_received_count", 0)
        articles = sum(s.get(k, 0) for k in (ARTICLES_NEW, ARTICLES_UPDATED, ARTICLES_UNCHANGED))
        # Once per page given up on (crawler/downloadermiddlewares/failures.py), as crawl_runs.errors counts them.
        errors = total(s, ERRORS)
        skipped = total(s, SKIPPED)
        return (f"pages {pages} ({pages / elapsed:.1f}/s) | articles {articles} "
                f"(new {s.get(ARTICLES_NEW, 0)}) | comments {s.get(COMMENTS_SEEN, 0)} "
                f"(new {s.get(COMMENTS_NEW, 0)}) | skipped {skipped} | errors {errors} | {elapsed:.0f}s")

    def spider_opened(self, spider):
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self):
        if self.live:
            sys.stderr.write("\r\x1b[2K" + self.line())
            sys.stderr.flush()
        else:
            logger.info(self.line())

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.live:
            sys.stderr.write("\r\x1b[2K")
        logger.info("done (%s): %s", reason, self.line())
