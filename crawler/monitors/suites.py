"""Spidermon monitor suites: judged at the end of each crawl, and the stall check during it.

Each monitor compares this run with the site's recent runs (``models.health.recent_runs``),
using the site's thresholds (``[sites.NAME.health]``). A monitor that fails records a
problem (a kind such as ``coverage:authors`` and a one-line message naming the site and the
field) in the shared ``HealthContext``; the health extension (crawler/extensions/health.py)
records the run as ``degraded`` with those messages and sends the alerts. Spidermon runs the
monitors and logs their results; more suites can be added with ``NEWSDESK_HEALTH_SUITES``
(a failed monitor of theirs becomes a problem named after it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from statistics import median

from spidermon import Monitor, MonitorSuite, monitors

from .figures import LABELS, column_of, shown
from .thresholds import HealthThresholds

MIN_REQUESTS = 20  # fewer requests say nothing about an error rate
HEALTHY = ("finished",)  # runs that make a site's recent level: not degraded, not failed


@dataclass
class HealthContext:
    """What the monitors judge: this run, the site's recent runs, the thresholds."""

    site: str
    thresholds: HealthThresholds
    rules: object = None  # the site's SiteRules, to name a selector that stopped matching
    figures: dict = field(default_factory=dict)
    articles_new: int = 0
    history: list = field(default_factory=list)  # models.health.RunFigures, newest first
    last_progress: float = 0.0  # time.monotonic() of the last response or stored article
    problems: dict[str, str] = field(default_factory=dict)  # kind -> message, filled by the monitors
    # Kinds the monitors could judge this run: only those may clear (a re-crawl answered with
    # 304s judges no coverage, and must not announce a broken site as recovered).
    judged: set[str] = field(default_factory=set)

    def baseline(self, column: str, *, min_articles: int | None = None) -> tuple[float | None, int]:
        """The site's recent level of a figure (median of its last healthy runs) and how many runs made it."""
        t = self.thresholds
        runs = [r for r in self.history if r.status in HEALTHY and r.value(column) is not None
                and (min_articles is None or (r.value("articles") or 0) >= min_articles)][:t.history_runs]
        if len(runs) < t.min_history:
            return None, len(runs)
        return median(r.value(column) for r in runs), len(runs)

    def rule_baseline(self, name: str) -> tuple[float | None, int]:
        t = self.thresholds
        runs = [r for r in self.history if r.status in HEALTHY and name in (r.value("rules") or {})
                and (r.value("articles") or 0) >= t.min_articles][:t.history_runs]
        if len(runs) < t.min_history:
            return None, len(runs)
        return median(r.value("rules")[name] for r in runs), len(runs)


class HealthMonitor(Monitor):
    @property
    def health(self) -> HealthContext:
        return self.data.health

    def problem(self, kind: str, message: str) -> None:
        self.health.problems[kind] = message


@monitors.name("Field coverage")
class CoverageMonitor(HealthMonitor):
    @monitors.name("no field fell well below the site's recent level")
    def test_fields_hold_their_level(self):
        h, t = self.health, self.health.thresholds
        articles = h.figures.get("articles") or 0
        if articles < t.min_articles:
            self.skipTest(f"{articles} articles extracted, fewer than min_articles={t.min_articles}")
        drops, judged = [], 0
        for name in t.fields:
            column = column_of(name)
            level, _ = h.baseline(column, min_articles=t.min_articles)
            now = h.figures.get(column)
            if level is None or now is None:
                continue
            judged += 1
            h.judged.add(f"coverage:{name}")
            if level > 0 and now < (1 - t.coverage_drop) * level:
                message = f"{LABELS[column]} {shown(column, now)} of {articles} article pages (recent level {shown(column, level)})"
                self.problem(f"coverage:{name}", message)
                drops.append(message)
        for name, now in (h.figures.get("rules") or {}).items():
            level, _ = h.rule_baseline(name)
            if level is None:
                continue
            judged += 1
            h.judged.add(f"rule:{name}")
            if level > 0 and now < (1 - t.coverage_drop) * level:
                selector = getattr(h.rules, name, None) if h.rules else None
                message = (f"{name} rule{f' {selector!r}' if selector else ''} matched {now:.0%} of article pages "
                           f"(recent level {level:.0%})")
                self.problem(f"rule:{name}", message)
                drops.append(message)
        if not judged:
            self.skipTest(f"fewer than min_history={t.min_history} earlier runs with {t.min_articles}+ articles")
        if drops:
            self.fail(f"site {h.site!r}: " + "; ".join(drops))


