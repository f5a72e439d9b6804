"""newsdesk demo: serve the bundled demo news site on 127.0.0.1, crawl it, print what was stored."""
from __future__ import annotations

import argparse
import os

from ..cli import add_db_argument
from ..runner import CrawlOutcome, run_crawl


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="crawl the bundled demo site into ./newsdesk.db and show the result",
                       description="Start the bundled demo news site on 127.0.0.1, crawl it with the "
                                   "real engine, and print what was stored.")
    p.add_argument("--site", default="demo", help="which demo site under fixtures/sites/ (default: demo)")
    p.add_argument("--sites", metavar="FILE", help="sites file (default: the repository's sites.toml)")
    add_db_argument(p)
    return p


def print_summary(db_url: str, outcome: CrawlOutcome, site: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from models import queries
    from models.db import session_factory
    from models.runs import RUN_COUNTERS

    console = Console()
    with session_factory(db_url)() as session:
        totals = queries.totals(session, site)
        sections = queries.per_section(session, site)
        run = queries.last_run(session, outcome.run_id)
        # A long database URL as a table title wraps mid-word: it gets a line of its own.
        console.print(f"Stored in {db_url}" + (f" for site {site!r}" if site else "") + ":")
        table = Table()
        table.add_column("section")
        table.add_column("articles", justify="right")
        table.add_column("comments", justify="right")
        for name, n_articles, n_comments in sections:
            table.add_row(name, str(n_articles), str(n_comments))
        table.add_row("[b]total[/b]", f"[b]{totals['articles']}[/b]", f"[b]{totals['comments']}[/b]")
        console.print(table)
        if run is not None:
            counters = Table(title=f"Crawl run #{run.id}: {run.status} ({run.finish_reason})")
            counters.add_column("counter")
            counters.add_column("value", justify="right")
            for key in RUN_COUNTERS:
                counters.add_row(key.replace("_", " "), str(getattr(run, key)))
            if run.finished_at and run.started_at:
                counters.add_row("seconds", f"{(run.finished_at - run.started_at).total_seconds():.1f}")
            console.print(counters)
            if run.status == "degraded":  # a health monitor failed (see `newsdesk health`)
                console.print(f"[red]{run.message}[/red]", highlight=False)


def run(args) -> int:
    from crawler.demosite import open_site
    from models.db import resolve_url

    from .crawl import check_outcome

    db_url = resolve_url(args.db)
    sites_file = args.sites or str(_repo_sites_file())
    with open_site(args.site) as demo:
        os.environ.update(demo.environment())
        print(f"demo site {args.site!r} serving at {demo.url}")
        outcome = run_crawl(site=args.site, db_url=db_url, sites_file=sites_file, origin="demo")
    check_outcome(outcome)
    print_summary(db_url, outcome, site=args.site)
    return 0


def _repo_sites_file():
    from pathlib import Path

    here = Path("sites.toml")
    return here if here.exists() else Path(__file__).resolve().parents[2] / "sites.toml"
