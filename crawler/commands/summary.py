"""The summary `newsdesk crawl` and `newsdesk demo` print after a crawl: what is stored, per
section, and the counters of the crawl's run."""
from __future__ import annotations

from rich.table import Table

from models import queries
from models.db import display_url, session_factory
from models.runs import RUN_COUNTERS

from ..runner import CrawlOutcome
from . import console as make_console


def print_summary(db_url: str, outcome: CrawlOutcome, site: str | None = None) -> None:
    console = make_console()
    with session_factory(db_url)() as session:
        totals = queries.totals(session, site)
        sections = queries.per_section(session, site)
        run = queries.last_run(session, outcome.run_id)
        # A long database URL as a table title wraps mid-word: it gets a line of its own.
        console.print(f"Stored in {display_url(db_url)}" + (f" for site {site!r}" if site else "") + ":")
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
