"""The WARC archive, re-extraction and WARC import, end to end (issue 13).

Crawls of the demo and forum sites run with NEWSDESK_ARCHIVE_DIR set; their WARC files are
read by warcio's own command line and read back record by record; `newsdesk reextract`
fills a fresh database from them with the servers stopped (no network) and must store what
the crawl stored; a WARC written by wget (a client nobody here wrote) imports into what a
crawl stores; an import SIGKILLed mid-file and run again stores every article exactly once.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import CI, REPO, run_newsdesk, start_newsdesk

pytestmark = pytest.mark.e2e  # the real commands in child processes

WARC_NAME = re.compile(r"^(demo|forum)-\d{14}-\d+-\d{5}\.warc\.gz$")


def rows(db: Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def snapshot(db: Path) -> dict:
    """What a crawl stores, without the times of seeing: articles with their fields, authors in
    order, tags, and every comment with its parent's source id."""
    return {
        "articles": sorted(rows(db, "SELECT canonical_url, url, title, subtitle, published_at, modified_at, language, "
                                    "section, image_url, lead, body_text, word_count, content_hash, comment_count, "
                                    "duplicate_of_id IS NULL FROM articles")),
        "authors": sorted(rows(db, "SELECT a.canonical_url, au.name, aa.position FROM article_authors aa "
                                   "JOIN articles a ON a.id = aa.article_id JOIN authors au ON au.id = aa.author_id")),
        "tags": sorted(rows(db, "SELECT a.canonical_url, t.name FROM article_tags x JOIN articles a "
                                "ON a.id = x.article_id JOIN tags t ON t.id = x.tag_id")),
        "comments": sorted(rows(db, "SELECT a.canonical_url, c.external_id, p.external_id, c.depth, c.author, "
                                    "c.author_url, c.posted_at, c.body_text, c.deleted_at IS NULL FROM comments c "
                                    "JOIN articles a ON a.id = c.article_id LEFT JOIN comments p ON p.id = c.parent_id")),
    }


def assert_same(stored: dict, expected: dict) -> None:
    for table in expected:
        assert len(stored[table]) == len(expected[table]), table
        assert stored[table] == expected[table], table


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """The demo and forum sites crawled with the archive on; the servers are stopped after."""
    from sites import open_site

    root = tmp_path_factory.mktemp("archived")
    out = {}
    for name in ("demo", "forum"):
        db, warcs = root / f"{name}.db", root / f"warc-{name}"
        with open_site(name) as site:
            env = {**site.environment(), "NEWSDESK_ARCHIVE_DIR": str(warcs)}
            result = run_newsdesk("crawl", name, "--db", str(db), env=env)
            assert result.returncode == 0, result.stderr[-3000:]
            out[name] = {"db": db, "dir": warcs, "env": site.environment(), "articles": len(site.articles)}
    return out


def warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warcio.cli", *args], capture_output=True, text=True, timeout=300)


# --- the archive ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["demo", "forum"])
def test_warc_files_are_named_per_site_and_read_by_warcio(archived, name):
    import json

    files = sorted(archived[name]["dir"].iterdir())
    assert files and all(WARC_NAME.match(f.name) and f.name.startswith(name) for f in files)
    for warc in files:
        check = warcio("check", "-v", str(warc))
        assert check.returncode == 0, check.stdout + check.stderr  # payload and block digests hold
        index = [json.loads(line) for line in warcio("index", str(warc)).stdout.splitlines()]
        assert index[0]["warc-type"] == "warcinfo"
        kinds = [e["warc-type"] for e in index[1:]]
        assert kinds.count("response") == kinds.count("request") > 0  # every response with its request
    db = archived[name]["db"]
    # Each article's page and every comment page / comment API response its thread needed.
    # (an edited article's stale copy at its old URL is one more page record of the same article)
    pages = rows(db, "SELECT count(DISTINCT article_id) FROM article_records WHERE kind = 'article'")[0][0]
    assert pages == archived[name]["articles"]
    assert rows(db, "SELECT count(*) FROM article_records WHERE kind != 'article'")[0][0] > 0
    if name == "forum":
        assert {k for (k,) in rows(db, "SELECT DISTINCT kind FROM article_records")} >= {
            "article", "page", "disqus-embed", "disqus-api", "wordpress-feed"}


