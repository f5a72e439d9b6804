"""A stock WordPress site (Debian's packages, the block theme twentytwentythree) crawled ad hoc,
as a new user would: `scrapy crawl news -a url=http://127.0.0.1:PORT/`, no sites.toml entry.
What WordPress's own database says is the truth (tests/sites/wordpress.py)."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime

import pytest

from helpers import CI, run_scrapy
from sites.wordpress import WordPressSite, WordPressUnavailable

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def wordpress():
    site = WordPressSite()
    try:
        site.start()
    except WordPressUnavailable as exc:
        if CI:
            pytest.fail(f"the WordPress test site cannot run: {exc}")
        pytest.skip(f"the WordPress test site cannot run: {exc}")
    yield site
    site.stop()


@pytest.fixture(scope="module")
def crawled(wordpress, tmp_path_factory):
    db = tmp_path_factory.mktemp("wordpress") / "wp.db"
    result = run_scrapy("crawl", "news", "-a", f"url={wordpress.url}", "-s", "LOG_LEVEL=INFO",
                        env={"NEWSDESK_DATABASE_URL": f"sqlite:///{db}"}, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    con = sqlite3.connect(db)
    stats = json.loads(con.execute("SELECT stats_json FROM crawl_runs").fetchone()[0])
    return wordpress.truth(), con, stats


def published_posts(truth):
    return {p["url"]: p for p in truth["posts"].values()
            if p["type"] == "post" and p["status"] == "publish" and not p["protected"]}


def utc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def test_every_published_post_is_stored_once_and_nothing_else(crawled):
    truth, con, stats = crawled
    posts = published_posts(truth)
    stored = [url for url, in con.execute("SELECT canonical_url FROM articles")]
    assert sorted(stored) == sorted(posts)  # once each; no archive, category, tag, author, date, search page
    listing = re.compile(r"/(category|tag|author|page)/|/\d{4}/(\d{2}/){0,2}$|[?&]s=|/attachment|/about/|/contact/")
    assert not [u for u in stored if listing.search(u)]
    assert not set(stored) & set(truth["attachments"])
    # the pages that were not stored are counted under a named reason
    assert stats["newsdesk/skipped/not_an_article"] >= 20
    kinds = {k.rsplit("/", 1)[1] for k in stats if k.startswith("newsdesk/not_an_article/")}
    assert {"category_page", "tag_page", "author_page", "date_archive", "home_page"} <= kinds, kinds


def test_no_draft_private_or_protected_content(crawled):
    _, con, _ = crawled
    text = " ".join(t or "" for row in con.execute("SELECT title, body_text, lead FROM articles") for t in row)
    for secret in ("DRAFTSECRET", "PROTECTEDSECRET", "PRIVATESECRET"):
        assert secret not in text
    assert not con.execute("SELECT count(*) FROM articles WHERE title LIKE '%leaked budget%' "
                           "OR title LIKE '%mayor resigns%' OR title LIKE '%staff notes%'").fetchone()[0]


def test_publish_and_modify_times_are_wordpress_own_to_the_minute(crawled):
    truth, con, _ = crawled
    posts = published_posts(truth)
    wrong = []
    for url, published, modified in con.execute("SELECT canonical_url, published_at, modified_at FROM articles"):
        want = posts[url]
        got = (utc(published), utc(modified))
        if tuple(t and t.replace(second=0, microsecond=0) for t in got) != tuple(
                t.replace(second=0) for t in (want["published_at"], want["modified_at"])):
            wrong.append((url, got, want["published_at"], want["modified_at"]))
    assert not wrong
    assert any(p["modified_at"] != p["published_at"] for p in posts.values())


def test_every_post_has_its_author(crawled):
    truth, con, _ = crawled
    posts = published_posts(truth)
    got = dict(con.execute("SELECT a.canonical_url, group_concat(au.name) FROM articles a "
                           "JOIN article_authors aa ON aa.article_id = a.id JOIN authors au ON au.id = aa.author_id "
                           "GROUP BY a.id"))
    assert got == {url: p["author"] for url, p in posts.items()}
    assert {"Maria van der Berg", "Jamal Al-Rashid", "Sofía de la Cruz", "Tom Baker"} == set(got.values())


def test_every_approved_comment_with_its_parent_and_no_hidden_one(crawled):
    truth, con, _ = crawled
    posts = published_posts(truth)
    by_id = {p["id"]: p["url"] for p in posts.values()}
    approved = {c["id"]: c for c in truth["comments"].values() if c["approved"]}
    rows = con.execute("SELECT c.external_id, p.external_id, a.canonical_url, c.author, c.posted_at, c.body_text "
                       "FROM comments c JOIN articles a ON a.id = c.article_id "
                       "LEFT JOIN comments p ON p.id = c.parent_id").fetchall()
    got = {}
    for external, parent, url, author, posted, text in rows:
        got[int(re.search(r"\d+", external).group())] = (int(re.search(r"\d+", parent).group()) if parent else None,
                                                         url, author, utc(posted), text)
    assert set(got) == set(approved)  # none of the spam or pending ones
    for cid, c in approved.items():
        parent, url, author, posted, text = got[cid]
        assert (parent, url, author) == (c["parent"], by_id[c["post"]], c["author"])
        assert posted.replace(second=0) == c["posted_at"].replace(second=0)
        assert text.strip() == c["text"].strip()
    assert max(sum(1 for c in approved.values() if c["post"] == pid and c["parent"] is None)
               for pid in by_id) > 5  # threads longer than one comment page (5 a page)
    assert any(c["parent"] and approved[c["parent"]]["parent"] for c in approved.values())  # three levels deep
    assert not [t for *_, t in got.values() if "SPAMSECRET" in t or "PENDINGSECRET" in t]
