"""Bad input, end to end: the real engine crawls the hostile demo site (broken HTML, wrong
charsets, huge bodies, endless calendars, redirect loops, 5xx, timeouts, non-HTML under
article URLs, scripts in comments). The good articles are stored whole, every bad page is
counted under a named reason in crawl_runs.stats_json, and the crawl finishes. Then a crawl
killed with SIGKILL leaves whole articles with whole threads, and the next crawl completes it."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import crawl_demo, run_newsdesk, start_newsdesk

TRAP_LIMIT = 5  # sites.toml [sites.hostile.settings] NEWSDESK_TRAP_LIMIT


def rows(db: Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from sites import open_site

    db = tmp_path_factory.mktemp("hostile") / "news.db"
    with open_site("hostile") as site:
        started = time.monotonic()
        result = run_newsdesk("crawl", "hostile", "--db", str(db), env=site.environment(), timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr[-4000:]
        assert time.monotonic() - started < 40
        (stats_json,), = rows(db, "SELECT stats_json FROM crawl_runs")
        yield site, db, json.loads(stats_json), result.stdout + result.stderr


def stored(db: Path, site, path: str):
    found = rows(db, "SELECT id, title, body_text, comment_count FROM articles WHERE url = ?", site.url + path)
    return found[0] if found else None


def test_crawl_finishes_and_counts_its_errors(hostile):
    _, db, stats, output = hostile
    (status, errors), = rows(db, "SELECT status, errors FROM crawl_runs")
    assert status == "finished"
    named = {k: v for k, v in stats.items() if k.startswith("newsdesk/errors/")}
    assert named == {"newsdesk/errors/http_500": 1, "newsdesk/errors/timeout": 1}
    assert errors == sum(named.values())
    skipped = sum(v for k, v in stats.items() if k.startswith("newsdesk/skipped/"))
    assert f"skipped {skipped} | errors {errors} |" in output.split("done (finished):")[1].splitlines()[0]


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
    ("newsdesk/skipped/too_large", 2),  # with and without a Content-Length
    ("newsdesk/skipped/redirect_loop", 1),
    ("newsdesk/skipped/too_many_redirects", 1),
    ("newsdesk/errors/http_500", 1),
    ("newsdesk/recovered_after_retry", 1),  # the 503
    ("newsdesk/errors/timeout", 1),
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
                 "jpeg", "json", "empty", "binary_as_html", "http_404"):
        assert stored(db, site, site.case_path(case)) is None, case
    # the good articles, the broken-HTML and three charset pages, and the DefinedTerm-keywords page
    assert rows(db, "SELECT count(*) FROM articles") == [(len(site.good_articles()) + 5,)]


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
    assert answered.count(site.case_path("http_500")) == 2  # RETRY_TIMES = 1
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
        site.delay = 0.1
        crawl = start_newsdesk("crawl", "demo", "--db", str(db), *lock, log=tmp_path / "killed.log",
                               env={"NEWSDESK_DEMO_URL": site.url})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _stored_articles(db) < 8:
            time.sleep(0.2)
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait(10)
        threads = {site.url + site.path_of(a): len(a["comments"]) for a in site.articles}
        killed = rows(db, "SELECT a.url, a.comment_count, count(c.id) FROM articles a "
                          "LEFT JOIN comments c ON c.article_id = a.id GROUP BY a.id")
        assert 8 <= len(killed) < len(site.articles), (tmp_path / "killed.log").read_text()[-2000:]
        for url, count, comments in killed:
            assert count == comments == threads[url], url
        assert rows(db, "SELECT count(*) FROM comments WHERE article_id NOT IN (SELECT id FROM articles)") == [(0,)]

        site.delay = 0
        crawl_demo(site, db, "--wait", "30", *lock)
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