@pytest.mark.parametrize("name", ["demo", "forum"])
def test_every_article_points_at_its_archived_page(archived, name):
    from warcio.archiveiterator import ArchiveIterator

    def record(warc_file: str, offset: int):
        with open(warc_file, "rb") as fh:
            fh.seek(offset)
            rec = next(iter(ArchiveIterator(fh)))
            return rec, rec.content_stream().read()

    db = archived[name]["db"]
    stored = rows(db, "SELECT id, url, title, warc_file, warc_offset, extractor_version FROM articles")
    assert len(stored) == archived[name]["articles"]
    for article_id, url, title, warc_file, offset, extractor in stored:
        rec, body = record(warc_file, offset)
        assert rec.rec_type == "response"
        assert rec.rec_headers.get_header("WARC-Target-URI") == url
        assert rec.http_headers.get_statuscode() == "200"
        assert any(html.escape(title, quote=q).encode() in body for q in (False, True))
        # Every version points at the response it was read from; the current one among them.
        versions = rows(db, "SELECT warc_file, warc_offset, extractor_version FROM article_versions "
                            "WHERE article_id = ?", article_id)
        assert (warc_file, offset, extractor) in versions and extractor
        for version_file, version_offset, _ in versions:
            rec, _ = record(version_file, version_offset)
            assert rec.rec_type == "response" and rec.http_headers.get_statuscode() == "200"


