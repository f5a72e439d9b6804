"""HealthExtension: per-run health figures, Spidermon monitors, and alerts.

- On each stored article it counts which fields the article has (``newsdesk/health/*``).
- While the crawl runs, a LoopingCall runs the stall suite (crawler/monitors/suites.py)
  every quarter of the site's ``stall_minutes``: no response and no stored article for that
  long opens a ``stalled`` problem and alerts at once.
- When the spider closes, it computes the run's figures from the stats, runs the end-of-run
  suites against the site's recent runs, stores the figures in ``run_health``, opens and
  clears the site's problems in ``health_problems`` and sends one alert for what changed. A
  run that failed a monitor is recorded ``degraded`` with the monitors' messages (stats
  ``newsdesk/health/message``, read when crawler/extensions/runs.py closes the run's row).

It must close before the crawl's run row is written: it is listed before the run bookkeeping
in EXTENSIONS, and signal handlers run in the order components were made.
"""
from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task, threads

from ..contracts import (
    ARTICLES_NEW,
    CRAWL_RUN_ID,
    HEALTH,
    HEALTH_MESSAGE,
    HEALTH_PROBLEMS,
    HEALTH_STALLED,
    START_FAILURES,
)
from ..items import ArticleItem
from ..monitors.alerts import AlertConfigError, Alerts
from ..monitors.figures import count_article, run_figures
from ..monitors.suites import HealthContext, StallSuite, failed_monitor_problems

logger = logging.getLogger("newsdesk.health")

# Ends of a crawl whose figures say something about the site (a cancelled or failed crawl
# stored what it had, but is not judged against the site's recent level).
JUDGED_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout")


class HealthExtension:
    def __init__(self, crawler, database_url: str, suites: list[str], alerts: Alerts):
        from models.db import resolve_url

        self.crawler = crawler
        self.stats = crawler.stats
        self.url = resolve_url(database_url)
        self.suite_paths = suites
        self.alerts = alerts
        self.context: HealthContext | None = None
        self.loop: task.LoopingCall | None = None
        self.stall_announced = False

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NEWSDESK_STORE", True):
            raise NotConfigured("no database: NEWSDESK_STORE is off")
        if not s.getbool("NEWSDESK_HEALTH_ENABLED", True):
            raise NotConfigured("NEWSDESK_HEALTH_ENABLED is off")
        try:
            alerts = Alerts.from_env()
        except AlertConfigError as exc:  # a bad alert target must not stop the crawl; say so once
            logger.error("alerts off: %s", exc)
            alerts = Alerts()
        ext = cls(crawler, s.get("NEWSDESK_DATABASE_URL"), s.getlist("NEWSDESK_HEALTH_SUITES"), alerts)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.progressed, signal=signals.response_received)
        return ext

    # --- during the crawl ------------------------------------------------------------------

    def spider_opened(self, spider):
        cfg = getattr(spider, "site_config", None)
        if cfg is None:
            return
        self.context = HealthContext(site=cfg.name, thresholds=cfg.health, rules=cfg.rules,
                                     last_progress=time.monotonic())
        stall = cfg.health.stall_minutes * 60
        if cfg.health.enabled and stall > 0:
            self.loop = task.LoopingCall(self.check_stall, spider)
            self.loop.start(max(stall / 4, 1.0), now=False)

    def progressed(self, *args, **kwargs):
        if self.context is not None:
            self.context.last_progress = time.monotonic()

    def item_scraped(self, item, response, spider):
        if isinstance(item, ArticleItem):
            count_article(self.stats, item)
            self.progressed()

    def run_suite(self, suite, spider):
        # Spidermon's plain runner: its Scrapy runner logs some twenty banner lines per suite
        # through the deprecated Spider.log; what failed is logged once below, by message.
        from spidermon import MonitorRunner

        result = MonitorRunner().run(suite, stats=self.stats.get_stats(), crawler=self.crawler, spider=spider,
                                     health=self.context)
        for item in result.monitors_failed_results:
            if item.error and not item.reason:  # a monitor that raised: a bug, not a finding
                logger.error("monitor %s raised: %s", item.monitor.name, item.error.strip().splitlines()[-1])
        return result

    def check_stall(self, spider):
        if self.stall_announced:
            return None
        self.run_suite(StallSuite(crawler=self.crawler), spider)
        message = self.context.problems.get("stalled")
        if not message:
            return None
        self.stall_announced = True
        logger.error("site %r: %s", self.context.site, message)
        self.stats.set_value(HEALTH_STALLED, message)
        change = self._update_problems({"stalled": message}, judged=set())
        return self._announce(change)

    # --- at the end ------------------------------------------------------------------------

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        run_id = self.stats.get_value(CRAWL_RUN_ID)
        if self.context is None or run_id is None or reason == "locked":
            return None
        from models import health

        h = self.context
        h.figures = run_figures(self.stats.get_stats())
        h.articles_new = self.stats.get_value(ARTICLES_NEW, 0)
        judged = reason in JUDGED_REASONS and h.thresholds.enabled and not (
            self.stats.get_value(START_FAILURES) and not self.stats.get_value("response_received_count"))
        try:
            with self._sessions().begin() as session:
                h.history = health.recent_runs(session, h.site, limit=max(h.thresholds.history_runs * 3, 10),
                                               before_run=run_id)
        except SQLAlchemyError as exc:
            logger.error("site health not judged: could not read the site's recent runs: %s", exc)
            judged = False
        if judged:
            for path in self.suite_paths:
                result = self.run_suite(load_object(path)(crawler=self.crawler), spider)
                h.problems.update(failed_monitor_problems(result))
        problems = dict(h.problems)
        if problems:
            message = f"site {h.site!r} degraded: " + "; ".join(dict.fromkeys(problems.values()))
            self.stats.set_value(HEALTH_MESSAGE, message)
            self.stats.set_value(HEALTH_PROBLEMS, sorted(problems))
            logger.warning(message)
        try:
            with self._sessions().begin() as session:
                site_id = health.site_id_of(session, h.site)
                health.record_run_health(session, run_id, site_id, h.figures, problems)
        except SQLAlchemyError as exc:
            logger.error("could not record the run's health figures: %s", exc)
            return None
        if not judged:
            return None
        # What may clear: what the monitors judged, a stall (this run did not stall, or it would
        # be in problems), a missed schedule (the site ran), and the problems of added suites.
        judged_kinds = h.judged | {"stalled", "overdue", "monitor:"}
        return self._announce(self._update_problems(problems, judged=judged_kinds, run_id=run_id))

    # --- problems and alerts ---------------------------------------------------------------

    def _sessions(self):
        from models.db import session_factory

        return session_factory(self.url)

    def _update_problems(self, found, *, judged, run_id=None):
        from models import health

        try:
            with self._sessions().begin() as session:
                return health.update_problems(session, self.context.site, found, judged=judged,
                                              run_id=run_id or self.stats.get_value(CRAWL_RUN_ID))
        except SQLAlchemyError as exc:
            logger.error("could not record the site's health problems: %s", exc)
            return None

    def _announce(self, change):
        if not change:
            return None
        for kind, _ in change.cleared:
            logger.info("site %r: %s cleared", change.site, kind)
        if not self.alerts:
            return None

        def delivered(failures):
            if failures:
                self.stats.inc_value(HEALTH + "alerts_failed", len(failures))
            else:
                self.stats.inc_value(HEALTH + "alerts_sent")

        # In a thread: an SMTP server or webhook that is slow to answer must not block the reactor.
        return threads.deferToThread(self.alerts.send, change).addCallback(delivered)
