"""Run one crawl in this process with the real Scrapy engine (the CLI and the scheduler's
child processes call this; `scrapy crawl news` is the same crawl)."""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field

from models.runs import SKIPPED_REASONS, status_for

from .contracts import CRAWL_RUN_ID, RUN_MESSAGE


@dataclass
class CrawlOutcome:
    reason: str
    stats: dict = field(default_factory=dict)
    start_failures: list[str] = field(default_factory=list)
    config_error: str | None = None

    @property
    def run_id(self) -> int | None:
        return self.stats.get(CRAWL_RUN_ID)

    @property
    def skipped(self) -> bool:
        """Another process was crawling the site (crawler/extensions/crawllock.py)."""
        return self.reason in SKIPPED_REASONS

    @property
    def message(self) -> str | None:
        return self.stats.get(RUN_MESSAGE)

    @property
    def ok(self) -> bool:
        """The crawl did its job: the status its crawl_runs row is recorded with is "finished"."""
        if self.config_error:
            return False
        reached_site = not (self.start_failures and not self.stats.get("response_received_count"))
        return status_for(self.reason, reached_site=reached_site) == "finished"


def newsdesk_settings(**overrides) -> dict:
    """The NEWSDESK_* settings of crawler/settings.py (the one place for their defaults), with
    overrides: for components built outside a crawl (``get_crawler(settings_dict=...)`` in
    tests and benchmarks)."""
    from . import settings

    return {**{k: v for k, v in vars(settings).items() if k.startswith("NEWSDESK_")}, **overrides}


def crawl_settings(db_url: str | None, overrides: dict | None = None, origin: str | None = None):
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    if db_url:
        settings.set("NEWSDESK_DATABASE_URL", db_url, priority="cmdline")
    if origin:  # what started the crawl, for crawl_runs.origin and lock messages
        settings.set("NEWSDESK_RUN_ORIGIN", origin, priority="cmdline")
    live = sys.stderr.isatty()
    if live and "LOG_LEVEL" not in (overrides or {}):
        # On a terminal the progress line is the output; warnings and errors still show.
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    # The newsdesk commands print their own summary (and store every stat in crawl_runs), so
    # Scrapy's start-up listings and end-of-crawl stats dump would only bury the progress lines.
    settings.set("STATS_DUMP", False, priority="cmdline")
    settings.set("LOG_VERSIONS", [], priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


# Loggers whose INFO records list components and settings at start-up.
_STARTUP_LOGGERS = ("scrapy.middleware", "scrapy.crawler", "scrapy.addons", "alembic.runtime.plugins",
                    "scrapy.extensions.telnet")


def _not_alembic_context(record: logging.LogRecord) -> bool:
    # Alembic announces its dialect and DDL mode each time it opens a migration context
    # (twice per crawl); the "Running upgrade" lines are the ones worth reading.
    return not record.getMessage().startswith(("Context impl", "Will assume"))


def run_crawl(*, site: str | None = None, url: str | None = None, db_url: str | None = None,
              sites_file: str | None = None, overrides: dict | None = None,
              origin: str = "crawl") -> CrawlOutcome:
    from scrapy.crawler import CrawlerProcess

    settings = crawl_settings(db_url, overrides, origin)
    process = CrawlerProcess(settings)
    if settings.get("LOG_LEVEL") != "DEBUG":
        # After CrawlerProcess: its logging set-up resets the levels of Scrapy's loggers.
        for name in _STARTUP_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        migration_logger = logging.getLogger("alembic.runtime.migration")
        if _not_alembic_context not in migration_logger.filters:
            migration_logger.addFilter(_not_alembic_context)
    kwargs = {k: v for k, v in (("site", site), ("url", url), ("sites_file", sites_file)) if v}
    crawler = process.create_crawler("news")
    process.crawl(crawler, **kwargs)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    return CrawlOutcome(
        reason=stats.get("finish_reason", "unknown"), stats=stats,
        start_failures=list(getattr(spider, "start_failures", [])),
        config_error=getattr(spider, "config_error", None),
    )
