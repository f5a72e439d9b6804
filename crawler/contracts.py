"""Names that several components share, written once: the kinds of request the spider makes
(``request.meta["kind"]``) and the stats keys the crawl counts under.

A middleware decides by a request's kind (only article pages are asked conditionally, only
listings are judged as traps, only the spider's own requests are counted as failures); the
progress line, ``crawl_runs`` and ``newsdesk stats`` read the counters that the spider, the
middlewares and the pipelines write. A key misspelt on one side would be a silent zero on the
other, so both sides import it from here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping


class Kind:
    """``request.meta["kind"]``: why the spider asked for a URL."""

    START = "start"  # a start URL of the site (the front page, section pages)
    FEED = "feed"  # an RSS/Atom feed
    SITEMAP = "sitemap"  # a sitemap or sitemap index (news sitemaps included)
    ROBOTS = "robots"  # robots.txt, read for its Sitemap: lines
    ARTICLE = "article"  # a URL the site's article_patterns call an article
    PAGE = "page"  # an in-site link the page itself must classify (article or listing)
    COMMENTS = "comments"  # a further page of an article's comment thread
    ARTICLE_DATA = "article_data"  # the article's own JSON the page links (WordPress's REST post: its UTC times)


# Requests that may lead to an article (and may be answered from what a re-crawl knows).
ARTICLE_KINDS = (Kind.ARTICLE, Kind.PAGE)


def is_site_request(request) -> bool:
    """The spider's own requests carry a kind; Scrapy's (robots.txt for RobotsTxtMiddleware) do not."""
    return "kind" in request.meta


# --- stats keys -------------------------------------------------------------------------------
# Counters; a key ending in "/" is a prefix, completed by a reason or an outcome.
PREFIX = "newsdesk/"
ARTICLES_NEW = "newsdesk/articles_new"
ARTICLES_UPDATED = "newsdesk/articles_updated"
ARTICLES_UNCHANGED = "newsdesk/articles_unchanged"
ARTICLES_STALE = "newsdesk/articles_stale"  # an older copy of a stored article: kept as a version only
ARTICLES_DROPPED = "newsdesk/articles_dropped/"  # + why validation dropped it
ARTICLE_PAGES = "newsdesk/article_pages"
COMMENTS_NEW = "newsdesk/comments_new"
COMMENTS_UPDATED = "newsdesk/comments_updated"
COMMENTS_DELETED = "newsdesk/comments_deleted"
COMMENTS_SEEN = "newsdesk/comments_seen"
COMMENTS_DROPPED = "newsdesk/comments_dropped/"  # + why validation dropped it
COMMENTS_ORPHANED = "newsdesk/comments_orphaned"
COMMENT_PAGES = "newsdesk/comment_pages"
# Threads given up on: the bare key counts threads, the prefixed ones their reasons.
COMMENT_THREADS_FAILED = "newsdesk/comment_threads_failed"
DUPLICATES = "newsdesk/duplicates/"  # + url, content, near
ERRORS = "newsdesk/errors/"  # + reason: pages (and stores) given up on, once each; crawl_runs.errors
SKIPPED = "newsdesk/skipped/"  # + reason: pages left out on purpose (not HTML, too large, a trap, ...)
STORE_RETRIES = "newsdesk/store_retries"  # writes tried again after the database went away
LISTINGS = "newsdesk/listings"
# Pages the classifier (crawler/extract/classify.py) found not to be articles: the total among the
# skipped, and each kind of page (tag_page, date_archive, home_page, ...) under the prefix.
NOT_AN_ARTICLE = SKIPPED + "not_an_article"
NOT_AN_ARTICLE_KIND = "newsdesk/not_an_article/"
ARTICLE_DATA = "newsdesk/article_data"  # article JSON documents read (times taken from them)
ARTICLE_DATA_FAILED = "newsdesk/article_data_failed"
FEEDS = "newsdesk/feeds"
SITEMAPS = "newsdesk/sitemaps"
START_FAILURES = "newsdesk/start_failures"
DISCOVERY_FAILURES = "newsdesk/discovery_failures/"  # + the kind of request that failed
RECRAWL = "newsdesk/recrawl/"  # + what a re-crawl decided for a known URL
NOT_MODIFIED = "newsdesk/not_modified"
SEEN_URLS = "newsdesk/seen_urls/"  # + what fetch-state recording did
CRAWLER_TRAPS = "newsdesk/crawler_traps"
RECOVERED_AFTER_RETRY = "newsdesk/recovered_after_retry"
PEAK_RSS = "newsdesk/peak_rss_bytes"  # the crawl process's high-water RSS (the kernel's, not a sample)

# Values, not counters: what one component tells the others about this crawl.
CRAWL_RUN_ID = "newsdesk/crawl_run_id"  # the crawl_runs row of this crawl (crawler/extensions/runs.py)
RUN_MESSAGE = "newsdesk/run_message"  # one line for crawl_runs.message (why it was skipped, lost its lock)
CONFIG_ERROR = "newsdesk/config_error"
LOCK_TAKEN_OVER = "newsdesk/lock_taken_over"
# Site health (crawler/extensions/health.py): the failed monitors' one line, read when the run's
# row is closed (status "degraded"); the coverage counters of the stored articles.
HEALTH_MESSAGE = "newsdesk/health/message"
HEALTH_PROBLEMS = "newsdesk/health/problems"
HEALTH_STALLED = "newsdesk/health/stalled"
HEALTH = "newsdesk/health/"  # + articles, with_<field>, comments, rule_pages/<rule>, rule_hits/<rule>


# `newsdesk crawl`'s exit code when another process holds the site's lock, as the scheduler
# reads it: EX_TEMPFAIL from sysexits.h, "try again later", which is what a skipped crawl means.
EXIT_SKIPPED = 75


def total(stats: Mapping, prefix: str) -> int:
    """The sum of the counters under a prefix (``total(stats, ERRORS)``)."""
    return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


def reason_key(reason) -> str:
    """A reason (a string, or an exception with ``.reason``) as the last part of a stats key:
    "an error page (not found)" -> an_error_page_not_found."""
    text = getattr(reason, "reason", None) or str(reason)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "unknown"
