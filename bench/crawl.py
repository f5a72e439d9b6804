"""Throughput: newsdesk's whole pipeline against the Scrapy + trafilatura spider a user would write,
on one generated site (bench/site.py, served by nginx), each crawl a fresh process, in one run.

    python bench/crawl.py                        # 5,000 articles, 2 rounds, crawls a-e
    python bench/crawl.py --pages 50000 --only c # the memory check at 50k pages
    python bench/crawl.py --only b,c --rounds 3 --workers 1

Crawls:
  (a) Scrapy, fetch only (SitemapSpider, empty callback)
  (b) Scrapy + trafilatura.bare_extraction(with_metadata=True) in the callback: the baseline
  (c) `newsdesk crawl` into SQLite (comments, cleaning, three-level dedup, storage, incremental
      bookkeeping: everything on; AutoThrottle off, as for the others)
  (d) `newsdesk crawl` into PostgreSQL (--pg, a fresh database per round)
  (e) newsdesk distributed: 2 workers sharing Redis and PostgreSQL
All: 16 concurrent requests, no delay. Figures: pages/s (article pages read per wall second; for
newsdesk its newsdesk/article_pages), articles stored (rows: exact copies are one), CPU seconds of the whole process tree and cores used, peak RSS of the whole
process tree (sampled every 0.2 s), medians over the rounds, ratios to (b).
Not part of the test suite (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_site", REPO / "bench" / "site.py")
bench_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_site)

COMMON = {"CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "DOWNLOAD_DELAY": "0",
          "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}
LABELS = {"a": "Scrapy, fetch only", "b": "Scrapy + trafilatura in the callback",
          "c": "newsdesk crawl -> SQLite", "d": "newsdesk crawl -> PostgreSQL",
          "e": "newsdesk distributed, 2 workers (Redis + PostgreSQL)"}


class TreeSampler(threading.Thread):
    """Peak resident memory of a process and all its descendants, summed."""

    def __init__(self, procs: list[subprocess.Popen]):
        super().__init__(daemon=True)
        self.roots = [psutil.Process(p.pid) for p in procs]
        self.peak, self.done = 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            total = 0
            for root in self.roots:
                try:
                    for p in [root, *root.children(recursive=True)]:
                        total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.done.wait(0.2)


def run_tree(commands: list[list[str]], env: dict, cwd: Path, timeout: float) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    procs = [subprocess.Popen(c, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for c in commands]
    sampler = TreeSampler(procs)
    sampler.start()
    outputs = [p.communicate(timeout=timeout)[0] for p in procs]
    wall = time.monotonic() - started
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for p, out in zip(procs, outputs, strict=False):
        if p.returncode != 0:
            sys.exit(f"crawl failed ({p.returncode}): {' '.join(commands[0][:6])}\n{out[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rss": sampler.peak / 2**20}


def baseline(site, mode: str, tmp: Path) -> dict:
    stats = tmp / f"stats-{mode}.json"
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(REPO / "bench" / "baseline_spider.py"),
           "-a", f"sitemap={site.url}/sitemap.xml", "-a", f"mode={mode}", "-a", f"stats={stats}",
           "-a", f"db={tmp / 'baseline.db'}"]
    for k, v in COMMON.items():
        cmd += ["-s", f"{k}={v}"]
    # Outside the repository: no scrapy.cfg, so none of newsdesk's settings or pipelines apply.
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    fig = run_tree([cmd], env, tmp, timeout=3600)
    s = json.loads(stats.read_text())
    fig["pages"] = s.get("bench/article_pages", 0)
    fig["articles"] = s.get("bench/articles", 0) if mode != "fetch" else 0
    return fig


def sites_file(site, tmp: Path) -> Path:
    path = tmp / "sites.toml"
    path.write_text(f"""[sites.bench]
start_urls = ["{site.url}/"]
sitemaps = ["{site.url}/sitemap.xml"]
article_patterns = ['/news/\\d{{4}}/\\d{{2}}/\\d{{2}}/story-\\d+/$']

