"""newsdesk schedule: re-crawl every site with a schedule in sites.toml, until stopped."""
from __future__ import annotations

import argparse
import logging
import sys

from ..cli import CommandError, add_db_argument


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "schedule", help="re-crawl every site on its schedule from sites.toml (runs until stopped)",
        description="Run every site that has a `schedule` in sites.toml on it, each run a `newsdesk crawl` "
                    "child process. Jobs and their next run times are kept in the database across restarts. "
                    "SIGTERM or Ctrl-C: no new runs, running crawls stop cleanly.")
    p.add_argument("--sites", metavar="FILE", help="sites file (default: $NEWSDESK_SITES, else ./sites.toml)")
    p.add_argument("--now", action="store_true", help="also crawl every scheduled site once right away")
    p.add_argument("--misfire-grace", type=int, metavar="SECONDS",
                   help="how late a missed run may still start (default: NEWSDESK_SCHEDULE_MISFIRE_GRACE, 3600)")
    p.add_argument("--stop-timeout", type=float, metavar="SECONDS",
                   help="how long running crawls get to stop cleanly on SIGTERM/SIGINT "
                        "(default: NEWSDESK_SCHEDULE_STOP_TIMEOUT, 120)")
    p.add_argument("--max-parallel", type=int, metavar="N",
                   help="crawls of different sites running at once (default: NEWSDESK_SCHEDULE_MAX_PARALLEL, 4)")
    p.add_argument("--list", action="store_true", help="print the stored jobs and their next run times, and exit")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a Scrapy setting for every crawl (repeatable)")
    add_db_argument(p)
    return p


def print_jobs(db_url: str) -> int:
    from ..schedules import stored_jobs

    jobs = stored_jobs(db_url)
    if not jobs:
        print("no scheduled jobs in this database (start `newsdesk schedule` once)")
        return 0
    width = max(len(j.site) for j in jobs)
    print(f"{'site':<{width}}  {'schedule':<16}  next run (UTC)")
    for job in sorted(jobs, key=lambda j: j.site):
        when = job.next_run_time.strftime("%Y-%m-%d %H:%M:%S") if job.next_run_time else "paused"
        print(f"{job.site:<{width}}  {job.schedule or '?':<16}  {when}")
    return 0


def run(args) -> int:
    from models.db import resolve_url

    from ..scheduler import ScheduleOptions, SiteScheduler
    from .crawl import parse_overrides

    db_url = resolve_url(args.db)
    if args.list:
        return print_jobs(db_url)
    for name in ("misfire_grace", "max_parallel"):
        if getattr(args, name) is not None and getattr(args, name) < (0 if name == "misfire_grace" else 1):
            raise CommandError(f"--{name.replace('_', '-')} must be at least {0 if name == 'misfire_grace' else 1}",
                               code=2)
    if args.stop_timeout is not None and args.stop_timeout < 0:
        raise CommandError("--stop-timeout must be a number of seconds >= 0", code=2)
    options = ScheduleOptions.from_settings(
        db_url, sites_file=args.sites, misfire_grace=args.misfire_grace, stop_timeout=args.stop_timeout,
        max_parallel=args.max_parallel, run_now=args.now, crawl_settings=parse_overrides(args.set))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    # APScheduler's own INFO lines ("Added job", "Running job") repeat what newsdesk says per run.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    SiteScheduler(options).serve()
    return 0
