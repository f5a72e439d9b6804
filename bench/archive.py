"""Archive overhead: crawls of the demo site with the WARC archive on and off, pages/s.

    python bench/archive.py                 # 3 rounds of each, alternating
    python bench/archive.py --rounds 5 --site forum

The throughput bench of the issue on crawl speed does not exist yet, so this crawls a bundled
demo site (served on 127.0.0.1 by crawler/demosite) with `newsdesk crawl`, each time into a
fresh SQLite database, with AutoThrottle off and 16 requests at a time so that the crawler,
not the politeness delay, sets the pace. "on" sets NEWSDESK_ARCHIVE_DIR (every page, comment
page and comment API response written as WARC records by the writer thread); "off" does not.
Pages/s = crawl_runs.pages_fetched / (finished_at - started_at), the crawl's own clock (process
start-up excluded). Rounds alternate off/on so that the shared machine's load falls on both;
the figure is the median of the rounds.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SETTINGS = ["AUTOTHROTTLE_ENABLED=0", "CONCURRENT_REQUESTS=16", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
            "NEWSDESK_LOCK_ENABLED=0", "LOG_LEVEL=WARNING"]


def crawl(site_name: str, workdir: Path, n: int, archive: bool) -> tuple[float, int, int]:
    sys.path.insert(0, str(REPO / "tests"))  # the forum site is a test-only site (tests/sites)
    from sites import open_site

    db = workdir / f"{'on' if archive else 'off'}-{n}.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSDESK_PROGRESS": "log"}
    env.pop("NEWSDESK_ARCHIVE_DIR", None)
    warcs = workdir / f"warc-{n}"
    if archive:
        env["NEWSDESK_ARCHIVE_DIR"] = str(warcs)
    with open_site(site_name) as site:
        env.update(site.environment())
        args = [sys.executable, "-m", "crawler.cli", "crawl", site_name, "--db", str(db)]
        for setting in SETTINGS:
            args += ["-s", setting]
        result = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stderr[-3000:]}")
    with sqlite3.connect(db) as conn:
        pages, started, finished = conn.execute(
            "SELECT pages_fetched, started_at, finished_at FROM crawl_runs").fetchone()
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    size = sum(p.stat().st_size for p in warcs.glob("*.warc.gz")) if archive else 0
    return pages / seconds, pages, size


def writer_cost(warcs: Path) -> float:
    """ms per response for the archive's writer (crawler/extensions/archive.py WarcFiles.write)."""
    import time
    from datetime import timezone

    from crawler.extensions.archive import ArchiveJob, WarcFiles
    from crawler.warc.reader import RecordReader, scan_responses

    reader = RecordReader()
    jobs = []
    for warc in sorted(warcs.glob("*.warc.gz")):
        for head in scan_responses(str(warc)):
            r = reader.read(str(warc), head.offset)
            jobs.append(ArchiveJob(record_id=f"<urn:uuid:{len(jobs):08d}-0000-0000-0000-000000000000>", site="bench",
                                   date=datetime.now(timezone.utc), url=r.url, method="GET",
                                   request_headers=[("User-Agent", "bench")], request_body=b"", status=r.status,
                                   response_headers=r.headers, body=r.body))
    out = warcs.parent / "rewrite"
    out.mkdir()
    files = WarcFiles(out, 1_000_000_000, "bench")
    started = time.perf_counter()
    for job in jobs:
        files.write(job)
    files.close()
    return (time.perf_counter() - started) * 1000 / max(len(jobs), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--site", default="demo", choices=("demo", "forum"))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    off, on = [], []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for n in range(1, args.rounds + 1):
            if n % 2:  # the order alternates too: a load spike does not always hit the same one
                rate_off, pages, _ = crawl(args.site, workdir, n, archive=False)
                rate_on, pages_on, size = crawl(args.site, workdir, n, archive=True)
            else:
                rate_on, pages_on, size = crawl(args.site, workdir, n, archive=True)
                rate_off, pages, _ = crawl(args.site, workdir, n, archive=False)
            off.append(rate_off)
            on.append(rate_on)
            print(f"round {n}: off {rate_off:.1f} pages/s ({pages} pages), on {rate_on:.1f} pages/s "
                  f"({pages_on} pages, {size / 1e6:.1f} MB of WARC)")
        writer_ms = writer_cost(workdir / "warc-1")
    a, b = statistics.median(off), statistics.median(on)
    print(f"\n| {args.site} site crawl ({args.rounds} rounds, median) | pages/s | vs off |")
    print("|---|---|---|")
    print(f"| archive off | {a:.1f} | 1.00x |")
    print(f"| archive on (NEWSDESK_ARCHIVE_DIR) | {b:.1f} | {b / a:.2f}x |")
    print(f"\nthe writer thread's own cost: {writer_ms:.2f} ms per archived response (request + response "
          f"records, gzip, flush), measured by writing round 1's records again")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