[sites.bench.settings]
NEWSDESK_ALLOW_PRIVATE_ADDRESSES = true
# The real pages embed Disqus: its endpoints point at this server (404s), never off the machine.
NEWSDESK_DISQUS_EMBED_URL = "{site.url}/disqus/embed/comments/"
NEWSDESK_DISQUS_API_URL = "{site.url}/disqus/api/3.0/"
""")
    return path


def newsdesk(site, db: str, tmp: Path, workers: int, redis: str = "", processes: int = 1) -> dict:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "bench", "--sites", str(sites_file(site, tmp)), "--db", db]
    if workers:
        cmd += ["--workers", str(workers)]
    if redis:
        cmd += ["--redis", redis]
    for k, v in COMMON.items():
        cmd += ["-s", f"{k}={v}"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSDESK_PROGRESS": "log",
           "NEWSDESK_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"}
    fig = run_tree([cmd] * processes, env, REPO, timeout=3600)
    fig["articles"] = count_articles(db)
    # Article pages read, as (b) counts them: the site's exact copies (a copy whose title and body
    # come out the same) are one row in `articles` (deduplication level 2), not one per page.
    fig["pages"] = article_pages(db)
    return fig


def _scalars(db: str, sql: str) -> list:
    if "://" not in db:
        with sqlite3.connect(db) as conn:
            return [row[0] for row in conn.execute(sql)]
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        values = list(conn.execute(text(sql)).scalars())
    engine.dispose()
    return values


def count_articles(db: str) -> int:
    return _scalars(db, "SELECT count(*) FROM articles")[0]


def article_pages(db: str) -> int:
    """newsdesk/article_pages of every run of the crawl (one per process in distributed mode)."""
    return sum(json.loads(stats or "{}").get("newsdesk/article_pages", 0)
               for stats in _scalars(db, "SELECT stats_json FROM crawl_runs"))


def fresh_pg(admin_url: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    name = f"newsdesk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def one(key: str, site, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        tmp = Path(tmp)
        if key == "a":
            return baseline(site, "fetch", tmp)
        if key == "b":
            return baseline(site, "trafilatura", tmp)
        if key == "c":
            return newsdesk(site, str(tmp / "bench.db"), tmp, args.workers)
        url, drop = fresh_pg(args.pg)
        try:
            if key == "d":
                return newsdesk(site, url, tmp, args.workers)
            return newsdesk(site, url, tmp, 1, redis=args.redis, processes=2)
        finally:
            drop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000, help="articles in the generated site (default 5000)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="a,b,c,d,e", help="which crawls, e.g. b,c")
    parser.add_argument("--workers", type=int, default=0, help="newsdesk --workers (default: its own default)")
    parser.add_argument("--pg", default=os.environ.get("NEWSDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis", default=os.environ.get("NEWSDESK_TEST_REDIS", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    if bad := [k for k in keys if k not in LABELS]:
        parser.error(f"--only: unknown crawl {bad[0]!r} (choose from {', '.join(LABELS)})")
    results: dict[str, list[dict]] = {k: [] for k in keys}
    with bench_site.BenchSite(args.pages) as site:
        print(f"site: {site.manifest['articles']} articles, {site.manifest['article_pages']} article pages "
              f"(with comment pages) at {site.url}; {os.cpu_count()} cores", file=sys.stderr)
        for r in range(args.rounds):
            for key in keys:  # interleaved, so a change in machine load hits every crawl alike
                fig = one(key, site, args)
                results[key].append(fig)
                print(f"round {r + 1} {key}: {fig['pages'] / fig['wall']:.1f} pages/s, {fig['cpu']:.0f} CPU s, "
                      f"{fig['rss']:.0f} MB", file=sys.stderr)
    med = {k: {m: statistics.median(f[m] for f in v) for m in v[0]} for k, v in results.items()}
    base = med.get("b")
    print(f"\n{args.pages} articles, median of {args.rounds} rounds\n")
    print("| crawl | pages/s | articles stored | CPU s | CPU ms/page | cores | peak RSS MB | pages/s vs (b) | CPU/page vs (b) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, m in med.items():
        rate, per_page = m["pages"] / m["wall"], 1000 * m["cpu"] / max(m["pages"], 1)
        if base:
            b_rate, b_per_page = base["pages"] / base["wall"], 1000 * base["cpu"] / max(base["pages"], 1)
            ratio, cpu_ratio = f"{rate / b_rate:.2f}x", f"{per_page / b_per_page:.2f}x"
        else:
            ratio = cpu_ratio = "-"
        print(f"| ({k}) {LABELS[k]} | {rate:.1f} | {int(m['articles'])} | {m['cpu']:.0f} | {per_page:.1f} | "
              f"{m['cpu'] / m['wall']:.2f} | {m['rss']:.0f} | {ratio} | {cpu_ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
