"""The foundation, end to end: the real Scrapy engine crawls the demo site on 127.0.0.1 into
SQLite, and every check reads what a user would read: the database and the command output."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers import REPO, crawl_demo, run_newsdesk, run_scrapy

pytestmark = pytest.mark.e2e  # every test here runs the real commands in child processes

SEED_SLUG = "us-is-not-delaying-syria-talks-with-russia-on-aleppo-john-kerry"
SEED_PARAGRAPHS = [p.strip() for p in (REPO / "fixtures/sites/demo/seed_article.txt").read_text(encoding="utf-8")
                   .split("\n\n") if p.strip()]
FURNITURE = ["Share this article", "Thoughts on the above story", "comment/s", "What do you think about",
             "Comment *", "Recent News", "Popular Stories", "Photo credit", "By: ", "Read more", "Reply"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from crawler.demosite import DemoSite

    db = tmp_path_factory.mktemp("crawl") / "news.db"
    with DemoSite("demo") as site:
        first = crawl_demo(site, db)
        yield site, db, first


def rows(db: Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def test_every_article_is_stored_once(crawled):
    site, db, _ = crawled
    stored = rows(db, "SELECT url, title FROM articles")
    assert len(stored) == len(site.articles) == 50
    assert sorted(t for _, t in stored) == sorted(a["title"] for a in site.articles)
    assert rows(db, "SELECT count(DISTINCT canonical_url) FROM articles")[0][0] == 50


def test_seed_article_fields(crawled):
    site, db, _ = crawled
    (aid, title, published, section, body, count, lang), = rows(
        db, "SELECT id, title, published_at, section, body_text, comment_count, language FROM articles "
            "WHERE url LIKE ?", f"%{SEED_SLUG}%")
    assert title == "US Is Not Delaying Syria Talks With Russia On Aleppo: John Kerry"
    assert published.startswith("2016-12-07")
    assert section == "News"
    assert body.split("\n\n") == SEED_PARAGRAPHS and len(SEED_PARAGRAPHS) == 6
    assert count == 0 and lang == "en"
    authors = rows(db, "SELECT au.name FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
                       "WHERE aa.article_id = ? ORDER BY aa.position", aid)
    assert authors == [("Earnest Jones",)]


def test_no_page_furniture_in_any_body(crawled):
    _, db, _ = crawled
    for (body,) in rows(db, "SELECT body_text FROM articles"):
        for phrase in FURNITURE:
            assert phrase not in body


def test_multi_page_thread_is_stored_whole_with_parents(crawled):
    site, db, _ = crawled
    multi = [a for a in site.articles if len(site.comment_pages(a)) >= 3]
    assert multi, "the demo site must have threads over three or more comment pages"
    for article in multi:
        stored = rows(db, "SELECT c.external_id, p.external_id, c.author, c.body_text, c.depth FROM comments c "
                          "JOIN articles a ON a.id = c.article_id LEFT JOIN comments p ON p.id = c.parent_id "
                          "WHERE a.url LIKE ?", f"%/{article['slug']}/")
        by_id = {ext: (parent, author, text, depth) for ext, parent, author, text, depth in stored}
        assert len(stored) == len(article["comments"])
        depth_of = {}
        for c in article["comments"]:
            parent, author, text, depth = by_id[str(c["id"])]
            assert parent == (str(c["parent"]) if c["parent"] else None)
            assert author == c["author"] and text == c["text"]
            depth_of[c["id"]] = 0 if c["parent"] is None else depth_of[c["parent"]] + 1
            assert depth == depth_of[c["id"]]
    assert max(d for a in multi for (d,) in rows(db, "SELECT max(depth) FROM comments")) >= 3


def test_hostile_comment_text_is_stored_as_plain_text(crawled):
    _, db, _ = crawled
    (text,), = rows(db, "SELECT body_text FROM comments WHERE external_id = '99999'")
    assert text == "<script>alert(1)</script> nice try"


def test_crawl_run_counters(crawled):
    _, db, _ = crawled
    run = rows(db, "SELECT status, articles_new, comments_new, pages_fetched, errors FROM crawl_runs")
    assert run[0][:3] == ("finished", 50, 665)
    assert run[0][3] > 50 and run[0][4] == 0


def _snapshot(db: Path) -> dict:
    out = {}
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                                     "AND name NOT LIKE '%fts%' AND name NOT IN ('crawl_runs', 'run_health', 'alembic_version')"):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "last_seen_at"]
            out[table] = sorted(map(repr, conn.execute(f"SELECT {', '.join(cols)} FROM {table}")))
    return out


def test_second_crawl_adds_no_row(crawled):
    site, db, _ = crawled
    before = _snapshot(db)
    crawl_demo(site, db)
    assert _snapshot(db) == before
    runs = rows(db, "SELECT status, articles_new, articles_unchanged, comments_new FROM crawl_runs ORDER BY id")
    # Every article page answers unchanged: the 50 articles and the old URL of the edited one.
    article_pages = rows(db, "SELECT count(*) FROM seen_urls")[0][0]
    assert article_pages == 51
    assert len(runs) == 2 and runs[1] == ("finished", 0, article_pages, 0)


def test_scrapy_crawl_exports_items_with_comments(demo_site, tmp_path, monkeypatch):
    # An export that names no database writes none (crawler/addons/exportonly.py): no ./newsdesk.db.
    monkeypatch.delenv("NEWSDESK_DATABASE_URL", raising=False)
    out = tmp_path / "items.jsonl"
    result = run_scrapy("crawl", "news", "-a", f"url={demo_site.url}/", "-O", str(out), "-s", "LOG_LEVEL=WARNING",
                        cwd=tmp_path, env={"SCRAPY_SETTINGS_MODULE": "crawler.settings"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.jsonl"]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # One item per article page: the 50 articles, and the edited one's first version under its old URL.
    assert len(items) == 51 and len({i["canonical_url"] for i in items}) == 50
    big = max(items, key=lambda i: len(i["comments"]))
    assert len(big["comments"]) == max(len(a["comments"]) for a in demo_site.articles)
    assert {"external_id", "parent_external_id", "author", "posted_at", "body_text"} <= set(big["comments"][0])


def test_demo_twice_into_one_database_adds_no_row_and_keeps_every_url_alive(tmp_path):
    import signal
    import subprocess
    import time
    import urllib.request

    from helpers import start_newsdesk

    db = tmp_path / "demo.db"
    first = run_newsdesk("demo", "--db", str(db))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "total" in first.stdout and "50" in first.stdout and "665" in first.stdout
    before = _snapshot(db)
    address = first.stdout.split("serving at ", 1)[1].split()[0]

    log = tmp_path / "serve.log"
    second = start_newsdesk("demo", "--db", str(db), "--serve", log=log)
    try:
        deadline = time.monotonic() + 300
        while "stays up at" not in log.read_text(encoding="utf-8"):
            assert second.poll() is None, log.read_text(encoding="utf-8")[-3000:]
            assert time.monotonic() < deadline, "demo --serve did not finish its crawl"
            time.sleep(0.5)
        output = log.read_text(encoding="utf-8")
        # One address per database: the same port, so the same URLs, and nothing new stored.
        assert f"demo site serving at {address}" in output
        assert _snapshot(db) == before
        runs = rows(db, "SELECT origin, status, articles_new, articles_unchanged, comments_new, stats_json "
                        "FROM crawl_runs ORDER BY id")
        assert [r[:3] for r in runs] == [("demo", "finished", 50), ("demo", "finished", 0)]
        assert runs[1][3] == rows(db, "SELECT count(*) FROM seen_urls")[0][0] and runs[1][4] == 0
        assert json.loads(runs[1][5])["newsdesk/not_modified"] >= 40  # known articles answered 304
        # The next commands, exactly as they are to be typed.
        for line in (f"export NEWSDESK_DEMO_URL={address}", f"newsdesk crawl demo --db {db}",
                     f"newsdesk schedule --now --db {db}"):
            assert f"  {line}\n" in output
        # Every stored URL answers (newsdesk serve's source links work).
        urls = {u for (u,) in rows(db, "SELECT url FROM articles UNION SELECT url FROM article_urls "
                                       "UNION SELECT url FROM seen_urls")}
        assert len(urls) >= 50
        for url in sorted(urls):
            assert url.startswith(address + "/")
            with urllib.request.urlopen(url, timeout=30) as response:
                assert response.status == 200, url
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
    assert second.returncode == 0 and "Traceback" not in log.read_text(encoding="utf-8")


def test_unknown_site_is_one_clear_error(tmp_path):
    result = run_newsdesk("crawl", "nosuchsite", "--db", str(tmp_path / "x.db"))
    assert result.returncode != 0
    assert "no site named 'nosuchsite'" in result.stderr and "Traceback" not in result.stderr


def test_malformed_sites_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "sites.toml"
    bad.write_text("[sites.x]\nstart_urls = ['http://127.0.0.1:9/']\nspeed = 3\n")
    result = run_newsdesk("crawl", "x", "--sites", str(bad), "--db", str(tmp_path / "x.db"))
    assert result.returncode != 0
    assert "site 'x', field 'speed': unknown field" in result.stderr and "Traceback" not in result.stderr
    bad.write_text("[sites.x\nstart_urls = 1")
    result = run_newsdesk("crawl", "x", "--sites", str(bad), "--db", str(tmp_path / "x.db"))
    assert result.returncode != 0 and "not valid TOML" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_start_url_is_one_clear_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "sites.toml"
    conf.write_text(f"[sites.gone]\nstart_urls = ['http://127.0.0.1:{port}/']\n")
    result = run_newsdesk("crawl", "gone", "--sites", str(conf), "--db", str(tmp_path / "x.db"),
                          "-s", "RETRY_TIMES=0")
    assert result.returncode != 0
    assert "could not reach the site" in result.stderr and f"127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def _pandas_reader(url: str):
    """The read_sql of docs/database.md's pandas section, run as written against ``url``."""
    import re

    doc = (REPO / "docs" / "database.md").read_text(encoding="utf-8")
    code = re.search(r"## In pandas.*?```python\n(.*?)```", doc, re.S).group(1)
    assert '"sqlite:///newsdesk.db"' in code
    namespace: dict = {}
    exec(code.replace('"sqlite:///newsdesk.db"', repr(url)), namespace)  # noqa: S102 - the documented code
    return namespace["read_sql"], namespace["engine"]


