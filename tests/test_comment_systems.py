"""Comment threads from every supported system, end to end: the real engine crawls the
forum demo site (fixtures/sites/forum: one article per comment system, each thread at
least five levels deep and spread over several pages) into SQLite, and every check reads
the database or the command output."""
from __future__ import annotations

import copy
import csv
import json
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import REPO, run_newsdesk

# How each system names a comment (None: the source has no ids, a stable hash stands in).
ID_FORM = {"wp-block": "{}", "wp-feed": "{}", "jsonld-nested": "comment-{}", "jsonld-parent": "post-{}",
           "microdata": "c{}", "disqus": "{}", "generic": None, "selectors": "{}"}
# Which requests of the demo server are pages of a system's thread.
PAGE_REQUESTS = {"wp-block": r"\?cpage=\d", "wp-feed": r"/feed/$", "jsonld-nested": r"\?page=\d",
                 "jsonld-parent": r"\?page=\d", "microdata": r"/comment-page-\d+/", "generic": r"\?cpage=\d",
                 "selectors": r"\?talk=\d", "disqus": r"^/disqus/"}


def crawl(site, db: Path, *extra: str):
    result = run_newsdesk("crawl", "forum", "--db", str(db), *extra, env=site.environment())
    assert result.returncode == 0, f"crawl failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def forum(tmp_path_factory):
    from sites import open_site

    db = tmp_path_factory.mktemp("forum") / "forum.db"
    with open_site("forum") as site:
        crawl(site, db)
        yield site, db, copy.deepcopy(site.articles), list(site.requests)


def rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def stored_thread(db: Path, slug: str) -> list[dict]:
    keys = ("ext", "parent", "depth", "author", "author_url", "posted_at", "text", "deleted_at", "edited_at")
    return [dict(zip(keys, r)) for r in rows(
        db, "SELECT c.external_id, p.external_id, c.depth, c.author, c.author_url, c.posted_at, c.body_text, "
            "c.deleted_at, c.edited_at FROM comments c JOIN articles a ON a.id = c.article_id "
            "LEFT JOIN comments p ON p.id = c.parent_id WHERE a.url LIKE ? ORDER BY c.id", f"%/{slug}/")]


def utc(site, local_iso: str) -> datetime:
    return datetime.fromisoformat(local_iso).replace(tzinfo=site.tz).astimezone(timezone.utc).replace(tzinfo=None)


def expected_author_url(system: str, c: dict) -> str | None:
    if system == "wp-feed":
        return None  # a comment feed carries no author links
    if system == "disqus":
        return f"https://disqus.com/by/{re.sub(r'[^a-z0-9_]+', '', c['author'].lower())}/"
    return c["author_url"]


def depths(article: dict) -> dict[int, int]:
    by_id = {c["id"]: c for c in article["comments"]}

    def depth(c):
        return 0 if c["parent"] is None else depth(by_id[c["parent"]]) + 1

    return {c["id"]: depth(c) for c in article["comments"]}


@pytest.mark.parametrize("system", list(ID_FORM))
def test_every_comment_is_stored_with_parent_depth_author_and_time(forum, system):
    site, db, articles, requests = forum
    article = next(a for a in articles if a["system"] == system)
    depth_of = depths(article)
    assert max(depth_of.values()) >= 4
    stored = stored_thread(db, article["slug"])
    assert len(stored) == len(article["comments"])
    # Match by what the reader sees (ids of a hashed source are ours, not the site's).
    by_key = {(s["author"], s["text"], datetime.fromisoformat(s["posted_at"])): s for s in stored}
    key_of = {c["id"]: (c["author"], c["text"], utc(site, c["posted"])) for c in article["comments"]}
    assert len(by_key) == len(stored)
    for c in article["comments"]:
        s = by_key[key_of[c["id"]]]
        assert s["depth"] == depth_of[c["id"]]
        assert s["author_url"] == expected_author_url(system, c)
        assert s["deleted_at"] is None
        parent = by_key[key_of[c["parent"]]]["ext"] if c["parent"] is not None else None
        assert s["parent"] == parent
        if ID_FORM[system]:
            assert s["ext"] == ID_FORM[system].format(c["id"])
    # The feed is one document by design; every other system spreads over three pages or more.
    assert len(thread_pages(site, article, requests)) >= (1 if system == "wp-feed" else 3)


