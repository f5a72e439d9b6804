"""`newsdesk crawl --workers N`: pages read in N worker processes store exactly what one process
stores, and an analyst reading the SQLite file during a crawl never fails it."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from helpers import rows, run_newsdesk
from sites import open_site

pytestmark = pytest.mark.e2e

# Every stored fact a user can query, by natural keys (ids and fetch times differ between runs).
ARTICLES = """SELECT a.canonical_url, a.url, a.title, a.subtitle, a.published_at, a.modified_at, a.language,
                     a.section, a.image_url, a.lead, a.body_text, a.word_count, a.content_hash, a.comment_count,
                     d.canonical_url
              FROM articles a LEFT JOIN articles d ON d.id = a.duplicate_of_id ORDER BY a.canonical_url"""
COMMENTS = """SELECT a.canonical_url, c.external_id, p.external_id, c.depth, c.author, c.author_url, c.posted_at,
                     c.body_text, c.content_hash, c.edited_at, c.deleted_at
              FROM comments c JOIN articles a ON a.id = c.article_id LEFT JOIN comments p ON p.id = c.parent_id
              ORDER BY a.canonical_url, c.external_id"""
AUTHORS = """SELECT a.canonical_url, au.name, aa.position FROM article_authors aa
             JOIN articles a ON a.id = aa.article_id JOIN authors au ON au.id = aa.author_id
             ORDER BY a.canonical_url, aa.position"""
TAGS = """SELECT a.canonical_url, t.name FROM article_tags at JOIN articles a ON a.id = at.article_id
          JOIN tags t ON t.id = at.tag_id ORDER BY 1, 2"""
VERSIONS = """SELECT a.canonical_url, v.title, v.body_text, v.content_hash FROM article_versions v
              JOIN articles a ON a.id = v.article_id ORDER BY 1, 4"""


def crawl_demo(site, db: Path, *extra: str, site_name: str = "demo"):
    result = run_newsdesk("crawl", site_name, "--db", str(db), *extra, env=site.environment())
    assert result.returncode == 0, f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


def stored(db: Path) -> dict[str, list[tuple]]:
    return {name: rows(db, sql) for name, sql in
            (("articles", ARTICLES), ("comments", COMMENTS), ("authors", AUTHORS), ("tags", TAGS),
             ("versions", VERSIONS))}


@pytest.mark.parametrize("site_name", ["demo", "forum"])
def test_two_workers_store_exactly_the_rows_one_stores(tmp_path, site_name):
    with open_site(site_name) as site:
        one, two = tmp_path / "one.db", tmp_path / "two.db"
        crawl_demo(site, one, "--workers", "1", site_name=site_name)
        crawl_demo(site, two, "--workers", "2", site_name=site_name)
    by_one, by_two = stored(one), stored(two)
    assert by_one["articles"] and by_one["comments"]
    for table in by_one:
        assert by_two[table] == by_one[table], f"{table} differ between --workers 1 and --workers 2"
    runs = rows(two, "SELECT status, pages_fetched, articles_new, comments_new FROM crawl_runs")
    assert len(runs) == 1 and runs[0][0] == "finished"  # one run row for the crawl, not one per worker
    assert runs[0][2] == len(by_two["articles"])  # a near duplicate is a new article too, linked


def test_an_analysts_long_read_never_fails_the_crawl(tmp_path):
    """An analyst holds a read transaction on the file (a notebook's long query, a BI tool's
    snapshot) from before the crawl starts until after it ends: with WAL the crawl's writes never
    wait on it, so the crawl finishes with every article stored, none retried or lost."""
    with open_site("demo") as site:
        db = tmp_path / "news.db"
        crawl_demo(site, tmp_path / "schema.db", "--workers", "1")  # how many articles the site has
        expected = rows(tmp_path / "schema.db", "SELECT count(*) FROM articles")[0][0]
        from models.db import upgrade

        upgrade(str(db))  # the schema (and WAL mode) in place, as when analysts read a live database
        analyst = sqlite3.connect(db, isolation_level=None)
        try:
            analyst.execute("BEGIN")
            assert analyst.execute("SELECT count(*) FROM articles").fetchone() == (0,)
            result = crawl_demo(site, db, "--workers", "2")
            # Still inside the read transaction: the analyst's snapshot is the one it began with.
            assert analyst.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        finally:
            analyst.execute("ROLLBACK")
            analyst.close()
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == expected
    runs = rows(db, "SELECT status, errors FROM crawl_runs")
    assert runs == [("finished", 0)], result.stdout
    assert "trying again" not in result.stderr  # no write waited for the file (store retries)
