"""newsdesk stats: articles and comments per site and per day, duplicates, last runs, as tables."""
from __future__ import annotations

import argparse

from rich.table import Table

from models import stats
from models.db import resolve_url, session_factory

from . import CommandError, add_db_argument, console, require_database, require_site


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("stats", help="articles and comments per site and per day, duplicates, last runs",
                       description="Summarise the database: per site, per day (the last --days days that "
                                   "have articles or comments) and the latest crawl runs.")
    p.add_argument("--site", help="only this site")
    p.add_argument("--days", type=int, default=14, metavar="N", help="days shown in the per-day table (default 14)")
    p.add_argument("--runs", type=int, default=10, metavar="N", help="crawl runs shown (default 10)")
    add_db_argument(p)
    return p


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "–"


def run(args) -> int:
    if args.days < 1:
        raise CommandError("--days must be at least 1", code=2)
    if args.runs < 0:
        raise CommandError("--runs must be 0 or more", code=2)
    url = resolve_url(args.db)
    require_database(url)
    out = console()
    with session_factory(url)() as session:
        require_site(session, args.site)
        sites = stats.site_summaries(session, args.site)
        days = stats.daily(session, args.site, args.days)
        runs = stats.recent_runs(session, args.site, args.runs)

    table = Table(title="Per site")
    for name, justify in (("site", "left"), ("articles", "right"), ("near dups", "right"),
                          ("dup URLs", "right"), ("comments", "right"), ("deleted", "right"),
                          ("published from", "left"), ("to", "left"), ("last run", "left"), ("at", "left")):
        table.add_column(name, justify=justify)
    totals = [0] * 5
    for s in sites:
        numbers = [s.articles, s.near_duplicates, s.duplicate_urls, s.comments, s.deleted_comments]
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        table.add_row(s.site, *map(str, numbers), _when(s.first_published)[:10], _when(s.last_published)[:10],
                      f"[red]{s.last_run_status}[/red]" if s.last_run_status in ("degraded", "failed")
                      else s.last_run_status or "never", _when(s.last_run_finished or s.last_run_started))
    if len(sites) > 1:
        table.add_row("[b]all sites[/b]", *(f"[b]{n}[/b]" for n in totals), "", "", "", "")
    out.print(table)

    table = Table(title=f"Per day (UTC, the last {args.days} days with activity)")
    for name, justify in (("day", "left"), ("site", "left"), ("articles", "right"),
                          ("near dups", "right"), ("comments", "right")):
        table.add_column(name, justify=justify)
    for day, name, n_articles, n_dups, n_comments in days:
        table.add_row(day, name, str(n_articles), str(n_dups), str(n_comments))
    if not days:
        table.add_row("–", "no articles yet", "", "", "")
    out.print(table)

    table = Table(title="Latest crawl runs")
    for name in ("run", "site", "status", "started", "finished", "pages", "new", "updated", "unchanged",
                 "comments new", "dups", "errors", "message"):
        table.add_column(name, justify="left" if name in ("site", "status", "started", "finished", "message")
                         else "right", overflow="fold")
    for r in runs:
        style = {"failed": "red", "degraded": "red", "running": "yellow", "cancelled": "yellow"}.get(r[2])
        table.add_row(str(r[0]), r[1], f"[{style}]{r[2]}[/{style}]" if style else r[2], _when(r[3]), _when(r[4]),
                      *map(str, r[5:12]), r[12] or "")
    if not runs:
        table.add_row("–", "no crawl runs yet", *[""] * 11)
    out.print(table)
    return 0
