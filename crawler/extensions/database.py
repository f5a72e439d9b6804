"""DatabaseCheckExtension: a crawl whose database cannot be reached ends at once, in one line.

Without it, every component that touches the database (the re-crawl middlewares, the crawl
lock, the store pipeline) fails on its own when the crawl opens, each with a traceback
(a PostgreSQL server that is down gave 230 lines and "crawl ended: unknown"). This extension
is built before them (extensions are built before the engine): it connects once; when that
fails it logs one error line naming the database (its password masked) and why, turns
storage off for this crawl (the components that need the database then stand aside), and the
spider closes before its first request with reason ``database_unavailable``
(crawl_runs cannot record it: the message is in the log and the command's exit line).
``newsdesk crawl`` makes the same check before it starts the engine.
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured

from models.db import DatabaseConfigError, check_connection, resolve_url

logger = logging.getLogger("newsdesk.database")

UNAVAILABLE = "database_unavailable"


class DatabaseCheckExtension:
    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NEWSDESK_STORE", True):
            raise NotConfigured("NEWSDESK_STORE is off")
        try:
            check_connection(resolve_url(s.get("NEWSDESK_DATABASE_URL")))
        except DatabaseConfigError as exc:
            logger.error("%s", exc)
            # Settings are not frozen yet: the components built after this one read these.
            s.set("NEWSDESK_STORE", False, priority="cmdline")
            s.set("NEWSDESK_DATABASE_ERROR", str(exc), priority="cmdline")
            crawler.stats.set_value("newsdesk/run_message", str(exc))
        raise NotConfigured("checked")  # nothing to do during the crawl
