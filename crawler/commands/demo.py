"""newsdesk demo: serve the bundled demo news site on 127.0.0.1, crawl it, print what was stored."""
from __future__ import annotations

import argparse
import os

from ..cli import CommandError, add_db_argument
from ..runner import CrawlOutcome, run_crawl


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="crawl the bundled demo site into ./newsdesk.db and show the result",
                       description="Start the bundled demo news site on 127.0.0.1, crawl it with the "
                                   "real engine, and print what was stored.")
    p.add_argument("--site", default="demo", help="which demo site under fixtures/sites/ (default: demo)")
    p.add_argument("--sites", metavar="FILE", help="sites file (default: the repository's sites.toml)")
    p.add_argument("--serve", action="store_true",
                   help="after the crawl, keep the demo site up (until Ctrl-C) and print the commands that "
                        "crawl or schedule it")
    add_db_argument(p)
    return p


def print_summary(db_url: str, outcome: CrawlOutcome, site: str | None = None) -> None:
    from rich.table import Table

    from ..cli import console

    from models import queries
    from models.db import display_url, session_factory
    from models.runs import RUN_COUNTERS

    out = console()
    with session_factory(db_url)() as session:
        totals = queries.totals(session, site)
        sections = queries.per_section(session, site)
        run = queries.last_run(session, outcome.run_id)
        # A long database URL as a table title wraps mid-word: it gets a line of its own.
        out.print(f"Stored in {display_url(db_url)}" + (f" for site {site!r}" if site else "") + ":")
        table = Table()
        table.add_column("section")
        table.add_column("articles", justify="right")
        table.add_column("comments", justify="right")
        for name, n_articles, n_comments in sections:
            table.add_row(name, str(n_articles), str(n_comments))
        table.add_row("[b]total[/b]", f"[b]{totals['articles']}[/b]", f"[b]{totals['comments']}[/b]")
        out.print(table)
        if run is not None:
            counters = Table(title=f"Crawl run #{run.id}: {run.status} ({run.finish_reason})")
            counters.add_column("counter")
            counters.add_column("value", justify="right")
            for key in RUN_COUNTERS:
                counters.add_row(key.replace("_", " "), str(getattr(run, key)))
            if run.finished_at and run.started_at:
                counters.add_row("seconds", f"{(run.finished_at - run.started_at).total_seconds():.1f}")
            out.print(counters)


def demo_port(db_url: str, site: str) -> int:
    """The port the demo site was served on when this database first stored it (0: any).

    Stored URLs carry the site's address: serving the site on another port at every run
    would make a second run store every article again under new URLs, and leave every
    stored URL dead. So the demo keeps one address per database, the one ``sites.base_url``
    recorded on its first crawl.
    """
    from urllib.parse import urlsplit

    from models import queries
    from models.db import has_schema, session_factory

    if not has_schema(db_url):
        return 0
    with session_factory(db_url)() as session:
        base = queries.site_base_url(session, site)
    parts = urlsplit(base or "")
    return parts.port if parts.hostname == "127.0.0.1" and parts.port else 0


def _check_demo_name(name: str) -> None:
    from crawler.demosite.server import FIXTURES

    available = sorted(p.name for p in FIXTURES.iterdir() if (p / "content.json").exists())
    if name not in available:
        raise CommandError(f"no demo site named {name!r} (available: {', '.join(available)})", code=2)


def _open_demo(name: str, port: int):
    from crawler.demosite import open_site

    site = open_site(name, port=port)
    try:
        site.start()
    except OSError as exc:
        raise CommandError(f"cannot serve the demo site on 127.0.0.1:{port}, where this database stored it: "
                           f"{exc.strerror or exc} (is another `newsdesk demo --serve` running? stop it, "
                           "or use another --db)") from None
    return site


def next_commands(site: str, db_arg: str, environment: dict[str, str]) -> list[str]:
    """The commands that crawl and schedule the served demo site, as a user types them."""
    import shlex

    exports = [f"export {k}={shlex.quote(v)}" for k, v in environment.items()]
    db = f" --db {shlex.quote(db_arg)}" if db_arg else ""
    return [*exports, f"newsdesk crawl {site}{db}", f"newsdesk schedule --now{db}", f"newsdesk serve{db}"]


def run(args) -> int:
    import signal
    import time

    from models.db import resolve_url

    from .crawl import check_outcome

    db_url = resolve_url(args.db)
    sites_file = args.sites or str(_repo_sites_file())
    _check_demo_name(args.site)
    demo = _open_demo(args.site, demo_port(db_url, args.site))
    try:
        os.environ.update(demo.environment())
        print(f"demo site {args.site!r} serving at {demo.url}", flush=True)
        outcome = run_crawl(site=args.site, db_url=db_url, sites_file=sites_file, origin="demo")
        check_outcome(outcome)
        print_summary(db_url, outcome, site=args.site)
        if not args.serve:
            return 0
        # Scrapy's shutdown handlers are still installed after the crawl: Ctrl-C and SIGTERM
        # end this wait instead.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        db_arg = "" if not args.db else (db_url.removeprefix("sqlite:///") if db_url.startswith("sqlite:///")
                                         else args.db)
        lines = next_commands(args.site, db_arg, demo.environment())
        print(f"\ndemo site {args.site!r} stays up at {demo.url} (Ctrl-C to stop). In another shell:\n"
              + "\n".join("  " + line for line in lines), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("demo site stopped", flush=True)
        return 0
    finally:
        demo.stop()


def _repo_sites_file():
    from pathlib import Path

    here = Path("sites.toml")
    return here if here.exists() else Path(__file__).resolve().parents[2] / "sites.toml"