def thread_pages(site, article: dict, requests: list[tuple]) -> set[str]:
    """Distinct pages of an article's thread the crawl fetched from the demo server."""
    mark = site._thread_id(article) if article["system"] == "disqus" else article["slug"]
    return {path for _, path, status in requests
            if status == 200 and mark in path and re.search(PAGE_REQUESTS[article["system"]], path)}


def test_text_that_looks_like_markup_is_stored_as_typed(forum):
    _, db, articles, _ = forum
    typed = articles[0]["comments"][1]["text"]
    assert "<script>" in typed
    assert rows(db, "SELECT body_text FROM comments WHERE external_id = ?", str(articles[0]["comments"][1]["id"])) \
        == [(typed,)]
    # Line breaks inside a comment and between its paragraphs survive every system.
    multi = rows(db, "SELECT count(*) FROM comments WHERE body_text LIKE '%' || char(10) || char(10) || '%'")[0][0]
    assert multi >= 8


def test_disqus_is_fetched_from_its_own_host_named_in_sites_toml(forum):
    site, db, _, requests = forum
    # sites.toml [sites.forum.settings] points NEWSDESK_DISQUS_* at another host than the crawled
    # 127.0.0.1 (offsite, as disqus.com is for a news site); the crawl had no -s of its own.
    assert site.disqus_url.startswith("http://localhost:")
    paths = [p for _, p, status in requests if p.startswith("/disqus/")]
    assert sum("/embed/comments/" in p for p in paths) == 2  # the working and the broken thread
    assert sum("listPostsThreaded" in p for p in paths) >= 2


def test_a_thread_that_cannot_be_read_still_stores_its_article_and_is_counted(forum):
    site, db, articles, _ = forum
    broken = {a["system"]: a for a in articles if a["system"].startswith("broken")}
    for article in broken.values():
        assert rows(db, "SELECT count(*) FROM articles WHERE url LIKE ?", f"%/{article['slug']}/") == [(1,)]
    assert stored_thread(db, broken["broken-disqus"]["slug"]) == []
    # The page that answered 500 is missing; the newest page (the article's own) is stored.
    partial = stored_thread(db, broken["broken-page"]["slug"])
    assert 0 < len(partial) < len(broken["broken-page"]["comments"])
    (failed, stats), = rows(db, "SELECT comment_threads_failed, stats_json FROM crawl_runs")
    assert failed == 2
    reasons = {k: v for k, v in json.loads(stats).items() if k.startswith("newsdesk/comment_threads_failed/")}
    assert reasons == {"newsdesk/comment_threads_failed/disqus_thread_data_is_not_json": 1,
                       "newsdesk/comment_threads_failed/comment_page_not_fetched_http_500": 1}


def test_comment_threads_view_reads_a_newest_first_thread_in_posting_order(forum):
    site, db, articles, _ = forum
    article = next(a for a in articles if a["system"] == "wp-block")  # newest page and comment shown first
    children: dict = {}
    for c in sorted(article["comments"], key=lambda c: c["posted"]):
        children.setdefault(c["parent"], []).append(c)
    order: list[tuple] = []

    def walk(parent, depth):
        for c in children.get(parent, []):
            order.append((str(c["id"]), depth))
            walk(c["id"], depth + 1)

    walk(None, 0)
    got = rows(db, "SELECT external_id, depth FROM comment_threads WHERE article_url LIKE ? ORDER BY position",
               f"%/{article['slug']}/")
    assert got == order