@monitors.name("New articles")
class NewArticlesMonitor(HealthMonitor):
    @monitors.name("a site that usually has new articles has some")
    def test_new_articles(self):
        h, t = self.health, self.health.thresholds
        if not t.new_articles_share:
            self.skipTest("new_articles_share = 0")
        # A run in which every article was new is a site's first crawl (or a backfill, or its
        # distributed workers): it stored the archive, and says nothing about how often the site publishes.
        recent = [r for r in h.history if r.status in ("finished", "degraded")
                  and not (r.articles_new and not r.articles_known)][:t.history_runs]
        if len(recent) < t.min_history:
            self.skipTest(f"{len(recent)} earlier runs, fewer than min_history={t.min_history}")
        with_new = sum(1 for r in recent if r.articles_new > 0)
        h.judged.add("new_articles")
        if h.articles_new == 0 and with_new / len(recent) >= t.new_articles_share:
            self.problem("new_articles", f"no new article (the last {len(recent)} runs: {with_new} had new articles)")
            self.fail(h.problems["new_articles"])


@monitors.name("Error rate")
class ErrorRateMonitor(HealthMonitor):
    @monitors.name("the error rate stays near the site's recent level")
    def test_error_rate(self):
        h, t = self.health, self.health.thresholds
        requests, rate = h.figures.get("requests") or 0, h.figures.get("error_rate")
        if requests < MIN_REQUESTS or rate is None:
            self.skipTest(f"{requests} requests, fewer than {MIN_REQUESTS}")
        level, _ = h.baseline("error_rate")
        if level is None:
            self.skipTest(f"fewer than min_history={t.min_history} earlier runs")
        h.judged.add("error_rate")
        if rate > level + t.error_rate_rise:
            reasons = {k: v for k, v in h.figures.get("reasons", {}).items() if k.startswith("errors/")}
            top = ", ".join(f"{k[len('errors/'):]} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
            self.problem("error_rate", f"error rate {rate:.0%} of {requests} requests (recent level {level:.0%})"
                                       + (f": {top}" if top else ""))
            self.fail(h.problems["error_rate"])


@monitors.name("Stall")
class StallMonitor(HealthMonitor):
    @monitors.name("the crawl makes progress")
    def test_progress(self):
        h, t = self.health, self.health.thresholds
        idle = time.monotonic() - h.last_progress
        if idle >= t.stall_minutes * 60:
            self.problem("stalled", f"crawl stalled: no page answered and no article stored for {idle / 60:.1f} min "
                                    f"(stall_minutes = {t.stall_minutes:g})")
            self.fail(h.problems["stalled"])


class RunHealthSuite(MonitorSuite):
    """Run at the end of each crawl."""

    monitors = [CoverageMonitor, NewArticlesMonitor, ErrorRateMonitor]


class StallSuite(MonitorSuite):
    """Run periodically while the crawl runs."""

    monitors = [StallMonitor]


def failed_monitor_problems(result) -> dict[str, str]:
    """Problems for failed monitors that did not record one themselves (suites added by
    NEWSDESK_HEALTH_SUITES): the kind names the monitor, the message is its assertion."""
    out = {}
    for item in result.monitors_failed_results:
        if isinstance(item.monitor, HealthMonitor):
            continue
        reason = (item.reason or (item.error or "").strip().splitlines()[-1:] or ["failed"])
        out[f"monitor:{item.monitor.name}"] = reason if isinstance(reason, str) else reason[0]
    return out
