"""newsdesk runs: the recent crawl runs, with their counters, status and duration."""
from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from models import runs
from models.db import resolve_url, session_factory

from . import CommandError, add_db_argument, require_database


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("runs", help="recent crawl runs with their counters, status and duration",
                       description="List recent crawl runs (newest first): what started each, how it ended "
                                   "and why, how long it took, and its counters.")
    p.add_argument("--site", help="only this site")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="runs shown (default 20)")
    add_db_argument(p)
    return p


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


def run(args) -> int:
    if args.limit < 1:
        raise CommandError("--limit must be at least 1", code=2)
    url = resolve_url(args.db)
    require_database(url)
    with session_factory(url)() as session:
        rows = runs.recent_runs(session, args.site, args.limit)
    if not rows:
        print(f"no crawl runs{f' for site {args.site!r}' if args.site else ''} yet")
        return 0
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)  # piped or captured: no wrapping of cells
    table = Table(title=f"Crawl runs{f' of {args.site}' if args.site else ''} (newest first, times UTC)")
    for name, justify in (("run", "right"), ("site", "left"), ("origin", "left"), ("started", "left"),
                          ("took", "right"), ("status", "left"), ("reason", "left"), ("pages", "right"),
                          ("new", "right"), ("updated", "right"), ("unchanged", "right"),
                          ("comments new", "right"), ("errors", "right"), ("message", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for r in rows:
        table.add_row(str(r.id), r.site, r.origin or "–", r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                      _duration(r.seconds), r.status, r.finish_reason or "–", str(r.pages_fetched),
                      str(r.articles_new), str(r.articles_updated), str(r.articles_unchanged), str(r.comments_new),
                      str(r.errors), r.message or "")
    console.print(table)
    return 0
