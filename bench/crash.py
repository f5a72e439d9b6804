"""Crash safety at scale: SIGKILL `newsdesk crawl` at random moments, check the database after
every kill, then crawl to the end and compare with a clean crawl.

    python bench/crash.py                       # 20 kills on SQLite, 10 on PostgreSQL
    python bench/crash.py --sqlite 5 --postgres 0 --seed 7

The demo site (fixtures/sites/demo) is served on 127.0.0.1 with a small delay per request, so
a crawl lasts a few seconds. The kills cycle through four moments: start-up (before the engine
has fetched anything), mid-crawl (after a random number of articles are stored), while a
comment thread of several pages is being fetched, and near the end. All kills of one backend go
to one database, each next crawl starting on what the killed one left (as a cron job would).

After every kill: SQLite's integrity and foreign-key checks; no comment without its article,
no reply whose parent is missing or in another article; comment_count equal to the live
comments; no duplicate canonical URL or (article, comment id); every stored article whole
(its comments are exactly the site's thread); no run left "running" once its lock expired or
its process is gone (the next crawl takes a dead process's lock at once and records the run as
killed); and the next crawl is never turned away by the dead one's lock. At the end, one crawl
to the end must leave every article exactly once with its whole thread, as a clean crawl does.

Prints one row per backend (kills by moment, inconsistencies, the final comparison) beside the
clean crawl's figures, measured in the same run. PostgreSQL: a database of its own on
NEWSDESK_TEST_PG's server (default 127.0.0.1:5432), dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MOMENTS = ("start-up", "mid-crawl", "long thread", "near the end")
PG_ADMIN = os.environ.get("NEWSDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def newsdesk(*args: str, site_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSDESK_DEMO_URL": site_url,
           "NEWSDESK_ALLOW_PRIVATE_ADDRESSES": "1", "NEWSDESK_PROGRESS": "log"}
    out = open(log, "a", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=REPO, env=env,
                            stdout=out, stderr=subprocess.STDOUT, text=True)


class Database:
    """The database under test, read with plain SQL (what an analyst would check)."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.url = url
        self.engine = create_engine(url if "://" in url else f"sqlite:///{url}")

    def rows(self, sql: str) -> list[tuple]:
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        except Exception as exc:  # noqa: BLE001 - not created yet (killed before the first migration)
            if "no such table" in str(exc) or "does not exist" in str(exc):
                return []
            raise

    def count(self, sql: str) -> int:
        found = self.rows(sql)
        return found[0][0] if found else 0

    def stored_articles(self) -> int:
        return self.count("SELECT count(*) FROM articles")

    def snapshot(self) -> dict[str, tuple[int, frozenset]]:
        """url -> (comment_count, external ids of its comments)."""
        rows = self.rows("SELECT a.url, a.comment_count, c.external_id FROM articles a "
                         "LEFT JOIN comments c ON c.article_id = a.id")
        out: dict[str, list] = {}
        for url, count, ext in rows:
            out.setdefault(url, [count, set()])
            if ext is not None:
                out[url][1].add(ext)
        return {u: (c, frozenset(e)) for u, (c, e) in out.items()}

    def problems(self, site_threads: dict[str, frozenset]) -> list[str]:
        found = []
        if self.url.endswith(".db"):
            with sqlite3.connect(self.url) as conn:
                if (ok := conn.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
                    found.append(f"integrity_check: {ok}")
                if fk := conn.execute("PRAGMA foreign_key_check").fetchall():
                    found.append(f"foreign_key_check: {fk[:3]}")
        checks = {
            "comments without their article": "SELECT count(*) FROM comments c LEFT JOIN articles a "
                                              "ON a.id = c.article_id WHERE a.id IS NULL",
            "replies whose parent is missing or in another article":
                "SELECT count(*) FROM comments c LEFT JOIN comments p ON p.id = c.parent_id "
                "WHERE c.parent_id IS NOT NULL AND (p.id IS NULL OR p.article_id != c.article_id)",
            "comment_count != live comments": "SELECT count(*) FROM articles a WHERE a.comment_count != "
                                               "(SELECT count(*) FROM comments c WHERE c.article_id = a.id "
                                               "AND c.deleted_at IS NULL)",
            "duplicate canonical URLs": "SELECT count(*) FROM (SELECT canonical_url FROM articles "
                                        "GROUP BY canonical_url HAVING count(*) > 1) d",
            "duplicate comment ids": "SELECT count(*) FROM (SELECT article_id, external_id FROM comments "
                                     "GROUP BY article_id, external_id HAVING count(*) > 1) d",
            "articles without a version": "SELECT count(*) FROM articles WHERE id NOT IN "
                                          "(SELECT article_id FROM article_versions)",
        }
        for name, sql in checks.items():
            if n := self.count(sql):
                found.append(f"{name}: {n}")
        for url, (_count, ids) in self.snapshot().items():
            if url in site_threads and ids != site_threads[url]:
                found.append(f"half-stored thread: {url} has {len(ids)} of {len(site_threads[url])} comments")
        return found

    def runs_left_running(self) -> int:
        """Runs still "running" although no live lock covers them (expired, or missing)."""
        return self.count("SELECT count(*) FROM crawl_runs r WHERE r.status = 'running' AND NOT EXISTS "
                          "(SELECT 1 FROM crawl_locks l WHERE l.run_id = r.id AND l.expires_at > CURRENT_TIMESTAMP)")

    def statuses(self) -> list[tuple]:
        return self.rows("SELECT id, status, finish_reason FROM crawl_runs ORDER BY id")

    def dispose(self):
        self.engine.dispose()


@dataclass
class Result:
    backend: str
    kills: dict[str, int] = field(default_factory=lambda: {m: 0 for m in MOMENTS})
    problems: list[str] = field(default_factory=list)
    turned_away: int = 0  # next crawls that exited 75 because of the dead crawl's lock
    resumed: int = 0  # next crawls that said they resumed a killed run
    final_ok: bool = False
    final_detail: str = ""
    seconds: float = 0.0


def clean_crawl(site, db_url: str, log: Path) -> tuple[dict, float]:
    started = time.monotonic()
    proc = newsdesk("crawl", "demo", "--db", db_url, site_url=site.url, log=log)
    if proc.wait(600) != 0:
        raise SystemExit(f"the clean crawl failed: see {log}")
    db = Database(db_url)
    snap = db.snapshot()
    db.dispose()
    return snap, time.monotonic() - started


def kill_at(moment: str, proc: subprocess.Popen, db: Database, site, rng: random.Random, clean_seconds: float,
            total: int) -> None:
    deadline = time.monotonic() + clean_seconds * 3 + 60
    if moment == "start-up":
        time.sleep(rng.uniform(0.1, 2.5))
    elif moment == "mid-crawl":
        target = rng.randint(1, max(1, total - 2))
        while time.monotonic() < deadline and proc.poll() is None and db.stored_articles() < target:
            time.sleep(0.05)
    elif moment == "long thread":
        seen = len(site.requests)
        while time.monotonic() < deadline and proc.poll() is None and not any(
                "comment-page-" in path for _, path, _ in site.requests[seen:]):
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.15))
    else:
        while time.monotonic() < deadline and proc.poll() is None and db.stored_articles() < total - 1:
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 0.5))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)


