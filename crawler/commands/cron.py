"""newsdesk cron: crontab lines for the system's cron, one per site with a schedule.

Each line runs `newsdesk crawl SITE` with the same database and sites file; the crawl
lock (crawler/extensions/crawllock.py) protects these runs like any other, so a cron line and a
running `newsdesk schedule` never crawl one site at once.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from ..cli import add_db_argument


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("cron", help="print crontab lines that crawl each scheduled site with `newsdesk crawl`",
                       description="Print crontab lines (for `crontab -e`) that run `newsdesk crawl SITE` on each "
                                   "site's schedule from sites.toml, with the same --db and sites file.")
    p.add_argument("--sites", metavar="FILE", help="sites file (default: $NEWSDESK_SITES, else ./sites.toml)")
    p.add_argument("--log-dir", metavar="DIR", help="append each site's output to DIR/SITE.log "
                                                    "(default: cron mails it)")
    add_db_argument(p)
    return p


def cron_expression(schedule: str) -> tuple[str | None, str]:
    """(the five cron fields, or None with the reason there are none) for a sites.toml schedule."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", schedule)
    if not m:
        return " ".join(schedule.split()), ""
    seconds = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    minutes = seconds / 60
    # Cron steps restart at each hour (minutes) or day (hours): only divisors repeat evenly.
    if minutes == int(minutes) and 1 <= minutes < 60 and 60 % minutes == 0:
        return ("* * * * *" if minutes == 1 else f"*/{int(minutes)} * * * *"), ""
    hours = minutes / 60
    if hours == int(hours) and 1 <= hours < 24 and 24 % hours == 0:
        return ("0 * * * *" if hours == 1 else f"0 */{int(hours)} * * *"), ""
    if hours == 24:
        return "0 0 * * *", ""
    return None, (f"the interval {schedule.strip()!r} has no exact cron form (a cron step must divide an hour "
                  "or a day); use `newsdesk schedule`, or write the line by hand")


def newsdesk_command() -> list[str]:
    """The installed `newsdesk` script beside this Python, else this Python running the CLI."""
    script = Path(sys.executable).with_name("newsdesk")
    if script.exists():
        return [str(script)]
    found = shutil.which("newsdesk")
    return [found] if found else [sys.executable, "-m", "crawler.cli"]


def run(args) -> int:
    from sqlalchemy.engine import make_url

    from models.db import resolve_url

    from ..sites import config_path, load_sites

    db_url = resolve_url(args.db)
    sites_file = config_path(args.sites).resolve()
    sites = load_sites(sites_file)
    base = newsdesk_command()
    lines = [f"# newsdesk crawls from {sites_file} (install with `crontab -e`, or `newsdesk cron ... | crontab -`)",
             "# sites.toml schedules are in UTC: cronie honours CRON_TZ; with another cron, run it in UTC.",
             "CRON_TZ=UTC"]
    db_args = ["--db", db_url.removeprefix("sqlite:///") if db_url.startswith("sqlite:///") else db_url]
    if db_url.startswith("postgresql") and make_url(db_url).password:
        lines.append("# the database URL holds a password: set NEWSDESK_DATABASE_URL=... in the crontab instead")
        db_args = []
    unscheduled = []
    for name, cfg in sites.items():
        if not cfg.schedule:
            unscheduled.append(name)
            continue
        fields, why = cron_expression(cfg.schedule)
        if fields is None:
            lines.append(f"# {name}: {why}")
            continue
        if cfg.unresolved:
            variable = re.search(r"environment variable (\w+)", cfg.unresolved)
            lines.append(f"# {name} needs {variable.group(1) if variable else 'an environment variable'} "
                         "set in the crontab (a NAME=value line above this one)")
        cmd = base + ["crawl", name, "--sites", str(sites_file), *db_args, "-s", "NEWSDESK_RUN_ORIGIN=cron"]
        line = f"{fields} {shlex.join(cmd)}"
        if args.log_dir:
            line += f" >> {shlex.quote(os.path.join(os.path.abspath(args.log_dir), name + '.log'))} 2>&1"
        lines.append(line)
    if unscheduled:
        lines.append(f"# no schedule: {', '.join(unscheduled)}")
    print("\n".join(lines))
    return 0