def test_every_analyst_question_answers_on_the_demo_on_both_backends(crawled, pg_url):
    pytest.importorskip("pandas")
    from test_storage import QUESTIONS

    from models.db import resolve_url

    site, db, _ = crawled
    crawl_demo(site, pg_url)
    assert not any("://" in sql for _, _, sql in QUESTIONS)  # no question names one URL
    frames = {}
    for backend, url in (("sqlite", resolve_url(str(db))), ("postgresql", pg_url)):
        read_sql, engine = _pandas_reader(url)
        frames[backend] = {number: read_sql(sql) for number, _, sql in QUESTIONS}
        engine.dispose()
    assert len(QUESTIONS) == 10
    for number, title, _ in QUESTIONS:
        lite, pg = frames["sqlite"][number], frames["postgresql"][number]
        assert len(lite) >= 1, f"question {number} ({title}) has no answer on the demo database"
        assert len(lite) == len(pg), f"question {number}: {len(lite)} rows on SQLite, {len(pg)} on PostgreSQL"
        assert dict(lite.dtypes.astype(str)) == dict(pg.dtypes.astype(str)), f"question {number}"
    # The edited article (two versions) and the syndicated copy the demo site carries.
    assert frames["sqlite"]["7"]["version_count"].min() == 2
    assert frames["sqlite"]["8"]["duplicate_similarity"].iloc[0] > 0.9
    assert str(frames["postgresql"]["5"]["posted_at"].dtype).endswith("UTC]")
