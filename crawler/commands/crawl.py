"""newsdesk crawl SITE: run one configured site (the same crawl as `scrapy crawl news -a site=SITE`)."""
from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from scrapy.settings import Settings

from models.db import DatabaseUnavailable, check_connection, ensure_schema, resolve_url

from .. import settings as project
from ..contracts import EXIT_SKIPPED
from ..runner import CrawlOutcome, run_crawl
from ..sites import get_site
from . import CommandError, add_db_argument
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
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes reading pages, the crawl's own included (default: the machine's cores; "
                        "1: everything in one process)")
    add_db_argument(p)
    return p


def parse_overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"-s expects NAME=VALUE, got {pair!r}", code=2)
        check_setting_value(name, value)
        out[name] = value
    return out


def check_setting_value(name: str, value: str) -> None:
    """A value Scrapy will read as a number or a flag must be one: checked here, so that a typo
    is one line now and not a traceback from deep inside the engine later."""
    known = Settings()
    known.setmodule(project)
    default = known.get(name)
    if isinstance(default, bool):
        if value.strip().lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise CommandError(f"-s {name}={value}: expects true or false (default {default})", code=2)
    elif isinstance(default, (int, float)):
        try:
            float(value) if isinstance(default, float) or "." in value else int(value)
        except ValueError:
            raise CommandError(f"-s {name}={value}: expects a number (default {default})", code=2) from None


def check_outcome(outcome: CrawlOutcome) -> None:
    """Turn a crawl that could not do its job into one clear error."""
    if outcome.config_error:
        raise CommandError(outcome.config_error, code=2)
    if outcome.database_error:
        raise CommandError(outcome.database_error)
    if outcome.start_failures and not outcome.stats.get("response_received_count"):
        raise CommandError("could not reach the site: " + "; ".join(outcome.start_failures))
    if not outcome.ok:
        raise CommandError(f"crawl ended: {outcome.reason}")


def run(args) -> int:
    db_url = resolve_url(args.db)
    # The command line first, then the configuration, then the database: each refused in one
    # line before the engine starts, the cheapest check first.
    if args.url is not None:
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CommandError(f"--url {args.url!r} is not an http(s) URL", code=2)
    overrides = parse_overrides(args.set)
    get_site(args.site, args.sites)
    try:
        check_connection(db_url)
    except DatabaseUnavailable as exc:  # the database is right but down: "could not do its job" (1), not 2
        raise CommandError(str(exc)) from None
    if str(overrides.get("NEWSDESK_STORE", "1")).lower() not in ("0", "false", "no", "off"):
        # An unreachable database is one line here, not four tracebacks from the engine's components.
        ensure_schema(db_url)
    if args.redis:
        overrides["NEWSDESK_REDIS_URL"] = args.redis
    if args.workers is not None:
        if args.workers < 1:
            raise CommandError("--workers must be a number of processes >= 1", code=2)
        overrides["NEWSDESK_WORKERS"] = args.workers
    if args.wait is not None:
        if args.wait < 0:
            raise CommandError("--wait must be a number of seconds >= 0", code=2)
        overrides["NEWSDESK_LOCK_WAIT"] = args.wait
    outcome = run_crawl(site=args.site, url=args.url, db_url=db_url, sites_file=args.sites, overrides=overrides)
    if outcome.skipped:  # the lock extension has said why, naming the site and its holder
        return EXIT_SKIPPED
    check_outcome(outcome)
    if args.url and (failed := [f for f in outcome.start_failures if f.startswith(args.url.rstrip("/"))]):
        # The site's feeds or sitemaps may have answered; the page asked for did not.
        raise CommandError("could not reach --url: " + "; ".join(failed))
    print_summary(db_url, outcome, site=args.site)
    return 0
