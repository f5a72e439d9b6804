"""Incremental re-crawls: what a second crawl of an unchanged site costs, against the baseline
of re-fetching everything (NEWSDESK_INCREMENTAL=0), measured in the same run.

    python bench/recrawl.py                  # the bundled demo site (50 articles), 3 rounds
    python bench/recrawl.py --rounds 5 --delay 0.05

Each round serves a fresh demo site on 127.0.0.1 (``--delay`` seconds per response makes
it behave like a remote server), crawls it once into a fresh SQLite database with
`newsdesk crawl`, then re-crawls it twice: once as a full crawl (the baseline) and once
incrementally (the default settings). Figures are from the demo server's request log and
the crawl_runs row of each re-crawl; the median of the rounds is printed. Articles
published within the site's revisit_days (7) of today are fetched in full by design, so the
count of 304s depends on the date only through those.

Not part of the test suite's pass/fail (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def crawl(site_url: str, db: Path, *settings: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSDESK_DEMO_URL": site_url}
    args = [sys.executable, "-m", "crawler.cli", "crawl", "demo", "--db", str(db), "--sites", str(REPO / "sites.toml")]
    for setting in settings:
        args += ["-s", setting]
    started = time.monotonic()
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"crawl failed: {result.stderr[-2000:]}")
    return time.monotonic() - started


def last_run(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT pages_fetched, articles_unchanged, (julianday(finished_at) - "
                            "julianday(started_at)) * 86400 FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()


def measure(site, db: Path, *settings: str) -> dict:
    before = len(site.requests)
    wall = crawl(site.url, db, *settings)
    log = site.requests[before:]
    pages, unchanged, crawl_seconds = last_run(db)
    return {"requests": len(log), "304": sum(1 for *_, status in log if status == 304),
            "bytes": sum(site.sizes[before:]), "pages fetched (crawl_runs)": pages, "articles unchanged": unchanged,
            "crawl s": crawl_seconds, "command s": wall}


def one_round(delay: float) -> tuple[dict, dict]:
    from crawler.demosite import DemoSite

    with tempfile.TemporaryDirectory() as tmp, DemoSite("demo") as site:
        site.delay = delay
        site.sizes = []
        _record_sizes(site)
        db = Path(tmp) / "news.db"
        crawl(site.url, db)
        baseline = measure(site, db, "NEWSDESK_INCREMENTAL=0")
        incremental = measure(site, db)
        return baseline, incremental


def _record_sizes(site) -> None:
    """Body bytes per response, beside the server's request log (same order)."""
    handle = site._handle

    def sized(h):
        written = []
        write = h.wfile.write
        h.wfile.write = lambda data: (written.append(len(data)), write(data))[1]
        handle(h)
        site.sizes.append(sum(written))

    site._handle = sized


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds the demo server waits per response")
    args = parser.parse_args()
    rounds = [one_round(args.delay) for _ in range(args.rounds)]
    keys = list(rounds[0][0])
    print(f"re-crawl of the unchanged demo site (50 articles), median of {args.rounds} rounds, "
          f"server delay {args.delay}s")
    print(f"{'':28}{'full (baseline)':>16}{'incremental':>14}")
    for key in keys:
        base = statistics.median(r[0][key] for r in rounds)
        inc = statistics.median(r[1][key] for r in rounds)
        fmt = (lambda v: f"{v:.2f}") if isinstance(base, float) else (lambda v: f"{v:.0f}")
        print(f"{key:28}{fmt(base):>16}{fmt(inc):>14}")


if __name__ == "__main__":
    main()
