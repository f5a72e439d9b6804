"""Distributed mode, end to end: two crawler processes started together share one crawl of the
demo site through the real Redis (scrapy-redis queue and duplicate filter) and store into one
real PostgreSQL database. One worker is `newsdesk crawl demo --redis URL`, the other
`scrapy crawl news -a site=demo -s NEWSDESK_REDIS_URL=URL`: the same crawl either way."""
from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import uuid
from collections import Counter

import pytest

from conftest import REPO, run_newsdesk

TRACKING = "?utm_source=newsletter&utm_medium=email"


@pytest.fixture(scope="module")
def database(pg_server_url):
    """One PostgreSQL database for the module's crawls, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"newsdesk_dist_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def redis_prefix(redis_url):
    """A key prefix of this module's own, and every key under it removed afterwards."""
    import redis

    prefix = f"newsdesk-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    leftovers = list(client.scan_iter(f"{prefix}:*"))
    if leftovers:
        client.delete(*leftovers)
    client.close()


def sites_file(tmp_path, site) -> str:
    """The repository's demo site, also started from a tracking-parameter link to one article:
    that variant and the plain URL (from the feed, sitemap and listings) are one request."""
    text = (REPO / "sites.toml").read_text(encoding="utf-8")
    variant = site.path_of(site.articles[0]) + TRACKING
    text = text.replace('start_urls = ["${NEWSDESK_DEMO_URL}/"]',
                        f'start_urls = ["${{NEWSDESK_DEMO_URL}}/", "${{NEWSDESK_DEMO_URL}}{variant}"]', 1)
    assert variant in text
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def start_workers(site, db: str, redis_url: str, prefix: str, sites: str) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSDESK_DEMO_URL": site.url,
           "NEWSDESK_REDIS_PREFIX": prefix, "NEWSDESK_SITES": sites}
    commands = [
        [sys.executable, "-m", "crawler.cli", "crawl", "demo", "--db", db, "--redis", redis_url],
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-s", f"NEWSDESK_DATABASE_URL={db}",
         "-s", f"NEWSDESK_REDIS_URL={redis_url}"],
    ]
    return [subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for cmd in commands]