def test_export_writes_comments_with_article_url_and_parent_ids(forum, tmp_path):
    _, db, articles, _ = forum
    out = tmp_path / "comments.csv"
    result = run_newsdesk("export", "--db", str(db), "--format", "csv", "--comments", "--site", "forum",
                          "-o", str(out))
    assert result.returncode == 0, result.stderr
    exported = list(csv.DictReader(out.open(encoding="utf-8")))
    article = next(a for a in articles if a["system"] == "jsonld-parent")
    mine = [r for r in exported if r["article_url"].endswith(f"/{article['slug']}/")]
    assert len(mine) == len(article["comments"])
    by_ext = {r["external_id"]: r for r in mine}
    for c in article["comments"]:
        row = by_ext[f"post-{c['id']}"]
        assert row["parent_external_id"] == (f"post-{c['parent']}" if c["parent"] else "")
        if c["parent"]:
            assert row["parent_id"] == by_ext[f"post-{c['parent']}"]["comment_id"]
    assert [int(r["position"]) for r in mine] == list(range(1, len(mine) + 1))
    assert len(exported) == rows(db, "SELECT count(*) FROM comments")[0][0]


# --- re-crawl: new replies, an edit and deletions between two crawls ---------------------------

@pytest.fixture(scope="module")
def recrawled(forum, tmp_path_factory):
    site, first_db, _, _ = forum
    db = tmp_path_factory.mktemp("recrawl") / "forum.db"
    shutil.copy(first_db, db)
    before = {r[0]: r[1:] for r in rows(db, "SELECT id, external_id, body_text, deleted_at FROM comments")}
    wp, dq = site.by_system("wp-block"), site.by_system("disqus")
    generic, graph = site.by_system("generic"), site.by_system("jsonld-parent")
    wp_depth, generic_depth = depths(wp), depths(generic)
    deepest = max(wp["comments"], key=lambda c: wp_depth[c["id"]])
    edited = wp["comments"][3]
    leaf = next(c for c in wp["comments"] if c["id"] not in (deepest["id"], edited["id"]) and wp_depth[c["id"]] >= 1
                and not any(k["parent"] == c["id"] for k in wp["comments"]))
    mid = next(c for c in generic["comments"] if generic_depth[c["id"]] == 2)
    change = {
        "wp_reply": site.add_comment(wp["slug"], "Late reader", "Replying at the bottom of the thread.",
                                     parent_id=deepest["id"], posted="2024-06-01T12:00:00"),
        "wp_root": site.add_comment(wp["slug"], "Newcomer", "First time commenting here.\nHello all.",
                                    posted="2024-06-01T13:00:00"),
        "dq_reply": site.add_comment(dq["slug"], "Late reader", "A late Disqus reply.",
                                     parent_id=dq["comments"][5]["id"], posted="2024-06-01T14:00:00"),
        "generic_reply": site.add_comment(generic["slug"], "Late reader", "A reply to a reply in the custom layout.",
                                          parent_id=mid["id"], posted="2024-06-01T15:00:00"),
        "graph_reply": site.add_comment(graph["slug"], "Late reader", "Answering the very first post.",
                                        parent_id=graph["comments"][0]["id"], posted="2024-06-01T16:00:00"),
    }
    site.edit_comment(edited["id"], "Edited: I had the dates wrong, sorry.")
    site.edit_comment(dq["comments"][2]["id"], "Edited on Disqus.")
    site.delete_comment(leaf["id"])  # gone from the page
    site.mark_deleted(dq["comments"][7]["id"])  # a "This comment was deleted." placeholder
    # The forum's articles date from 2024. Threads are re-read for articles within the site's
    # revisit_days (older pages get conditional requests, and a Disqus thread changes without
    # its page changing), so the re-crawl treats them as recent.
    sites = tmp_path_factory.mktemp("recrawl-sites") / "sites.toml"
    sites.write_text((REPO / "sites.toml").read_text(encoding="utf-8").replace(
        "[sites.forum]\n", "[sites.forum]\nrevisit_days = 36500\n", 1), encoding="utf-8")
    crawl(site, db, "--sites", str(sites))
    yield site, db, before, change, {"wp_edit": edited, "wp_gone": leaf, "dq_edit": dq["comments"][2],
                                     "dq_gone": dq["comments"][7], "generic_parent": mid}