# --- re-extraction ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["demo", "forum"])
def test_reextract_into_a_fresh_database_stores_what_the_crawl_stored(archived, name, tmp_path):
    fresh = tmp_path / "fresh.db"
    # The servers are gone: every page and comment response must come from the archive.
    result = run_newsdesk("reextract", "--from", str(archived[name]["db"]), "--db", str(fresh),
                          env=archived[name]["env"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{archived[name]['articles']} new" in result.stdout
    assert_same(snapshot(fresh), snapshot(archived[name]["db"]))
    assert rows(fresh, "SELECT origin, status FROM crawl_runs") == [("reextract", "finished")]
    # The new rows point at the same records.
    def pointers(db):
        return sorted(rows(db, "SELECT canonical_url, warc_file, warc_offset FROM articles"))
    assert pointers(fresh) == pointers(archived[name]["db"])


def test_reextract_makes_a_version_only_where_a_field_changed(archived, tmp_path):
    db = tmp_path / "demo.db"
    shutil.copy(archived["demo"]["db"], db)
    env = archived["demo"]["env"]
    versions = rows(db, "SELECT count(*) FROM article_versions")[0][0]
    result = run_newsdesk("reextract", "--db", str(db), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "0 new, 0 changed (a new version each), 50 unchanged" in result.stdout
    assert rows(db, "SELECT count(*) FROM article_versions")[0][0] == versions
    # As an older extractor would have stored them: one title wrong, one byline missed.
    (first, title), (second, _) = rows(db, "SELECT id, title FROM articles ORDER BY id LIMIT 2")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET title = 'Old headline' WHERE id = ?", (first,))
        conn.execute("DELETE FROM article_authors WHERE article_id = ?", (second,))
        conn.execute("UPDATE article_versions SET extractor_version = 'older' WHERE article_id IN (?, ?)",
                     (first, second))
    before = snapshot(db)
    dry = run_newsdesk("reextract", "--db", str(db), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "2 changed, 48 unchanged" in dry.stdout
    assert f"title: 'Old headline' -> {title!r}" in dry.stdout
    assert re.search(r"authors: \[\] -> \['[^']+'\]", dry.stdout)
    assert snapshot(db) == before  # a dry run stores nothing
    result = run_newsdesk("reextract", "--db", str(db), "--site", "demo", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "0 new, 2 changed (a new version each), 48 unchanged" in result.stdout
    current = rows(db, "SELECT extractor_version FROM articles WHERE id = ?", first)[0][0]
    for article_id in (first, second):
        assert [v for (v,) in rows(db, "SELECT extractor_version FROM article_versions WHERE article_id = ? "
                                       "ORDER BY id", article_id)] == ["older", current]
    assert rows(db, "SELECT title FROM articles WHERE id = ?", first) == [(title,)]
    assert rows(db, "SELECT count(*) FROM article_versions")[0][0] == versions + 2
    assert rows(db, "SELECT count(*) FROM article_authors WHERE article_id = ?", second)[0][0] >= 1


def test_reextract_of_a_database_without_archive_is_one_clear_error(tmp_path):
    from models.db import resolve_url, upgrade

    db = tmp_path / "empty.db"
    upgrade(resolve_url(str(db)))
    result = run_newsdesk("reextract", "--db", str(db))
    assert result.returncode == 1 and "no archived articles" in result.stderr and "Traceback" not in result.stderr
    result = run_newsdesk("reextract", "--db", str(db), "--since", "yesterday")
    assert result.returncode == 2 and "--since: not a date" in result.stderr


# --- import -----------------------------------------------------------------------------

def test_a_wget_warc_of_the_demo_site_imports_into_what_a_crawl_stores(tmp_path):
    from sites import open_site

    if not shutil.which("wget"):
        if CI:
            pytest.fail("wget is not installed (apt-get install -y wget)")
        pytest.skip("wget is not installed")
    crawled, imported = tmp_path / "crawl.db", tmp_path / "import.db"
    # The crawl archives through sites.toml this time: `archive = true` in the site's entry.
    sites = tmp_path / "sites.toml"
    sites.write_text((REPO / "sites.toml").read_text(encoding="utf-8").replace(
        "[sites.demo]\n", "[sites.demo]\narchive = true\n", 1), encoding="utf-8")
    with open_site("demo") as site:
        env = site.environment()
        result = run_newsdesk("crawl", "demo", "--db", str(crawled), "--sites", str(sites),
                              "-s", f"NEWSDESK_ARCHIVE_DEFAULT_DIR={tmp_path / 'kept'}", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        wget = subprocess.run(["wget", "--mirror", "--no-verbose", "--delete-after", "-P", str(tmp_path / "files"),
                               f"--warc-file={tmp_path / 'mirror'}", "--no-warc-keep-log", f"{site.url}/"],
                              capture_output=True, text=True, timeout=600)
        # 8: some links answered 404 (the demo's images are not served); the mirror is whole otherwise.
        assert wget.returncode in (0, 8), wget.stderr[-2000:]
    warc = tmp_path / "mirror.warc.gz"
    assert warc.exists()
    assert [p.name[:5] for p in (tmp_path / "kept").iterdir()] == ["demo-"]
    assert rows(crawled, "SELECT count(*) FROM articles WHERE warc_file LIKE ?", f"{tmp_path / 'kept'}%")[0][0] == 50
    result = run_newsdesk("import-warc", str(warc), "--db", str(imported), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "50 new" in result.stdout and "comments 665 new" in result.stdout
    assert "records 1" in result.stderr and "records/s" in result.stderr and "ETA" in result.stderr
    assert_same(snapshot(imported), snapshot(crawled))
    assert rows(imported, "SELECT name FROM sites") == [("demo",)]  # the site, from the host
    assert rows(imported, "SELECT path, next_offset = size, finished_at IS NOT NULL FROM warc_imports") == [
        (str(warc), 1, 1)]
    again = run_newsdesk("import-warc", str(warc), "--db", str(imported), env=env)
    assert again.returncode == 0 and "already imported, skipped" in again.stderr
    assert_same(snapshot(imported), snapshot(crawled))


COPIES = 5


def _copies_of(warcs: list[Path], db: Path, target: Path, copies: int) -> int:
    """One WARC holding ``copies`` renamed copies of every archived article and its comment pages
    (URLs and titles changed, so each copy is an article of its own). Returns the article count."""
    from io import BytesIO
    from urllib.parse import urlsplit

    from warcio.archiveiterator import ArchiveIterator
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    articles = rows(db, "SELECT url, title FROM articles")
    records = []
    for warc in warcs:
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    records.append((record.rec_headers.get_header("WARC-Target-URI"),
                                    record.http_headers.headers, record.content_stream().read()))
    with open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for copy in range(copies):
            for url, headers, body in records:
                owner = next(((u, t) for u, t in articles if url.startswith(u)), None)
                if owner is None:
                    continue
                article_url, title = owner
                path = urlsplit(article_url).path  # links to it may be relative: its path is renamed
                new_path = path.rstrip("/") + f"-copy{copy}/"
                new_title = f"{title} (copy {copy})"
                new_body = body
                for old, new in ((path, new_path), (html.escape(title), html.escape(new_title)),
                                 (title, new_title)):
                    new_body = new_body.replace(old.encode(), new.encode())
                new_headers = [(k, str(len(new_body)) if k.lower() == "content-length" else v) for k, v in headers]
                writer.write_record(writer.create_warc_record(
                    url.replace(path, new_path), "response", payload=BytesIO(new_body),
                    http_headers=StatusAndHeaders("200 OK", new_headers, protocol="HTTP/1.1")))
    return len(articles) * copies


def test_an_import_killed_mid_file_and_run_again_stores_every_article_once(archived, tmp_path):
    db = tmp_path / "import.db"
    warc = tmp_path / "copies.warc.gz"
    expected = _copies_of(sorted(archived["demo"]["dir"].iterdir()), archived["demo"]["db"], warc, COPIES)
    env = archived["demo"]["env"]
    # One article per batch: the import commits 250 times, so however long this process is kept
    # off the CPU on a busy machine, it finds the file part-imported (with 100 a batch, a starved
    # test once saw the file already whole).
    proc = start_newsdesk("import-warc", str(warc), "--db", str(db), "-s", "NEWSDESK_IMPORT_BATCH_ARTICLES=1",
                          log=tmp_path / "first.log", env=env)
    # The event: the first articles are committed. Then the writer is held (the database's write
    # lock, taken in the same step as the count) so it cannot finish the file before the kill.
    conn = None
    try:
        while True:
            assert proc.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            if db.exists():
                conn = conn or sqlite3.connect(db, timeout=60, isolation_level=None)
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                except sqlite3.OperationalError:  # no schema yet
                    stored = 0
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    continue
                if stored:
                    break
                conn.execute("ROLLBACK")
            time.sleep(0.05)  # polling interval between looks at the database, not a stand-in for the event
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if conn is not None:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
    assert 0 < stored < expected
    (next_offset, size), = rows(db, "SELECT next_offset, size FROM warc_imports")
    assert 0 < next_offset < size  # killed mid-file
    result = run_newsdesk("import-warc", str(warc), "--db", str(db), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming after" in result.stderr
    assert rows(db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(expected, expected)]
    assert rows(db, "SELECT count(*) FROM article_versions")[0][0] == expected
    assert rows(db, "SELECT count(*) FROM article_urls")[0][0] == expected
    comments = rows(archived["demo"]["db"], "SELECT count(*) FROM comments")[0][0]
    assert rows(db, "SELECT count(*), count(DISTINCT article_id || '/' || external_id) FROM comments") == [
        (comments * COPIES, comments * COPIES)]
    assert rows(db, "SELECT next_offset = size, finished_at IS NOT NULL FROM warc_imports") == [(1, 1)]


def test_import_inputs_listing_glob_and_url(archived, tmp_path):
    """A listing file (as CC-NEWS's warc.paths.gz), a glob and an http URL name the same files."""
    import gzip
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    warcs = sorted(archived["demo"]["dir"].iterdir())
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress("".join(f"{p}\n" for p in warcs).encode()))
    env = archived["demo"]["env"]
    by_listing, by_url = tmp_path / "listing.db", tmp_path / "url.db"
    result = run_newsdesk("import-warc", str(listing), str(archived["demo"]["dir"] / "*.warc.gz"),
                          "--db", str(by_listing), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(warcs)} WARC file(s)" in result.stdout  # named twice, read once
    handler = partial(SimpleHTTPRequestHandler, directory=str(archived["demo"]["dir"]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        urls = [f"http://127.0.0.1:{server.server_address[1]}/{p.name}" for p in warcs]
        result = run_newsdesk("import-warc", *urls, "--db", str(by_url), "--cache", str(tmp_path / "cache"), env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same(snapshot(by_url), snapshot(by_listing))
    assert_same(snapshot(by_listing), snapshot(archived["demo"]["db"]))
    missing = run_newsdesk("import-warc", str(tmp_path / "nope.warc.gz"), "--db", str(by_url))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>not a WARC</p></body></html>")
    bad = run_newsdesk("import-warc", str(page), "--db", str(by_url))
    assert bad.returncode == 1 and "not a readable WARC file" in bad.stderr and "Traceback" not in bad.stderr