def run(backend: str, kills: int, *, seed: int = 1, delay: float = 0.03, workdir: Path | None = None,
        quiet: bool = False) -> tuple[Result, dict]:
    from crawler.demosite import DemoSite

    rng = random.Random(seed)
    workdir = workdir or Path(tempfile.mkdtemp(prefix="newsdesk-crash-"))
    result = Result(backend)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    with DemoSite("demo") as site:
        site.delay = delay
        threads = {site.url + site.path_of(a): frozenset(str(c["id"]) for c in a["comments"]) for a in site.articles}
        baseline_url, db_url, drop = _databases(backend, workdir)
        try:
            baseline, clean_seconds = clean_crawl(site, baseline_url, workdir / "clean.log")
            started = time.monotonic()
            db = Database(db_url)
            for i in range(kills):
                moment = MOMENTS[i % len(MOMENTS)]
                log = workdir / f"kill-{i:02d}.log"
                proc = newsdesk("crawl", "demo", "--db", db_url, site_url=site.url, log=log)
                kill_at(moment, proc, db, site, rng, clean_seconds, len(threads))
                text = log.read_text(encoding="utf-8", errors="replace")
                if "already being crawled by" in text:
                    result.turned_away += 1
                if "resuming" in text:
                    result.resumed += 1
                result.kills[moment] += 1
                found = db.problems(threads)
                result.problems += [f"kill {i} ({moment}): {p}" for p in found]
                say(f"{backend} kill {i + 1:2d}/{kills} ({moment:12s}): {db.stored_articles():3d} articles stored, "
                    f"{'OK' if not found else '; '.join(found)}")
            final = newsdesk("crawl", "demo", "--db", db_url, site_url=site.url, log=workdir / "final.log")
            code = final.wait(600)
            text = (workdir / "final.log").read_text(encoding="utf-8", errors="replace")
            result.turned_away += "already being crawled by" in text
            result.resumed += "resuming" in text
            result.problems += [f"final: {p}" for p in db.problems(threads)]
            if n := db.runs_left_running():
                result.problems.append(f"runs left running: {n}")
            after = db.snapshot()
            result.final_ok = code == 0 and after == baseline
            missing = set(baseline) - set(after)
            differ = [u for u in baseline if u in after and after[u] != baseline[u]]
            result.final_detail = (f"exit {code}, {len(after)}/{len(baseline)} articles, {len(missing)} missing, "
                                   f"{len(differ)} with another thread than the clean crawl's")
            statuses = db.statuses()
            db.dispose()
            result.seconds = time.monotonic() - started
        finally:
            drop()
    return result, {"clean_seconds": clean_seconds, "articles": len(baseline),
                    "comments": sum(c for c, _ in baseline.values()), "runs": statuses}


