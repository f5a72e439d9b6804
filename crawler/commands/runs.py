"""newsdesk runs: the recent crawl runs, with their counters, status and duration."""
from __future__ import annotations

import argparse

from rich.table import Table

from models import runs
from models.db import resolve_url, session_factory

from . import CommandError, add_db_argument, console, require_database, require_site


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("runs", help="recent crawl runs with their counters, status and duration",
                       description="List recent crawl runs (newest first): what started each, how it ended "
                                   "and why, how long it took, and its counters. With RUN_ID: that run, "
                                   "and why its pages were skipped or failed.")
    p.add_argument("run_id", nargs="?", type=int, metavar="RUN_ID",
                   help="show this run: its counters and the reasons behind its skipped pages and errors")
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


def show_run(url: str, run_id: int) -> int:
    """One run: what `newsdesk runs` lists about it, then each reason from its stats_json."""
    with session_factory(url)() as session:
        summary = runs.get_run(session, run_id)
        if summary is None:
            raise CommandError(f"no crawl run {run_id} in the database (`newsdesk runs` lists them)")
        reasons = runs.run_reasons(session, run_id)
    out = console()
    took = _duration(summary.seconds)
    out.print(f"Run {summary.id}: {summary.site}, {summary.origin or '–'}, started "
              f"{summary.started_at:%Y-%m-%d %H:%M:%S} UTC, took {took}: {summary.status} "
              f"({summary.finish_reason or '–'})")
    if summary.message:
        out.print(f"  {summary.message}")
    out.print(f"  pages {summary.pages_fetched} · articles new {summary.articles_new}, updated "
              f"{summary.articles_updated}, unchanged {summary.articles_unchanged} · comments new "
              f"{summary.comments_new} · errors {summary.errors}")
    if not reasons:
        out.print("  nothing skipped, dropped or failed")
        return 0
    out.print("  why pages and items were skipped, dropped or failed (stats_json):")
    table = Table()
    table.add_column("what")
    table.add_column("reason")
    table.add_column("count", justify="right")
    for group, reason, n in reasons:
        table.add_row(group, reason, str(n))
    out.print(table)
    return 0


def run(args) -> int:
    if args.limit < 1:
        raise CommandError("--limit must be at least 1", code=2)
    url = resolve_url(args.db)
    require_database(url)
    if args.run_id is not None:
        return show_run(url, args.run_id)
    with session_factory(url)() as session:
        require_site(session, args.site)
        rows = runs.recent_runs(session, args.site, args.limit)
    if not rows:
        print(f"no crawl runs{f' for site {args.site!r}' if args.site else ''} yet")
        return 0
    out = console()
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
    out.print(table)
    return 0
