"""newsdesk demo: serve the bundled demo news site on 127.0.0.1, crawl it, print what was stored."""
from __future__ import annotations

import argparse
import os
from importlib import resources

from models.db import resolve_url

from ..cli import add_db_argument
from ..demosite import SITES_FILE, DemoSite
from ..runner import run_crawl
from .crawl import check_outcome
from .summary import print_summary


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="crawl the bundled demo site into ./newsdesk.db and show the result",
                       description="Start the bundled demo news site on 127.0.0.1, crawl it with the "
                                   "real engine, and print what was stored.")
    p.add_argument("--sites", metavar="FILE",
                   help="sites file with a [sites.demo] table (default: the one installed with newsdesk)")
    add_db_argument(p)
    return p


def run(args) -> int:
    db_url = resolve_url(args.db)
    with DemoSite() as demo, resources.as_file(SITES_FILE) as packaged:
        os.environ.update(demo.environment())
        print(f"demo site serving at {demo.url}")
        outcome = run_crawl(site="demo", db_url=db_url, sites_file=args.sites or str(packaged), origin="demo")
    check_outcome(outcome)
    print_summary(db_url, outcome, site="demo")
    return 0
