"""newsdesk demo: serve the bundled demo news site on 127.0.0.1, crawl it, print what was stored.

The demo site keeps one address per database: stored URLs carry the site's address, so
serving it on another port at every run would make a second run store every article again
under new URLs and leave every stored URL dead. Its port is the one ``sites.base_url``
recorded on the database's first crawl of it.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import time
from importlib import resources
from urllib.parse import urlsplit

from models import queries
from models.db import display_url, has_schema, resolve_url, session_factory

from ..demosite import SITES_FILE, DemoSite
from ..runner import run_crawl
from ..sites import get_site
from . import CommandError, add_db_argument
from .crawl import check_outcome
from .summary import print_summary


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="crawl the bundled demo site into ./newsdesk.db and show the result",
                       description="Start the bundled demo news site on 127.0.0.1 (at the address this "
                                   "database knows it by), crawl it with the real engine, and print what "
                                   "was stored.")
    p.add_argument("--sites", metavar="FILE",
                   help="sites file with a [sites.demo] table (default: the one installed with newsdesk)")
    p.add_argument("--serve", action="store_true",
                   help="after the crawl, keep the demo site up (until Ctrl-C) and print the commands that "
                        "crawl, schedule and browse it")
    add_db_argument(p)
    return p


def demo_port(db_url: str, site: str = "demo") -> int:
    """The port the demo site had when this database first stored it (0: any free port)."""
    if not has_schema(db_url):
        return 0
    with session_factory(db_url)() as session:
        base = queries.site_base_url(session, site)
    parts = urlsplit(base or "")
    return parts.port if parts.hostname == "127.0.0.1" and parts.port else 0


def open_demo(port: int) -> DemoSite:
    site = DemoSite(port=port)
    try:
        site.start()
    except OSError as exc:
        raise CommandError(f"cannot serve the demo site on 127.0.0.1:{port}, where this database stored it: "
                           f"{exc.strerror or exc} (is another `newsdesk demo --serve` running? stop it, "
                           "or use another --db)") from None
    return site


def next_commands(site: str, db_arg: str, environment: dict[str, str]) -> list[str]:
    """The commands that crawl, schedule and browse the served demo site, as a user types them."""
    exports = [f"export {k}={shlex.quote(v)}" for k, v in environment.items()]
    db = f" --db {shlex.quote(db_arg)}" if db_arg else ""
    return [*exports, f"newsdesk crawl {site}{db}", f"newsdesk schedule --now{db}", f"newsdesk serve{db}"]


def run(args) -> int:
    db_url = resolve_url(args.db)
    if args.sites:
        get_site("demo", args.sites)  # a bad sites file is one line before anything starts
    demo = open_demo(demo_port(db_url))
    try:
        with resources.as_file(SITES_FILE) as packaged:
            os.environ.update(demo.environment())
            print(f"demo site serving at {demo.url}", flush=True)
            outcome = run_crawl(site="demo", db_url=db_url, sites_file=args.sites or str(packaged), origin="demo")
        check_outcome(outcome)
        print_summary(db_url, outcome, site="demo")
        if not args.serve:
            return 0
        # Scrapy's shutdown handlers are still installed after the crawl: Ctrl-C and SIGTERM
        # end this wait instead.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        db_arg = "" if not args.db else (db_url.removeprefix("sqlite:///") if db_url.startswith("sqlite:///")
                                         else display_url(args.db))
        lines = next_commands("demo", db_arg, demo.environment())
        print(f"\ndemo site stays up at {demo.url} (Ctrl-C to stop). In another shell:\n"
              + "\n".join("  " + line for line in lines), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("demo site stopped", flush=True)
        return 0
    finally:
        demo.stop()
