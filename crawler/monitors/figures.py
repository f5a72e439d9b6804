"""A crawl run's health figures, from its Scrapy stats (no second bookkeeping).

The coverage counters ``newsdesk/health/*`` are counted by the health extension on each
stored article (crawler/extensions/health.py); the rest are the crawl's own stats.
"""
from __future__ import annotations

from datetime import datetime, timezone

from ..contracts import ARTICLE_PAGES, COMMENT_THREADS_FAILED, ERRORS, HEALTH, LISTINGS, PREFIX, SKIPPED, total
from .thresholds import COVERAGE_FIELDS

# ArticleItem attribute of each measured field.
ITEM_FIELDS = {"title": "title", "authors": "authors", "published": "published_at", "body": "body_text",
               "section": "section", "image": "image_url", "language": "language"}


def count_article(stats, item) -> None:
    """One stored article: which fields it has, and its comments."""
    stats.inc_value(HEALTH + "articles")
    for name, attr in ITEM_FIELDS.items():
        value = getattr(item, attr, None)
        if value not in (None, "", [], ()):
            stats.inc_value(f"{HEALTH}with_{name}")
    stats.inc_value(HEALTH + "comments", len(item.comments or ()))


RULE_FIELDS = ("title", "authors", "published", "section", "body")


def count_rule_hits(stats, page) -> None:
    """One article page: did each of the site's selector rules ([sites.NAME.rules]) match?
    A rule that stops matching is the surest sign of a redesign, even where the generic
    extractor still finds the field (perhaps with the page's furniture in it)."""
    for name in RULE_FIELDS:
        selector = getattr(page.rules, name, None)
        if selector:
            stats.inc_value(f"{HEALTH}rule_pages/{name}")
            if page.tree.cssselect(selector):
                stats.inc_value(f"{HEALTH}rule_hits/{name}")


def run_figures(stats: dict, now: datetime | None = None) -> dict:
    """The run_health columns of one run (shares are None where there is nothing to divide)."""
    articles = stats.get(HEALTH + "articles", 0)
    figures: dict = {"articles": articles}
    for name in COVERAGE_FIELDS:
        figures[f"{name}_coverage"] = stats.get(f"{HEALTH}with_{name}", 0) / articles if articles else None
    figures["comments_per_article"] = stats.get(HEALTH + "comments", 0) / articles if articles else None
    figures["comment_threads_failed"] = stats.get(COMMENT_THREADS_FAILED, 0)
    classified = stats.get(ARTICLE_PAGES, 0) + stats.get(LISTINGS, 0)
    figures["article_share"] = stats.get(ARTICLE_PAGES, 0) / classified if classified else None
    requests = stats.get("downloader/request_count", 0)
    figures["requests"] = requests
    figures["error_rate"] = total(stats, ERRORS) / requests if requests else None
    figures["skip_rate"] = total(stats, SKIPPED) / requests if requests else None
    figures["reasons"] = {k[len(PREFIX):]: v for k, v in sorted(stats.items())
                          if k.startswith((ERRORS, SKIPPED)) and isinstance(v, int)}
    figures["rules"] = {k.rsplit("/", 1)[1]: stats.get(f"{HEALTH}rule_hits/{k.rsplit('/', 1)[1]}", 0) / v
                        for k, v in sorted(stats.items()) if k.startswith(f"{HEALTH}rule_pages/") and v}
    started = stats.get("start_time")
    elapsed = stats.get("elapsed_time_seconds")
    if elapsed is None and isinstance(started, datetime):
        now = now or datetime.now(timezone.utc)
        elapsed = (now - (started if started.tzinfo else started.replace(tzinfo=timezone.utc))).total_seconds()
    pages = stats.get("response_received_count", 0)
    figures["pages_per_second"] = pages / elapsed if elapsed else None
    return figures


# How a figure is named in messages and tables.
LABELS = {**{f"{n}_coverage": f"{n} coverage" for n in COVERAGE_FIELDS},
          "comments_per_article": "comments per article", "error_rate": "error rate"}


def column_of(field_name: str) -> str:
    """The run_health column a monitored field is judged on."""
    return "comments_per_article" if field_name == "comments" else f"{field_name}_coverage"


def shown(column: str, value) -> str:
    if value is None:
        return "–"
    if column == "comments_per_article" or column == "pages_per_second":
        return f"{value:.1f}"
    if column.endswith(("_coverage", "_rate", "_share")):
        return f"{value:.0%}"
    return str(value)
