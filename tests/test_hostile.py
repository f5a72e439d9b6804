"""Bad input, end to end: the real engine crawls the hostile demo site (broken HTML, wrong
charsets, huge bodies, gzip bombs, cut-off bodies, drips, endless calendars, sitemaps and
comment threads, 100,000 links, redirect loops, 429/5xx, timeouts, non-HTML under article
URLs, scripts in comments, XXE, links to other schemes and ports). The good articles are
stored whole, every bad page is counted under a named reason in crawl_runs.stats_json, the
crawl finishes by itself, and its peak memory stays bounded. Then a crawl killed with SIGKILL
leaves whole articles with whole threads, and the next crawl completes it."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
from pathlib import Path

import pytest

from helpers import SiteControl, crawl_demo, run_newsdesk, start_newsdesk, wait_for

pytestmark = pytest.mark.e2e  # every test here runs the real commands in child processes

TRAP_LIMIT = 5  # sites.toml [sites.hostile.settings] NEWSDESK_TRAP_LIMIT
MAX_COMMENT_PAGES = 30  # NEWSDESK_MAX_COMMENT_PAGES there
MAX_LINKS = 200  # NEWSDESK_MAX_LINKS_PER_PAGE there
# The whole crawl's high-water RSS (the kernel's, read at close; the crawl runs in one process).
# It depends on how many large pages overlap in flight, so on the machine's load. Measured:
# 384 MiB under `pytest -n 2` beside stress-ng, 724 MiB in a serial run beside stress-ng (483 and
# 563 MiB before the MinHash and link work of issue 12). The 100,000-link page alone adds
# ~170 MiB while it is parsed; it once took 821 MB by itself, and all its links queued.
PEAK_RSS_LIMIT = 1024 * 1024 * 1024


def rows(db: Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from sites import open_site

    db = tmp_path_factory.mktemp("hostile") / "news.db"
    with open_site("hostile") as site:
        # It ends by itself (slow pages time out, traps and redirects are cut): a hostile page
        # without those limits would hold the crawl for ever. The bound is ten minutes, which
        # no busy machine reaches (the crawl takes about 12 s on an idle one).
        # One process (--workers 1): the crawl's whole memory is then the process whose peak
        # the run records (newsdesk/peak_rss_bytes), the 100,000-link page's parse included.
        result = run_newsdesk("crawl", "hostile", "--db", str(db), "--workers", "1", env=site.environment(),
                              timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr[-4000:]
        (stats_json,), = rows(db, "SELECT stats_json FROM crawl_runs")
        yield site, db, json.loads(stats_json), result.stdout + result.stderr


def stored(db: Path, site, path: str):
    found = rows(db, "SELECT id, title, body_text, comment_count FROM articles WHERE url = ?", site.url + path)
    return found[0] if found else None


def test_crawl_finishes_and_counts_its_errors(hostile):
    _, db, stats, output = hostile
    (status, reason, errors), = rows(db, "SELECT status, finish_reason, errors FROM crawl_runs")
    assert (status, reason) == ("finished", "finished")  # by itself, not by CLOSESPIDER_TIMEOUT
    named = {k: v for k, v in stats.items() if k.startswith("newsdesk/errors/")}
    # the 500; the slow page and the drip; cut off mid-body, a Content-Length over the body,
    # truncated gzip, and the truncated .xml.gz sitemap
    assert named == {"newsdesk/errors/http_500": 1, "newsdesk/errors/timeout": 2, "newsdesk/errors/data_loss": 4}
    assert errors == sum(named.values())
    skipped = sum(v for k, v in stats.items() if k.startswith("newsdesk/skipped/"))
    assert f"skipped {skipped} | errors {errors} |" in output.split("done (finished):")[1].splitlines()[0]


def test_peak_memory_is_bounded(hostile):
    _, _, stats, _ = hostile
    peak = stats["newsdesk/peak_rss_bytes"]  # the crawl process's high-water RSS (not a once-a-minute sample)
    print(f"hostile crawl peak RSS: {peak / 2**20:.0f} MiB (limit {PEAK_RSS_LIMIT / 2**20:.0f} MiB)")
    assert peak < PEAK_RSS_LIMIT


def test_good_articles_are_stored_with_their_whole_threads(hostile):
    site, db, _, _ = hostile
    for article in site.good_articles():
        found = stored(db, site, site.path_of(article))
        assert found is not None, article["slug"]
        aid, title, body, count = found
        assert title == article["title"] and body.split("\n\n")[0] == article["body"][0]
        expected = len(article["comments"])
        if article["slug"] == "bridge-repairs-overrun":  # its second comment page is garbage
            expected = 5
        assert count == expected == rows(db, "SELECT count(*) FROM comments WHERE article_id = ?", aid)[0][0]


def test_comment_markup_is_stored_as_plain_text(hostile):
    _, db, _, _ = hostile
    texts = dict(rows(db, "SELECT external_id, body_text FROM comments WHERE external_id IN ('5101', '5102', '5103')"))
    # Escaped markup is what the reader saw: kept as literal text.
    assert texts["5101"] == "<script>alert('pwned')</script> nice try"
    assert texts["5103"] == "Please stop posting code in the comments & use words < 100."
    # Live markup: its text stays, scripts, styles and tags go.
    assert texts["5102"] == "Lanes are great news\n\nSee my blog for more"


def test_broken_html_and_misdeclared_charsets_read_right(hostile):
    site, db, _, _ = hostile
    _, title, body, _ = stored(db, site, site.case_path("broken_html"))
    assert title == "Storm brings down trees across the valley"
    assert body.startswith("High winds brought down dozens of trees") and "cleared" in body
    # windows-1252 bytes behind "charset=utf-8"
    _, title, body, _ = stored(db, site, site.case_path("latin1_declared_utf8"))
    assert title == "Café owners’ naïve hopes for the summer season"
    assert "admit to “naïve” hopes" in body and "crème brûlée" in body and "forty – twice" in body
    # windows-1252 with no charset anywhere
    _, title, body, _ = stored(db, site, site.case_path("latin1_no_charset"))
    assert title == "Crêpe stall wins the fête’s “best newcomer” prize"
    assert "café au lait and its naïve hand-painted sign" in body
    # windows-1251 declared only in <meta http-equiv>
    _, title, body, _ = stored(db, site, site.case_path("cp1251_meta_only"))
    assert title == "Городской совет утвердил новый бюджет"
    assert "на ремонт моста и на новые автобусы" in body
    assert "\ufffd" not in "".join(t + b for _, t, b, _ in [stored(db, site, site.case_path(c)) for c in (
        "broken_html", "latin1_declared_utf8", "latin1_no_charset", "cp1251_meta_only")])


@pytest.mark.parametrize("reason, count", [
    # with and without a Content-Length, the gzip bomb, the 50 MB page, the .xml.gz bomb
    ("newsdesk/skipped/too_large", 5),
    ("newsdesk/skipped/redirect_loop", 1),
    ("newsdesk/skipped/too_many_redirects", 1),
    ("newsdesk/errors/http_500", 1),
    ("newsdesk/errors/timeout", 2),
    ("newsdesk/errors/data_loss", 4),
    ("newsdesk/skipped/not_http", 3),  # an ftp: and a file: link, a redirect to file:
    ("newsdesk/skipped/invalid_url", 3),  # ports 99999 and "abc", a broken IPv6 host
    ("newsdesk/skipped/url_too_long", 1),  # the 500 KB link
    ("newsdesk/skipped/robots_txt", 1),
    ("newsdesk/skipped/sitemap_too_deep", 1),
    ("newsdesk/pages_over_link_limit", 1),
    ("newsdesk/comment_threads_failed/too_many_comment_pages", 1),
    ("newsdesk/skipped/not_html", 3),  # PDF, JPEG, JSON
    ("newsdesk/skipped/empty_document", 1),
    ("newsdesk/skipped/binary_content_not_html", 2),  # binary bytes as text/html; the garbage comment page
    ("newsdesk/skipped/http_404", 1),
    ("newsdesk/comment_threads_failed/unreadable_page_response", 1),
    ("newsdesk/crawler_traps", 2),  # the calendar and the ?date= day view
])
def test_each_bad_page_is_counted_under_its_reason(hostile, reason, count):
    _, _, stats, _ = hostile
    assert stats.get(reason) == count, {k: v for k, v in stats.items() if k.startswith("newsdesk/")}


def test_no_bad_page_is_stored(hostile):
    site, db, _, _ = hostile
    for case in ("huge_declared", "huge_streamed", "redirect_loop", "redirect_chain", "http_500", "slow", "pdf",
                 "jpeg", "json", "empty", "binary_as_html", "http_404", "drip", "cut_off", "length_mismatch",
                 "truncated_gzip", "gzip_bomb", "fifty_megabytes", "redirect_to_file", "redirect_to_other_port"):
        assert stored(db, site, site.case_path(case)) is None, case
    # the good articles, the broken-HTML and three charset pages, the DefinedTerm-keywords page,
    # and the hostile pages that recover or read right in the end
    expected = len(site.good_articles()) + 5 + len(site.good_case_paths())
    assert rows(db, "SELECT count(*) FROM articles") == [(expected,)]


def test_retryable_answers_wait_and_recover(hostile):
    site, db, stats, _ = hostile
    for case in ("rate_limited", "bad_gateway_once"):
        assert stored(db, site, site.case_path(case)) is not None, case
        first, second = site.times[site.case_path(case)]
        # Retry-After: 2 (capped at NEWSDESK_RETRY_MAX_DELAY=5); the 502 waits the 0.5 s backoff
        assert second - first >= (2 if case == "rate_limited" else 0.5), case
    assert stats["newsdesk/recovered_after_retry"] >= 3  # the 503, the 429, the 502
    assert stats["newsdesk/retry_waits"] >= 3


def test_hard_pages_are_read_right(hostile):
    site, db, _, _ = hostile
    for path in site.good_case_paths():
        assert stored(db, site, path) is not None, path
    _, title, body, _ = stored(db, site, site.case_path("utf16_bom"))
    assert title == "Harbour festival draws record crowds — «une réussite»" and "«une réussite»" in body
    _, title, body, _ = stored(db, site, site.case_path("shift_jis"))
    assert title == "港の新しいフェリーが運航を開始しました" and "二十分ごとに運航" in body
    _, _, body, _ = stored(db, site, site.case_path("nul_bytes"))
    assert "\x00" not in body and "High winds" in body
    assert rows(db, "SELECT count(*) FROM articles WHERE instr(body_text, char(0)) OR instr(title, char(0))") == [(0,)]
    # +99:00, "99...9 days ago" and a 100 KB <time datetime> are no dates; the page's real one stands
    (published, modified), = rows(db, "SELECT published_at, modified_at FROM articles WHERE url = ?",
                                  site.url + site.case_path("bad_dates"))
    assert published.startswith("2024-05-20 08:00") and modified is None


def test_endless_work_is_cut_at_its_limits(hostile):
    site, db, stats, _ = hostile
    # A thread claiming 10,000 pages: at most NEWSDESK_MAX_COMMENT_PAGES fetched, the article
    # stored with the comments of the pages it got, the thread counted as incomplete.
    thread = site.case_path("endless_thread")
    assert site.requested(thread) <= MAX_COMMENT_PAGES + 1
    pages = {int(m.group(1)) if (m := re.search(r"comment-page-(\d+)", p)) else 1
             for _, p, status in site.requests if p.startswith(thread) and status == 200}
    (aid, count), = rows(db, "SELECT id, comment_count FROM articles WHERE url = ?", site.url + thread)
    assert count == 3 * len(pages) == rows(db, "SELECT count(*) FROM comments WHERE article_id = ?", aid)[0][0]
    assert stats["newsdesk/comment_threads_failed/too_many_comment_pages"] == 1
    # A page of 100,000 links: NEWSDESK_MAX_LINKS_PER_PAGE followed, the rest counted
    assert stats["newsdesk/skipped/links_over_limit"] >= 100_000 - MAX_LINKS
    assert site.requested("/tag/") == 0  # the ones followed are in deny_patterns
    # An endless chain of sitemap indexes stops at NEWSDESK_SITEMAP_MAX_DEPTH; the index that
    # includes itself is read once
    assert site.requested("/sitemap-chain.xml") == 3
    assert site.requested("/sitemap.xml") == 1


def test_nothing_reaches_what_it_must_not(hostile):
    site, _, stats, _ = hostile
    assert site.other_port_hits == 0  # a link and a redirect to another port of 127.0.0.1
    assert stats["newsdesk/skipped/offsite_port"] >= 1
    assert site.requested("/members/") == 0  # robots.txt disallows it
    assert site.requested("/xxe-probe") == 0  # external entities in the feed and a sitemap stay unresolved
    assert not any(p.startswith(("ftp", "file", "data")) for _, p, _ in site.requests)


def test_keywords_as_defined_terms_do_not_break_the_extractor(hostile):
    # JSON-LD keywords as schema.org DefinedTerm objects once made the extractor raise.
    site, db, stats, _ = hostile
    assert stored(db, site, site.case_path("defined_terms")) is not None
    assert "newsdesk/errors/extraction" not in stats


def test_calendar_traps_stop_after_the_limit(hostile):
    site, _, stats, _ = hostile
    for prefix in ("/calendar/", "/events/"):
        fetched = [p for _, p, _ in site.requests if p.startswith(prefix)]
        # The limit, plus the pages already queued when the template was judged a trap.
        assert TRAP_LIMIT <= len(fetched) <= TRAP_LIMIT + 3, fetched
    assert stats["newsdesk/skipped/crawler_trap"] >= 2


def test_retries_and_redirects_went_as_far_as_the_settings_say(hostile):
    site, _, _, _ = hostile
    answered = [p for _, p, _ in site.requests]
    assert answered.count(site.case_path("http_500")) == 3  # RETRY_TIMES = 2
    assert answered.count(site.case_path("drip")) == 3  # a timeout, retried twice
    assert answered.count("/2024/05/06/market-hall-reopens/") == 2  # 503, then the article
    assert [p for p in answered if p.startswith("/hop/")] == [f"/hop/{n}/" for n in range(1, 6)]  # 5 redirects
    assert answered.count(site.case_path("redirect_loop")) == 1


def test_nothing_stored_is_half_written(hostile):
    _, db, _, _ = hostile
    assert rows(db, "SELECT count(*) FROM comments c LEFT JOIN articles a ON a.id = c.article_id "
                    "WHERE a.id IS NULL") == [(0,)]
    assert rows(db, "SELECT count(*) FROM articles a WHERE comment_count != "
                    "(SELECT count(*) FROM comments c WHERE c.article_id = a.id)") == [(0,)]
    assert rows(db, "SELECT count(*) FROM articles WHERE title = '' OR body_text = '' OR content_hash IS NULL "
                    "OR id NOT IN (SELECT article_id FROM article_versions)") == [(0,)]


def test_a_killed_crawl_leaves_whole_articles_and_the_next_one_completes_it(tmp_path):
    from crawler.demosite import DemoSite

    db = tmp_path / "news.db"
    lock = ["-s", "NEWSDESK_LOCK_TTL=3", "-s", "NEWSDESK_LOCK_HEARTBEAT=1"]
    with DemoSite("demo") as site:
        control = SiteControl(site)
        crawl = start_newsdesk("crawl", "demo", "--db", str(db), *lock, log=tmp_path / "killed.log",
                               env={"NEWSDESK_DEMO_URL": site.url})
        wait_for(lambda: _stored_articles(db) >= 8, 300, "eight stored articles", log=tmp_path / "killed.log")
        control.close()  # the crawl cannot get to the end before it is killed, however fast it is
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait(60)
        control.open()
        threads = {site.url + site.path_of(a): len(a["comments"]) for a in site.articles}
        killed = rows(db, "SELECT a.url, a.comment_count, count(c.id) FROM articles a "
                          "LEFT JOIN comments c ON c.article_id = a.id GROUP BY a.id")
        assert 8 <= len(killed) < len(site.articles), (tmp_path / "killed.log").read_text()[-2000:]
        for url, count, comments in killed:
            assert count == comments == threads[url], url
        assert rows(db, "SELECT count(*) FROM comments WHERE article_id NOT IN (SELECT id FROM articles)") == [(0,)]

        crawl_demo(site, db, "--wait", "300", *lock)  # the killed crawl's lock expires after its TTL (3 s)
        done = rows(db, "SELECT a.url, a.comment_count, count(c.id) FROM articles a "
                        "LEFT JOIN comments c ON c.article_id = a.id GROUP BY a.id")
        assert len(done) == len(site.articles)
        assert all(count == comments == threads[url] for url, count, comments in done)
        assert rows(db, "SELECT status FROM crawl_runs ORDER BY id") == [("failed",), ("finished",)]


def _stored_articles(db: Path) -> int:
    try:
        return rows(db, "SELECT count(*) FROM articles")[0][0]
    except sqlite3.Error:  # not created yet, or being migrated
        return 0


def test_a_crawl_stopped_mid_thread_stores_the_part_it_fetched(tmp_path):
    """The crawl stops (here CLOSESPIDER_PAGECOUNT) while the 10,000-page thread is being fetched:
    the article is stored with the comments of the pages read so far, not lost."""
    from sites import open_site

    db = tmp_path / "news.db"
    with open_site("hostile") as site:
        article = site.url + site.case_path("endless_thread")
        result = run_newsdesk("crawl", "hostile", "--db", str(db), "--url", article,
                              "-s", "CLOSESPIDER_PAGECOUNT=8", "-s", "NEWSDESK_COMMENT_PAGE_CONCURRENCY=2",
                              env=site.environment(), timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr[-4000:]
        fetched = {p for _, p, status in site.requests if p.startswith(site.case_path("endless_thread"))}
    (count, stored), = rows(db, "SELECT a.comment_count, count(c.id) FROM articles a "
                                "JOIN comments c ON c.article_id = a.id WHERE a.url = ? GROUP BY a.id", article)
    assert count == stored and 3 <= count < 3 * MAX_COMMENT_PAGES and count % 3 == 0
    assert count <= 3 * len(fetched)
    (stats_json, reason), = rows(db, "SELECT stats_json, finish_reason FROM crawl_runs")
    stats = json.loads(stats_json)
    assert reason == "closespider_pagecount"
    # this one, and any article found through the sitemap whose thread was still being fetched
    partial = stats["newsdesk/articles_stored_partial"]
    assert partial >= 1 and stats["newsdesk/comment_threads_failed/crawl_stopped_before_the_thread_was_fetched"] \
        == partial
def test_runs_run_id_shows_why_pages_were_skipped_or_failed(hostile):
    _, db, stats, output = hostile
    (run_id,), = rows(db, "SELECT id FROM crawl_runs")
    result = run_newsdesk("runs", str(run_id), "--db", str(db), timeout=60)
    assert result.returncode == 0, result.stderr
    shown = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 3 and cells[2].isdigit():
            shown[(cells[0], cells[1])] = int(cells[2])
    for key, value in stats.items():
        for group, prefix in (("skipped", "newsdesk/skipped/"), ("errors", "newsdesk/errors/")):
            if key.startswith(prefix) and value:
                assert shown[(group, key[len(prefix):])] == value, key
    assert ("errors", "http_500") in shown and any(group == "skipped" for group, _ in shown)
    # A dropped item is one line (its URL and why), never Scrapy's "Dropped:" with the item's repr.
    assert "Dropped:" not in output
    assert all(len(line) < 500 for line in output.splitlines() if "INFO: dropped " in line)
    # The progress line's queue, percentage and (while pages remain) ETA; the last one is complete.
    assert "| queue 0 (+0 in flight) | 100% |" in output.split("done (finished):")[1].splitlines()[0]