def finish(workers: list[subprocess.Popen], timeout: float = 120) -> list[tuple[str, str]]:
    outputs = [w.communicate(timeout=timeout) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, f"worker failed ({worker.returncode}):\n{out}\n{err[-4000:]}"
    return outputs


@pytest.fixture(scope="module")
def two_workers(database, redis_url, redis_prefix, tmp_path_factory):
    import redis
    from crawler.demosite import DemoSite

    with DemoSite("demo") as site:
        site.delay = 0.03  # a little latency, as a real site has, so both workers get pages
        sites = sites_file(tmp_path_factory.mktemp("distributed"), site)
        outputs = finish(start_workers(site, database, redis_url, redis_prefix, sites))
        client = redis.Redis.from_url(redis_url)
        keys_left = sorted(k.decode() for k in client.scan_iter(f"{redis_prefix}:*"))
        client.close()
        yield site, database, outputs, keys_left, sites


def query(db: str, sql: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def test_every_article_and_comment_is_stored_once(two_workers):
    site, db, *_ = two_workers
    assert query(db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(50, 50)]
    stored = {t for (t,) in query(db, "SELECT title FROM articles")}
    assert stored == {a["title"] for a in site.articles}
    assert query(db, "SELECT count(*), count(DISTINCT (article_id, external_id)) FROM comments") == [(665, 665)]
    assert query(db, "SELECT count(*) FROM articles WHERE duplicate_of_id IS NOT NULL") == [(0,)]
    # Every thread whole, whichever worker fetched which of its comment pages.
    counts = dict(query(db, "SELECT canonical_url, comment_count FROM articles"))
    for article in site.articles:
        assert counts[site.url + site.path_of(article)] == len(article["comments"])


def test_each_page_is_fetched_once_across_both_workers(two_workers):
    site, *_ = two_workers
    fetched = Counter(path.split("?")[0] for _, path, _ in site.requests)
    # robots.txt is the exception: each worker's robots.txt middleware reads it for itself.
    twice = {path: n for path, n in fetched.items() if n > 1 and path != "/robots.txt"}
    assert twice == {}
    assert fetched["/robots.txt"] <= 3
    for article in site.articles:
        assert fetched[site.path_of(article)] == 1
        for n in range(2, len(site.comment_pages(article)) + 1):
            assert fetched[f"{site.path_of(article)}comment-page-{n}/"] == 1
    # The tracking variant was a start URL: fetched as linked, and the plain URL never after it.
    first = site.path_of(site.articles[0])
    assert [p for _, p, _ in site.requests if p.split("?")[0] == first] == [first + TRACKING]


def test_both_workers_share_the_crawl_and_record_their_runs(two_workers):
    _, db, *_ = two_workers
    runs = query(db, "SELECT status, pages_fetched, articles_new, comments_new, stats_json FROM crawl_runs")
    assert len(runs) == 2
    assert [r[0] for r in runs] == ["finished", "finished"]
    assert sum(r[2] for r in runs) == 50 and sum(r[3] for r in runs) == 665
    assert all(r[1] > 0 for r in runs), f"one worker did nothing: {[r[:4] for r in runs]}"
    # Every request went through the shared queue, and whatever one worker queued, one of
    # the two took: nothing was left behind or taken twice.
    stats = [json.loads(r[4]) for r in runs]
    assert all(s["scheduler/dequeued/redis"] > 0 for s in stats)
    assert sum(s["scheduler/enqueued/redis"] for s in stats) == sum(s["scheduler/dequeued/redis"] for s in stats)


def test_redis_keys_are_removed_when_the_crawl_ends(two_workers):
    *_, keys_left, _ = two_workers
    assert keys_left == []


def test_next_distributed_crawl_starts_afresh(two_workers, redis_url, redis_prefix):
    """The finished crawl's duplicate filter is gone: a new crawl fetches the site again and
    finds every article unchanged (a leftover filter would have let it fetch nothing)."""
    site, db, _, _, sites = two_workers
    site.requests.clear()
    site.delay = 0
    result = run_newsdesk("crawl", "demo", "--db", db, "--redis", redis_url,
                          env={"NEWSDESK_DEMO_URL": site.url, "NEWSDESK_REDIS_PREFIX": redis_prefix,
                               "NEWSDESK_SITES": sites}, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    last = query(db, "SELECT status, articles_new, articles_unchanged, comments_new FROM crawl_runs "
                     "ORDER BY id DESC LIMIT 1")
    assert last == [("finished", 0, 50, 0)]
    assert query(db, "SELECT count(*) FROM articles") == [(50,)]


def test_unreachable_redis_is_one_clear_error(tmp_path, demo_site):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_newsdesk("crawl", "demo", "--db", str(tmp_path / "x.db"), "--redis", f"redis://127.0.0.1:{port}/0",
                          env={"NEWSDESK_DEMO_URL": demo_site.url})
    assert result.returncode != 0
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in result.stderr
    assert "Traceback" not in result.stderr
    assert demo_site.requests == []  # it did not crawl alone instead


# --- the shared store under concurrent writers (no crawl: four threads, one database) ----------

def test_concurrent_writers_store_each_article_once(pg_url):
    """Four writers store the same articles at once in different orders, and pairs of copies
    (same content under two URLs; a lightly edited syndicated copy) at the same moment."""
    from sqlalchemy import text

    from models import repository
    from models.db import get_engine, session_factory, upgrade
    from crawler.runner import newsdesk_settings
    from models.neardup import DatabaseNearDuplicateIndex
    from pipelines.dedup import MinHashSigner
    from storage_corpus import article, comment, utc

    upgrade(pg_url)
    settings = newsdesk_settings()
    sessions = session_factory(pg_url)
    index, signer = DatabaseNearDuplicateIndex.from_settings(settings), MinHashSigner.from_settings(settings)
    words = "the council met on tuesday to debate the harbour budget and the library hours".split()

    def body(i: int) -> str:
        rng = random.Random(i)
        return "\n\n".join(" ".join(rng.choice(words) for _ in range(25)) + "." for _ in range(6))

    shared = [article(f"https://x.example/a/{i}", f"Story {i}", body(i), authors=[f"Author {i % 3}", f"Author {(i + 1) % 3}"],
                      tags=[f"tag{i % 2}"], published=utc(2020, 1, 1), comments=[
                          comment(f"{i}-{k}", f"comment {k} on {i}", parent=f"{i}-{k - 1}" if k else None, depth=k)
                          for k in range(4)]) for i in range(20)]
    exact = [(article(f"https://x.example/e/{i}", f"Copy {i}", body(100 + i)),
              article(f"https://x.example/print/e/{i}", f"Copy {i}", body(100 + i))) for i in range(6)]
    near = [(article(f"https://x.example/n/{i}", f"Wire {i}", body(200 + i), published=utc(2020, 1, 2)),
             article(f"https://y.example/n/{i}", f"Wire {i}", body(200 + i) + " Reporting by our staff.",
                     published=utc(2020, 1, 3))) for i in range(6)]
    errors, barrier = [], threading.Barrier(4)

    def store(item) -> None:
        try:
            with sessions.begin() as session:
                site = repository.ensure_site(session, "x")
                result = repository.save_article(session, site, item)
                if result.outcome == "new":  # as StorePipeline.index_near_duplicates does
                    signature = signer.sign(item["body_text"])
                    if found := index.find(session, signature, item["body_text"], published_at=item["published_at"]):
                        index.link(session, result.article_id, found)
                    index.add(session, result.article_id, signature)
        except Exception as exc:  # collected: an assertion in a thread would go unseen
            errors.append(f"{item['url']}: {exc}")

    def writer(w: int) -> None:
        for item in random.Random(w).sample(shared, len(shared)):
            store(item)
        for pairs in (exact, near):
            for pair in pairs:
                barrier.wait()
                store(pair[w % 2])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []

    def rows(sql: str) -> list[tuple]:
        with get_engine(pg_url).connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    assert rows("SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(20 + 6 + 12, 38)]
    assert rows("SELECT count(*) FROM comments") == [(80,)]
    assert rows("SELECT count(*), count(DISTINCT name) FROM authors") == [(3, 3)]
    assert rows("SELECT count(*) FROM article_authors") == [(40,)]
    assert rows("SELECT count(*) FROM article_versions") == [(38,)]
    # Same content under two URLs: one article, the other URL an alias of it.
    assert rows("SELECT count(*) FROM articles WHERE title LIKE 'Copy %'") == [(6,)]
    assert rows("SELECT count(*) FROM article_urls WHERE url LIKE '%/e/%'") == [(12,)]
    # Near copies stored at the same moment: each pair one original and one copy pointing at it.
    pairs = rows("SELECT a.title, count(*), count(a.duplicate_of_id), bool_and(coalesce(o.title = a.title, true)) "
                 "FROM articles a LEFT JOIN articles o ON o.id = a.duplicate_of_id "
                 "WHERE a.title LIKE 'Wire %' GROUP BY a.title")
    assert sorted(pairs) == [(f"Wire {i}", 2, 1, True) for i in range(6)]