def _databases(backend: str, workdir: Path):
    if backend == "sqlite":
        return str(workdir / "clean.db"), str(workdir / "crashed.db"), lambda: None
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    names = [f"newsdesk_crash_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]

    def drop():
        from models.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base}/{names[0]}", f"{base}/{names[1]}", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", type=int, default=20, help="kills on SQLite (default 20)")
    parser.add_argument("--postgres", type=int, default=10, help="kills on PostgreSQL (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds the demo site waits per request")
    args = parser.parse_args()
    rows = []
    for backend, kills in (("sqlite", args.sqlite), ("postgresql", args.postgres)):
        if kills:
            rows.append(run(backend, kills, seed=args.seed, delay=args.delay))
    print()
    print("| backend | kills (start-up / mid-crawl / long thread / near the end) | inconsistencies | next crawl "
          "turned away by the dead lock | resumed | final crawl vs clean crawl | clean crawl |")
    print("|---|---|---|---|---|---|---|")
    for result, info in rows:
        k = result.kills
        print(f"| {result.backend} | {sum(k.values())} ({' / '.join(str(k[m]) for m in MOMENTS)}) | "
              f"{len(result.problems)} | {result.turned_away} | {result.resumed} | "
              f"{'same' if result.final_ok else 'DIFFERENT'}: {result.final_detail} | "
              f"{info['articles']} articles, {info['comments']} comments, {info['clean_seconds']:.1f}s |")
    for result, _ in rows:
        for problem in result.problems:
            print(f"{result.backend}: {problem}")
    print("\nrun statuses after the kills:", json.dumps({r.backend: [s[1:] for s in i["runs"]] for r, i in rows}))
    return 0 if all(r.final_ok and not r.problems and not r.turned_away for r, _ in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
