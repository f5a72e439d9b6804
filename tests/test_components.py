"""The crawl's own components, each in process with the project's settings and Scrapy's
get_crawler (no child process, no network): the crawler-trap guard, the named reasons for
pages given up on, conditional re-crawl requests and their order, and the canonical request
fingerprinter. Requests and responses are built as the engine would hand them over; where a
Scrapy middleware sits next to ours (RetryMiddleware, RedirectMiddleware, the duplicate
filter) the real one runs beside it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.internet import error as net

import crawler.settings as project_settings
from crawler.downloadermiddlewares.conditional import ConditionalRequestsMiddleware
from crawler.downloadermiddlewares.failures import FailureReasonsMiddleware
from crawler.downloadermiddlewares.redirects import RedirectGuardMiddleware
from crawler.spidermiddlewares.recrawl import RecrawlOrderMiddleware
from crawler.spidermiddlewares.traps import CrawlerTrapMiddleware
from crawler.spiders.news import NewsSpider
from helpers import write_sites
from models import fetchstate, repository
from models.db import get_engine, session_factory, upgrade
from models.tables import SeenUrl
from storage_corpus import article

SITE = "https://paper.example"
NOW = datetime.now(timezone.utc)


def news_crawler(tmp_path, *, patterns: bool = True, revisit_days: float = 0, site_options: str = "", **settings):
    """A crawler with the project's settings (crawler/settings.py) and a NewsSpider for one
    site from a sites.toml, as `scrapy crawl news -a site=paper` makes them."""
    lines = ["[sites.paper]", f'start_urls = ["{SITE}/"]', f"revisit_days = {revisit_days}"]
    if patterns:
        lines.append(r"article_patterns = ['/\d{4}/\d{2}/\d{2}/[^/]+/$']")
    if site_options:
        lines.append(site_options)
    sites = write_sites(tmp_path / "sites.toml", "\n".join(lines) + "\n")
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update({"NEWSDESK_DATABASE_URL": str(tmp_path / "news.db"), **settings})
    crawler = get_crawler(NewsSpider, values)
    # NewsSpider.from_crawler would also copy per-site settings into the (by now frozen) crawler
    # settings; none of these sites has any.
    crawler.spider = NewsSpider(site="paper", sites_file=str(sites))
    crawler.spider._set_crawler(crawler)
    assert crawler.spider.config_error is None, crawler.spider.config_error
    return crawler


def page(url: str, kind: str = "page", body: bytes = b"<html><body></body></html>", status: int = 200,
         headers=None, **meta) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, headers=headers, encoding="utf-8",
                        request=Request(url, meta={"kind": kind, **meta}))


def link(url: str, kind: str = "page", **kwargs) -> Request:
    return Request(url, meta={"kind": kind}, **kwargs)


def stats(crawler, prefix: str = "newsdesk/") -> dict:
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith(prefix)}


# --- crawler traps (crawler/spidermiddlewares/traps.py) -----------------------------------------

def calendar(month: int) -> str:
    return f"{SITE}/calendar/{2024 + month // 12}/{month % 12 + 1:02d}/"


def test_calendar_pages_without_a_new_article_stop_being_followed_at_the_limit(tmp_path):
    crawler = news_crawler(tmp_path, NEWSDESK_TRAP_LIMIT=3)
    traps = CrawlerTrapMiddleware.from_crawler(crawler)
    old_article = link(f"{SITE}/2024/01/02/budget-vote/", "article")
    followed = []
    for month in range(8):  # each month's page links the next month and the one article seen already
        out = list(traps.process_spider_output(page(calendar(month)), [link(calendar(month + 1)), old_article]))
        followed += [r.url for r in out if r.meta["kind"] == "page"]
    # Page 0 linked the article first (a new article link); pages 1, 2 and 3 linked nothing new:
    # at the third barren page the template is a trap, and its links from then on are dropped.
    assert followed == [calendar(1), calendar(2), calendar(3)]
    assert stats(crawler) == {"newsdesk/crawler_traps": 1, "newsdesk/skipped/crawler_trap": 5}


def test_article_links_of_a_trapped_template_are_still_followed(tmp_path):
    crawler = news_crawler(tmp_path, NEWSDESK_TRAP_LIMIT=2)
    traps = CrawlerTrapMiddleware.from_crawler(crawler)
    for month in range(3):
        list(traps.process_spider_output(page(calendar(month)), [link(calendar(month + 1))]))
    new_article = link(f"{SITE}/2024/03/04/late-find/", "article")
    out = list(traps.process_spider_output(page(calendar(3)), [link(calendar(4)), new_article]))
    assert out == [new_article]


def test_pagination_that_keeps_yielding_new_articles_is_never_a_trap(tmp_path):
    crawler = news_crawler(tmp_path, NEWSDESK_TRAP_LIMIT=2)
    traps = CrawlerTrapMiddleware.from_crawler(crawler)
    for n in range(1, 30):
        listing = page(f"{SITE}/page/{n}/")
        out = list(traps.process_spider_output(listing, [
            link(f"{SITE}/page/{n + 1}/"), link(f"{SITE}/2024/01/{n % 28 + 1:02d}/story-{n}/", "article")]))
        assert [r.url for r in out][0] == f"{SITE}/page/{n + 1}/"
    assert stats(crawler) == {}


def test_on_a_site_without_patterns_a_link_to_another_template_counts_as_new(tmp_path):
    crawler = news_crawler(tmp_path, patterns=False, NEWSDESK_TRAP_LIMIT=2)
    traps = CrawlerTrapMiddleware.from_crawler(crawler)
    for day in range(1, 10):  # each day view links the next day and one new story page
        out = list(traps.process_spider_output(page(f"{SITE}/events/?day={day}"), [
            link(f"{SITE}/events/?day={day + 1}"), link(f"{SITE}/news/story-{day}.html")]))
        assert len(out) == 2
    assert stats(crawler) == {}


def test_comment_pages_feeds_and_sitemaps_are_never_judged(tmp_path):
    crawler = news_crawler(tmp_path, NEWSDESK_TRAP_LIMIT=1)
    traps = CrawlerTrapMiddleware.from_crawler(crawler)
    for n in range(5):
        feed = page(f"{SITE}/feed/?page={n}", "feed")
        assert len(list(traps.process_spider_output(feed, [link(f"{SITE}/feed/?page={n + 1}", "feed")]))) == 1
    assert stats(crawler) == {}


def test_a_trap_limit_of_zero_switches_the_guard_off(tmp_path):
    with pytest.raises(NotConfigured):
        CrawlerTrapMiddleware.from_crawler(news_crawler(tmp_path, NEWSDESK_TRAP_LIMIT=0))


# --- named reasons for pages given up on (crawler/downloadermiddlewares/failures.py, redirects.py) ---

@pytest.mark.parametrize(("exception", "reason"), [
    (DownloadTimeoutError("took longer than 30.0 seconds"), "newsdesk/errors/timeout"),
    (net.TimeoutError(), "newsdesk/errors/timeout"),
    (net.ConnectionRefusedError(), "newsdesk/errors/connection_refused"),
    (net.DNSLookupError(), "newsdesk/errors/dns"),
    (ResponseDataLossError(), "newsdesk/errors/data_loss"),
    (DownloadCancelledError("Cancelling download: expected size 52428800 larger than 1048576"),
     "newsdesk/skipped/too_large"),
    (net.ConnectionLost(), "newsdesk/errors/download_failed"),
    (ValueError("anything else"), "newsdesk/errors/download_failed"),
])
def test_a_download_given_up_on_is_counted_under_its_reason(tmp_path, exception, reason):
    crawler = news_crawler(tmp_path)
    failures = FailureReasonsMiddleware.from_crawler(crawler)
    assert failures.process_exception(link(f"{SITE}/2024/01/02/story/", "article"), exception) is None
    assert stats(crawler) == {reason: 1}


def test_a_timeout_is_counted_once_after_the_retries_not_per_attempt(tmp_path):
    crawler = news_crawler(tmp_path, RETRY_TIMES=2)
    retry, failures = RetryMiddleware.from_crawler(crawler), FailureReasonsMiddleware.from_crawler(crawler)
    request, attempts = link(f"{SITE}/2024/01/02/slow/", "article"), 0
    while request is not None:  # the downloader calls RetryMiddleware (550) first, then ours (530)
        attempts += 1
        retried = retry.process_exception(request, DownloadTimeoutError("timed out"))
        if retried is None:
            failures.process_exception(request, DownloadTimeoutError("timed out"))
        request = retried
    assert attempts == 3
    assert stats(crawler) == {"newsdesk/errors/timeout": 1}


def test_http_errors_are_named_by_status_and_a_retry_that_worked_is_counted(tmp_path):
    crawler = news_crawler(tmp_path)
    failures = FailureReasonsMiddleware.from_crawler(crawler)
    for status in (503, 500, 404, 410):
        response = page(f"{SITE}/{status}/", status=status)
        assert failures.process_response(response.request, response) is response
    saved = page(f"{SITE}/flaky/", retry_times=1)
    failures.process_response(saved.request, saved)
    assert stats(crawler) == {"newsdesk/errors/http_503": 1, "newsdesk/errors/http_500": 1,
                              "newsdesk/skipped/http_404": 1, "newsdesk/skipped/http_410": 1,
                              "newsdesk/recovered_after_retry": 1}


def test_scrapys_own_requests_and_ignored_ones_are_not_counted(tmp_path):
    crawler = news_crawler(tmp_path)
    failures = FailureReasonsMiddleware.from_crawler(crawler)
    robots = Request(f"{SITE}/robots.txt")  # RobotsTxtMiddleware's fetch carries no kind
    failures.process_exception(robots, DownloadTimeoutError())
    failures.process_response(robots, Response(robots.url, status=500, request=robots))
    failures.process_exception(link(f"{SITE}/x/"), IgnoreRequest("not modified"))
    assert stats(crawler) == {}


def redirect(request: Request, location: str, status: int = 302) -> Response:
    return Response(request.url, status=status, headers={"Location": location}, request=request)


def follow(crawler, url: str, locations: dict[str, str]):
    """Follow a chain through our guard (610) and Scrapy's RedirectMiddleware (600) as the
    downloader does; returns the last request, or the IgnoreRequest that ended the chain."""
    guard, redirects = RedirectGuardMiddleware.from_crawler(crawler), RedirectMiddleware.from_crawler(crawler)
    request = link(url, "article")
    while request.url in locations:
        response = redirect(request, locations[request.url])
        try:
            response = guard.process_response(request, response)
        except IgnoreRequest as exc:
            return exc
        result = redirects.process_response(request, response)
        if not isinstance(result, Request):
            return result
        request = result
    return request


def test_a_redirect_loop_is_skipped_with_its_reason(tmp_path):
    crawler = news_crawler(tmp_path)
    a, b = f"{SITE}/2024/01/02/a/", f"{SITE}/2024/01/02/b/"
    ended = follow(crawler, a, {a: b, b: a})
    assert isinstance(ended, IgnoreRequest) and str(ended) == "redirect_loop"
    assert stats(crawler) == {"newsdesk/skipped/redirect_loop": 1}


def test_a_chain_longer_than_redirect_max_times_is_skipped_with_its_reason(tmp_path):
    crawler = news_crawler(tmp_path, REDIRECT_MAX_TIMES=3)
    hops = {f"{SITE}/hop/{n}/": f"{SITE}/hop/{n + 1}/" for n in range(10)}
    ended = follow(crawler, f"{SITE}/hop/0/", hops)
    assert isinstance(ended, IgnoreRequest) and str(ended) == "too_many_redirects"
    assert stats(crawler) == {"newsdesk/skipped/too_many_redirects": 1}


def test_a_short_chain_is_followed_and_not_counted(tmp_path):
    crawler = news_crawler(tmp_path, REDIRECT_MAX_TIMES=3)
    hops = {f"{SITE}/hop/{n}/": f"{SITE}/hop/{n + 1}/" for n in range(3)}
    last = follow(crawler, f"{SITE}/hop/0/", hops)
    assert isinstance(last, Request) and last.url == f"{SITE}/hop/3/"
    assert last.meta["redirect_times"] == 3
    assert stats(crawler) == {}


# --- conditional requests and re-crawl order (crawler/downloadermiddlewares/conditional.py,
#     crawler/spidermiddlewares/recrawl.py) --------------------------------------------------------

ETAG = '"v1-5f3a"'
LAST_MODIFIED = "Tue, 02 Jan 2024 10:00:00 GMT"


@pytest.fixture
def known(tmp_path):
    """A database in which two article URLs are known, as the pipelines leave them after a
    crawl: one fetched a day ago with its validators, one whose state is 60 days old."""
    url = str(tmp_path / "news.db")
    upgrade(url)
    state = {"fresh": f"{SITE}/2023/05/01/known/", "stale": f"{SITE}/2023/05/02/stale/"}
    with session_factory(url).begin() as session:
        site = repository.ensure_site(session, "paper")  # its id
        for name, page_url, age in (("fresh", state["fresh"], 1), ("stale", state["stale"], 60)):
            stored = repository.save_article(session, site, article(
                page_url, f"A {name} story", f"Words of the {name} story. " * 20, site="paper",
                published=datetime(2023, 5, 1, tzinfo=timezone.utc)))
            fetchstate.record_fetch(session, page_url, article_id=stored.article_id, site_id=site, status=200,
                                    etag=ETAG, last_modified=LAST_MODIFIED, content_hash="h",
                                    now=NOW - timedelta(days=age))
    yield state
    get_engine(url).dispose()
    get_engine.cache_clear()
    session_factory.cache_clear()


def test_a_known_article_page_is_asked_with_its_stored_validators(tmp_path, known):
    crawler = news_crawler(tmp_path)
    conditional = ConditionalRequestsMiddleware.from_crawler(crawler)
    request = link(known["fresh"] + "?utm_source=feed", "article")  # the key is the canonical URL
    assert conditional.process_request(request) is None
    assert request.headers[b"If-None-Match"] == ETAG.encode()
    assert request.headers[b"If-Modified-Since"] == LAST_MODIFIED.encode()
    assert stats(crawler) == {"newsdesk/recrawl/conditional": 1}


def test_unknown_urls_listings_and_expired_state_are_fetched_in_full(tmp_path, known):
    crawler = news_crawler(tmp_path)  # NEWSDESK_SEEN_URL_DAYS = 30: the 60-day-old state is expired
    conditional = ConditionalRequestsMiddleware.from_crawler(crawler)
    requests = [link(f"{SITE}/2024/01/02/new/", "article"), link(known["fresh"], "start"),
                link(known["stale"], "article")]
    for request in requests:
        conditional.process_request(request)
        assert b"If-None-Match" not in request.headers and b"If-Modified-Since" not in request.headers
    assert stats(crawler) == {"newsdesk/recrawl/expired": 1}


def test_a_redirect_does_not_carry_the_validators_of_the_page_it_replaces(tmp_path, known):
    conditional = ConditionalRequestsMiddleware.from_crawler(news_crawler(tmp_path))
    redirected = link(f"{SITE}/2024/01/02/moved-here/", "article",
                      headers={"If-None-Match": ETAG, "If-Modified-Since": LAST_MODIFIED})
    conditional.process_request(redirected)
    assert b"If-None-Match" not in redirected.headers and b"If-Modified-Since" not in redirected.headers


def test_a_recent_article_is_fetched_in_full_for_its_comments(tmp_path, known):
    crawler = news_crawler(tmp_path, revisit_days=100000)  # published in 2023: "recent" at this scale
    conditional = ConditionalRequestsMiddleware.from_crawler(crawler)
    request = link(known["fresh"], "article")
    conditional.process_request(request)
    assert b"If-None-Match" not in request.headers
    assert stats(crawler) == {"newsdesk/recrawl/revisited": 1}


def test_a_304_ends_the_request_and_counts_the_article_unchanged(tmp_path, known):
    crawler = news_crawler(tmp_path)
    conditional = ConditionalRequestsMiddleware.from_crawler(crawler)
    request = link(known["fresh"], "article")
    conditional.process_request(request)
    with pytest.raises(IgnoreRequest):
        conditional.process_response(request, Response(request.url, status=304, request=request))
    assert stats(crawler) == {"newsdesk/recrawl/conditional": 1, "newsdesk/not_modified": 1,
                              "newsdesk/articles_unchanged": 1}
    with session_factory(str(tmp_path / "news.db"))() as session:
        seen = fetchstate.known_page(session, known["fresh"])
    assert seen.last_seen_at > NOW - timedelta(minutes=5)  # seen again now; its validators kept
    assert seen.etag == ETAG


def test_a_changed_page_goes_on_to_the_spider_and_an_error_is_recorded(tmp_path, known):
    crawler = news_crawler(tmp_path)
    conditional = ConditionalRequestsMiddleware.from_crawler(crawler)
    changed, gone = link(known["fresh"], "article"), link(known["fresh"], "article")
    for request in (changed, gone):
        conditional.process_request(request)
    ok = HtmlResponse(changed.url, status=200, body=b"<html></html>", request=changed)
    assert conditional.process_response(changed, ok) is ok
    missing = Response(gone.url, status=410, request=gone)
    assert conditional.process_response(gone, missing) is missing
    assert stats(crawler)["newsdesk/recrawl/known_url_status/410"] == 1
    with session_factory(str(tmp_path / "news.db"))() as session:
        assert session.scalar(select(SeenUrl.status).where(SeenUrl.url == known["fresh"])) == 410


def test_known_article_urls_queue_behind_new_ones(tmp_path, known):
    crawler = news_crawler(tmp_path)
    order = RecrawlOrderMiddleware.from_crawler(crawler)
    new, old, listing = (link(f"{SITE}/2024/01/02/new/", "article"), link(known["fresh"], "article"),
                         link(f"{SITE}/page/2/", "start"))
    planned = {r.url: r.priority for r in order.process_spider_output(page(f"{SITE}/"), [new, old, listing])}
    drop = project_settings.NEWSDESK_KNOWN_URL_PRIORITY_DROP
    assert planned == {new.url: 0, old.url: -drop, listing.url: 0}


def test_a_known_article_checked_recently_is_not_requested_at_all(tmp_path, known):
    crawler = news_crawler(tmp_path, NEWSDESK_REFETCH_AFTER_HOURS=48)  # the fresh one was seen 24 h ago
    order = RecrawlOrderMiddleware.from_crawler(crawler)
    for listing in (f"{SITE}/", f"{SITE}/page/2/"):  # linked twice: left out, counted once
        out = list(order.process_spider_output(page(listing), [link(known["fresh"], "article"),
                                                               link(known["stale"], "article")]))
        assert [r.url for r in out] == [known["stale"]]  # expired state: fetched again
    assert stats(crawler) == {"newsdesk/recrawl/not_due": 1}


def test_without_the_database_there_is_no_incremental_state(tmp_path):
    for middleware in (ConditionalRequestsMiddleware, RecrawlOrderMiddleware):
        with pytest.raises(NotConfigured):
            middleware.from_crawler(news_crawler(tmp_path, NEWSDESK_STORE=False))


# --- the canonical request fingerprinter (crawler/fingerprint.py) -------------------------------

def test_url_variants_have_one_fingerprint_and_the_duplicate_filter_drops_them(tmp_path):
    crawler = news_crawler(tmp_path)  # REQUEST_FINGERPRINTER_CLASS from crawler/settings.py
    variants = [f"{SITE}/2024/01/02/story/", "https://www.paper.example/2024/01/02/story/?utm_source=x&fbclid=1",
                f"{SITE}:443/2024/01/02/story/#comments", f"{SITE}/2024/01/02/story/amp/"]
    assert len({crawler.request_fingerprinter.fingerprint(Request(u)) for u in variants}) == 1
    dupefilter = RFPDupeFilter.from_crawler(crawler)
    assert [dupefilter.request_seen(Request(u)) for u in variants] == [False, True, True, True]


def test_different_pages_queries_and_bodies_keep_their_own_fingerprints(tmp_path):
    fingerprint = news_crawler(tmp_path).request_fingerprinter.fingerprint
    distinct = [Request(f"{SITE}/2024/01/02/story/"), Request(f"{SITE}/2024/01/02/other/"),
                Request(f"{SITE}/search?q=flood"), Request(f"{SITE}/search?q=fire"),
                Request(f"{SITE}/api", method="POST", body=b"page=1"),
                Request(f"{SITE}/api", method="POST", body=b"page=2")]
    assert len({fingerprint(r) for r in distinct}) == len(distinct)


def test_extra_tracking_parameters_and_the_sites_trailing_slash_rule_apply(tmp_path):
    crawler = news_crawler(tmp_path, NEWSDESK_TRACKING_PARAMS=["partner"])
    fingerprint = crawler.request_fingerprinter.fingerprint
    assert fingerprint(Request(f"{SITE}/a/?partner=z")) == fingerprint(Request(f"{SITE}/a/"))
    assert fingerprint(Request(f"{SITE}/a")) != fingerprint(Request(f"{SITE}/a/"))  # trailing_slash = keep
    stripped = news_crawler(tmp_path, site_options='trailing_slash = "strip"').request_fingerprinter.fingerprint
    assert stripped(Request(f"{SITE}/a")) == stripped(Request(f"{SITE}/a/"))
