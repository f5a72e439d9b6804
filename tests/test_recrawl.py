"""Incremental re-crawls of a demo site, checked in its request log and the database: known
articles are asked conditionally (304) or, within NEWSDESK_REFETCH_AFTER_HOURS, not at all;
recent articles are fetched in full for their comments; `newsdesk forget` makes one URL
fetch in full again; `newsdesk runs` and `newsdesk cron` print what a user needs."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpers import crawl_demo, fresh_body, rows, run_newsdesk, site_block, statuses, write_sites

pytestmark = pytest.mark.e2e  # every test here runs the real commands in child processes


@pytest.fixture(scope="module")
def recrawls(tmp_path_factory):
    """Four crawls of one small site: a first one, one with NEWSDESK_REFETCH_AFTER_HOURS=1
    after a comment was added to the recent article, one after `newsdesk forget`, and one
    once the per-URL state is older than NEWSDESK_SEEN_URL_DAYS."""
    from crawler.demosite import DemoSite

    tmp = tmp_path_factory.mktemp("recrawl")
    db = tmp / "news.db"
    with DemoSite("demo") as site:
        site.articles = site.articles[:5]
        yesterday = datetime.now(ZoneInfo("America/New_York")) - timedelta(days=1)
        recent = site.add_article(title="Flood barrier tested overnight", published=yesterday.strftime("%Y-%m-%dT%H:%M:00"),
                                  body=fresh_body("flood barrier test"))
        site.add_comment(recent["slug"], "Ines", "It held, for now.")
        conf = write_sites(tmp / "sites.toml", site_block("small", site.url, revisit_days=3, concurrency=4))
        args = ("--sites", str(conf))
        marks = [0]
        outputs = [crawl_demo(site, db, *args, site_name="small")]
        marks.append(len(site.requests))
        site.add_comment(recent["slug"], "Olu", "Not for long, I fear.")
        outputs.append(crawl_demo(site, db, *args, "-s", "NEWSDESK_REFETCH_AFTER_HOURS=1", site_name="small"))
        marks.append(len(site.requests))
        forgotten = site.articles[1]
        forget = run_newsdesk("forget", site.url + site.path_of(forgotten), "--db", str(db))
        outputs.append(crawl_demo(site, db, *args, site_name="small"))
        marks.append(len(site.requests))
        # Two months pass: what is known of each URL is older than NEWSDESK_SEEN_URL_DAYS (30),
        # so everything known is fetched as if new. The clock is the rows' (the state written
        # as if the crawls ran two months ago), so no expiry races the crawl.
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE seen_urls SET " + ", ".join(
                f"{column} = datetime({column}, '-60 days')"
                for column in ("first_seen_at", "fetched_at", "changed_at", "last_seen_at")))
        outputs.append(crawl_demo(site, db, *args, site_name="small"))
        marks.append(len(site.requests))
        crawls = [site.requests[a:b] for a, b in zip(marks, marks[1:], strict=False)]
        yield site, db, crawls, recent, forgotten, forget


def _run_stats(db, run_id: int) -> dict:
    return json.loads(rows(db, "SELECT stats_json FROM crawl_runs WHERE id = ?", run_id)[0][0])


def test_recent_article_is_revisited_and_others_are_not_asked_when_checked_recently(recrawls):
    site, db, crawls, recent, _, _ = recrawls
    old = [site.path_of(a) for a in site.articles[:5]]
    second = crawls[1]
    assert all(statuses(second, path) == [] for path in old)  # not requested at all
    assert statuses(second, site.path_of(recent)) == [200]  # within revisit_days: in full
    assert statuses(second, "/") == [200]
    run = rows(db, "SELECT status, articles_new, articles_unchanged, comments_new FROM crawl_runs WHERE id = 2")
    assert run == [("finished", 0, 1, 1)]  # the comment added since the first crawl
    assert _run_stats(db, 2)["newsdesk/recrawl/not_due"] == 5
    assert rows(db, "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.title = ?",
                recent["title"]) == [(2,)]


def test_known_articles_are_answered_304_and_a_forgotten_one_in_full(recrawls):
    site, db, crawls, recent, forgotten, forget = recrawls
    assert forget.returncode == 0 and "the next crawl fetches it in full" in forget.stdout
    third = crawls[2]
    for article in site.articles[:5]:
        expected = [200] if article is forgotten else [304]
        assert statuses(third, site.path_of(article)) == expected, article["slug"]
    assert statuses(third, site.path_of(recent)) == [200]
    run = rows(db, "SELECT status, articles_new, articles_updated, articles_unchanged FROM crawl_runs WHERE id = 3")
    assert run == [("finished", 0, 0, 6)]
    stats = _run_stats(db, 3)
    assert stats["newsdesk/not_modified"] == 4 and stats["newsdesk/recrawl/revisited"] == 1
    # What the re-crawl keeps per URL: one row per article, with the server's validators.
    assert rows(db, "SELECT count(*), count(etag), count(last_modified) FROM seen_urls") == [(6, 6, 6)]


def test_expired_state_is_fetched_as_if_new(recrawls):
    site, db, crawls, recent, _, _ = recrawls
    for article in site.articles:
        assert statuses(crawls[3], site.path_of(article)) == [200], article["slug"]
    assert _run_stats(db, 4)["newsdesk/recrawl/expired"] == 6
    assert rows(db, "SELECT status, articles_new, articles_unchanged FROM crawl_runs WHERE id = 4") == [
        ("finished", 0, 6)]


def test_forget_of_an_unknown_url_is_one_clear_error(recrawls):
    _, db, _, _, _, _ = recrawls
    result = run_newsdesk("forget", "http://127.0.0.1:9/never/seen/", "--db", str(db))
    assert result.returncode == 1
    assert "(nothing to forget): http://127.0.0.1:9/never/seen/" in result.stderr and "Traceback" not in result.stderr


def test_runs_lists_each_run_with_counters_and_duration(recrawls):
    _, db, _, _, _, _ = recrawls
    result = run_newsdesk("runs", "--site", "small", "--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if re.match(r"\W*\s*\d+\s+│", line)]
    assert len(lines) == 4
    newest = [cell.strip() for cell in lines[1].split("│")]  # run 3
    assert newest[1:8] == ["3", "small", "crawl", newest[4], newest[5], "finished", "finished"]
    assert re.fullmatch(r"\d+\.\ds", newest[5]) and newest[11] == "6"  # took, unchanged


def test_cron_prints_one_line_per_scheduled_site(tmp_path):
    conf = write_sites(tmp_path / "sites.toml",
                       site_block("every15", "http://127.0.0.1:9", schedule="15m"),
                       site_block("nightly", "http://127.0.0.1:9", schedule="5 3 * * *"),
                       site_block("odd", "http://127.0.0.1:9", schedule="45m"),
                       site_block("manual", "http://127.0.0.1:9"))
    db = tmp_path / "news.db"
    result = run_newsdesk("cron", "--sites", str(conf), "--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "CRON_TZ=UTC" in lines
    every15 = next(line for line in lines if " crawl every15 " in line)
    assert every15.startswith("*/15 * * * * ") and f"--db {db}" in every15 and f"--sites {conf}" in every15
    assert every15.endswith("-s NEWSDESK_RUN_ORIGIN=cron")
    assert next(line for line in lines if " crawl nightly " in line).startswith("5 3 * * * ")
    assert any(line.startswith("# odd: the interval '45m' has no exact cron form") for line in lines)
    assert "# no schedule: manual" in lines


def test_recrawl_on_postgresql(pg_url, tmp_path):
    """The same conditional re-crawl, lock and run bookkeeping on PostgreSQL."""
    from sqlalchemy import create_engine, text

    from crawler.demosite import DemoSite

    with DemoSite("demo") as site:
        site.articles = site.articles[:4]
        conf = write_sites(tmp_path / "sites.toml", site_block("small", site.url, concurrency=4))
        crawl_demo(site, pg_url, "--sites", str(conf), site_name="small")
        first = len(site.requests)
        crawl_demo(site, pg_url, "--sites", str(conf), site_name="small")
        second = site.requests[first:]
    assert all(statuses(second, site.path_of(a)) == [304] for a in site.articles)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, origin, articles_new, articles_unchanged FROM crawl_runs "
                                 "ORDER BY id")).all()
        assert [tuple(r) for r in runs] == [("finished", "crawl", 4, 0), ("finished", "crawl", 0, 4)]
        assert conn.execute(text("SELECT count(*) FROM seen_urls WHERE etag IS NOT NULL")).scalar() == 4
        assert conn.execute(text("SELECT count(*) FROM crawl_locks")).scalar() == 0
    engine.dispose()