def test_recrawl_adds_exactly_the_new_replies(recrawled):
    site, db, before, change, _ = recrawled
    after = rows(db, "SELECT id, external_id FROM comments")
    assert len(after) == len(before) + len(change)
    assert {ext for _, ext in after} >= {str(cid) for key, cid in change.items() if key in ("wp_reply", "wp_root", "dq_reply")}
    assert rows(db, "SELECT count(*) FROM (SELECT article_id, external_id FROM comments "
                    "GROUP BY article_id, external_id HAVING count(*) > 1)") == [(0,)]
    assert rows(db, "SELECT count(*) FROM articles") == [(10,)]
    run = rows(db, "SELECT comments_new, comments_updated, comments_deleted FROM crawl_runs ORDER BY id")
    assert run[-1] == (len(change), 2, 2)


def test_recrawl_puts_new_replies_under_their_parents(recrawled):
    site, db, _, change, old = recrawled
    (ext, parent, depth), = rows(db, "SELECT c.external_id, p.external_id, c.depth FROM comments c "
                                     "JOIN comments p ON p.id = c.parent_id WHERE c.external_id = ?",
                                 str(change["wp_reply"]))
    assert depth == depths(site.by_system("wp-block"))[change["wp_reply"]] >= 5
    # A source without ids: the new reply hangs under the same (hashed) row as before.
    generic = site.by_system("generic")
    stored = {(s["author"], s["text"]): s for s in stored_thread(db, generic["slug"])}
    reply = stored[("Late reader", "A reply to a reply in the custom layout.")]
    assert reply["parent"] == stored[(old["generic_parent"]["author"], old["generic_parent"]["text"])]["ext"]
    assert len(stored) == len(generic["comments"])
    assert all(s["deleted_at"] is None for s in stored.values())


def test_recrawl_records_edits_and_marks_deletions(recrawled):
    site, db, before, _, old = recrawled
    wp = {s["ext"]: s for s in stored_thread(db, site.by_system("wp-block")["slug"])}
    edited = wp[str(old["wp_edit"]["id"])]
    assert edited["text"] == "Edited: I had the dates wrong, sorry." and edited["edited_at"] is not None
    gone = wp[str(old["wp_gone"]["id"])]
    assert gone["deleted_at"] is not None and gone["text"] == old["wp_gone"]["text"]  # marked, never removed
    dq = {s["ext"]: s for s in stored_thread(db, site.by_system("disqus")["slug"])}
    assert dq[str(old["dq_edit"]["id"])]["text"] == "Edited on Disqus."
    assert dq[str(old["dq_gone"]["id"])]["deleted_at"] is not None
    deleted = rows(db, "SELECT external_id FROM comments WHERE deleted_at IS NOT NULL")
    assert sorted(deleted) == sorted([(str(old["wp_gone"]["id"]),), (str(old["dq_gone"]["id"]),)])
    edited_rows = rows(db, "SELECT external_id FROM comments WHERE edited_at IS NOT NULL")
    assert sorted(edited_rows) == sorted([(str(old["wp_edit"]["id"]),), (str(old["dq_edit"]["id"]),)])
    counts = dict(rows(db, "SELECT url, comment_count FROM articles"))
    wp_url = next(u for u in counts if site.by_system("wp-block")["slug"] in u)
    assert counts[wp_url] == len(site.by_system("wp-block")["comments"])  # live comments only
