"""newsdesk crawl SITE: run one configured site (the same crawl as `scrapy crawl news -a site=SITE`)."""
from __future__ import annotations

import argparse

from ..cli import CommandError, add_db_argument
from ..contracts import EXIT_SKIPPED
from ..runner import CrawlOutcome, run_crawl
from ..sites import get_site
from .summary import print_summary


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("crawl", help="crawl one site from sites.toml",
                       description="Crawl one site from sites.toml into the database.")
    p.add_argument("site", help="the site's name in sites.toml")
    p.add_argument("--url", help="start from this URL instead of the site's start_urls")
    p.add_argument("--sites", metavar="FILE", help="sites file (default: $NEWSDESK_SITES, else ./sites.toml)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")
    p.add_argument("--redis", metavar="URL",
                   help="share the crawl with other workers through this Redis (distributed mode; "
                        "default: $NEWSDESK_REDIS_URL)")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="when another process is crawling the site, wait up to this long for it "
                        "(default: skip at once, exit code 75)")
    add_db_argument(p)
    return p


def parse_overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"-s expects NAME=VALUE, got {pair!r}", code=2)
        out[name] = value
    return out


def check_outcome(outcome: CrawlOutcome) -> None:
    """Turn a crawl that could not do its job into one clear error."""
    if outcome.config_error:
        raise CommandError(outcome.config_error, code=2)
    if outcome.start_failures and not outcome.stats.get("response_received_count"):
        raise CommandError("could not reach the site: " + "; ".join(outcome.start_failures))
    if not outcome.ok:
        raise CommandError(f"crawl ended: {outcome.reason}")


def run(args) -> int:
    from models.db import resolve_url

    db_url = resolve_url(args.db)
    get_site(args.site, args.sites)  # refuse a bad configuration before starting the engine
    overrides = parse_overrides(args.set)
    if args.redis:
        overrides["NEWSDESK_REDIS_URL"] = args.redis
    if args.wait is not None:
        if args.wait < 0:
            raise CommandError("--wait must be a number of seconds >= 0", code=2)
        overrides["NEWSDESK_LOCK_WAIT"] = args.wait
    outcome = run_crawl(site=args.site, url=args.url, db_url=db_url, sites_file=args.sites, overrides=overrides)
    if outcome.skipped:  # the lock extension has said why, naming the site and its holder
        return EXIT_SKIPPED
    check_outcome(outcome)
    print_summary(db_url, outcome, site=args.site)
    return 0
