"""newsdesk reextract: run the current extractor again over the archived pages of stored
articles, without the network, through the same spider callbacks and item pipelines.

Design: a Scrapy run whose downloader answers from the WARC archive
(crawler/downloadermiddlewares/replay.py) with the ``reextract`` spider, a news spider that
starts from the stored articles' archived pages and follows no link. So the real
``parse_article`` runs (extraction, every comment page and comment API response the page asks
for, read back from the archive too), then validate → clean → dedup → store, exactly as in a
crawl. The store compares every extracted field (``NEWSDESK_VERSION_ON_ANY_FIELD``): a changed
article gets a new ``article_versions`` row with this extractor's version, an unchanged one
nothing. ``--dry-run`` swaps the store for pipelines/reextract.py, which prints what would
change, field by field.

The articles and their records are read from ``--from`` (default: the database written to),
so a fresh ``--db`` can be filled from another database's archive.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import CommandError, add_db_argument, require_database


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("reextract", help="re-extract stored articles from their archived WARC records",
                       description="Run the current extractor over the archived pages (and comment pages) of "
                                   "stored articles, without the network, and store what changed as new "
                                   "article versions.")
    p.add_argument("--site", help="only this site's articles")
    p.add_argument("--since", metavar="DATE", help="only articles archived on or after this date (YYYY-MM-DD or ISO time, UTC)")
    p.add_argument("--dry-run", action="store_true", help="store nothing; print what would change, field by field")
    p.add_argument("--sample", type=int, default=10, metavar="N", help="changed articles shown by --dry-run (default 10)")
    p.add_argument("--from", dest="source", metavar="PATH_OR_URL",
                   help="database holding the articles and their archive pointers (default: --db)")
    p.add_argument("--archive", metavar="DIR",
                   help="where the WARC files are now, if they moved since the crawl (looked up by file name)")
    p.add_argument("--sites", metavar="FILE", help="sites file (default: $NEWSDESK_SITES, else ./sites.toml)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")
    add_db_argument(p)
    return p


def parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since: not a date: {text!r} (expected YYYY-MM-DD or an ISO time)", code=2) from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def locate_file(path: str, archive_dir: str | None) -> str:
    if Path(path).exists() or not archive_dir:
        return path
    moved = Path(archive_dir) / Path(path).name
    return str(moved.resolve()) if moved.exists() else path


def site_config(name: str, sites, first_url: str):
    """The site's configuration from sites.toml (its rules and settings), even when its start
    URLs name an environment variable that is not set: nothing is fetched from them here."""
    from ..sites import adhoc_site

    if name in sites:
        return sites[name]
    config = adhoc_site(first_url)
    from dataclasses import replace

    return replace(config, name=name, start_urls=())


def run(args) -> int:
    from models import archive
    from models.db import resolve_url, session_factory

    from ..sites import config_path, load_sites
    from .crawl import parse_overrides

    db_url = resolve_url(args.db)
    source_url = resolve_url(args.source) if args.source else db_url
    require_database(source_url)
    since = parse_since(args.since)
    if args.sample < 0:
        raise CommandError("--sample must be >= 0", code=2)
    overrides = parse_overrides(args.set)
    with session_factory(source_url)() as session:
        fetches = archive.latest_fetches(session, site=args.site, since=since)
        without = archive.articles_without_archive(session, site=args.site)
    if not fetches:
        where = f" of site {args.site!r}" if args.site else ""
        raise CommandError(f"no archived articles{where} in {source_url} "
                           "(crawl with NEWSDESK_ARCHIVE_DIR set, or archive = true in sites.toml)")
    sites = load_sites(args.sites) if config_path(args.sites).exists() else {}
    by_site: dict[str, list] = {}
    for fetch in fetches:
        by_site.setdefault(fetch.site, []).append(fetch)
    jobs = []
    for name, site_fetches in sorted(by_site.items()):
        replay, targets = {}, []
        for fetch in site_fetches:
            for _kind, url, path, offset in fetch.records:
                replay.setdefault(url, (locate_file(path, args.archive), offset))
            targets.append(fetch.page[1])
        jobs.append((site_config(name, sites, targets[0]), targets, replay))
    stats = run_replay(jobs, db_url=db_url, dry_run=args.dry_run, sample=args.sample, overrides=overrides)
    report(stats, dry_run=args.dry_run, without_archive=without, db_url=db_url)
    return 0


def replay_settings(db_url: str, *, dry_run: bool, sample: int, overrides: dict):
    from ..runner import crawl_settings

    settings = crawl_settings(db_url, overrides=None, origin="reextract")
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines["pipelines.fetchstate.FetchStatePipeline"] = None  # no fetch happened: validators stay as they are
    if dry_run:
        pipelines["pipelines.store.StorePipeline"] = None
        pipelines["pipelines.reextract.ReextractDiffPipeline"] = 400
    fixed = {
        "NEWSDESK_REPLAY": True, "NEWSDESK_ARCHIVE_ENABLED": False, "NEWSDESK_VERSION_ON_ANY_FIELD": True,
        "NEWSDESK_REEXTRACT_DRY_RUN": dry_run, "NEWSDESK_REEXTRACT_SAMPLE": sample,
        "ITEM_PIPELINES": pipelines,
        # Nothing goes to a server: no robots.txt, no politeness delays, no conditional requests.
        "ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "NEWSDESK_INCREMENTAL": False,
        "CLOSESPIDER_PAGECOUNT": 0, "DEPTH_LIMIT": 0,
    }
    for key, value in {**fixed, **overrides}.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_replay(jobs, *, db_url: str, dry_run: bool, sample: int, overrides: dict) -> list[tuple[str, dict]]:
    """One crawler per site in one Scrapy process; the stats of each."""
    from scrapy.crawler import CrawlerProcess

    from ..runner import _STARTUP_LOGGERS
    from ..spiders.reextract import ReextractSpider

    process = CrawlerProcess(replay_settings(db_url, dry_run=dry_run, sample=sample, overrides=overrides))
    import logging

    for name in _STARTUP_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # "Disabled ...: incremental re-crawls need the database": switched off on purpose here.
    logging.getLogger("scrapy.middleware").setLevel(logging.ERROR)
    crawlers = []
    for config, targets, replay in jobs:
        crawler = process.create_crawler(ReextractSpider)
        process.crawl(crawler, config=config, targets=targets, replay=replay)
        crawlers.append((config.name, crawler))
    process.start()
    return [(name, crawler.stats.get_stats() if crawler.stats else {}) for name, crawler in crawlers]


def report(results: list[tuple[str, dict]], *, dry_run: bool, without_archive: int, db_url: str) -> None:
    out = sys.stdout
    for site, stats in results:
        pages = stats.get("newsdesk/article_pages", 0)
        missing = stats.get("newsdesk/reextract/not_archived", 0) + stats.get("newsdesk/reextract/unreadable_record", 0)
        dropped = sum(v for k, v in stats.items() if k.startswith("newsdesk/articles_dropped/"))
        if dry_run:
            print(f"site {site}: {pages} archived article pages re-extracted (dry run, nothing stored): "
                  f"{stats.get('newsdesk/reextract/would_be_new', 0)} would be new, "
                  f"{stats.get('newsdesk/reextract/would_be_changed', 0)} changed, "
                  f"{stats.get('newsdesk/reextract/would_be_unchanged', 0)} unchanged", file=out)
            for change in stats.get("newsdesk/reextract/sample") or []:
                print(f"  {change['url']}: {change['outcome']}", file=out)
                for key, (before, after) in change["fields"].items():
                    print(f"    {key}: {before} -> {after}", file=out)
                if change["comments"]:
                    print("    comments: " + ", ".join(f"{v} {k}" for k, v in change["comments"].items()), file=out)
        else:
            print(f"site {site}: {pages} archived article pages re-extracted into {db_url}: "
                  f"{stats.get('newsdesk/articles_new', 0)} new, {stats.get('newsdesk/articles_updated', 0)} "
                  f"changed (a new version each), {stats.get('newsdesk/articles_unchanged', 0)} unchanged; "
                  f"comments {stats.get('newsdesk/comments_new', 0)} new, "
                  f"{stats.get('newsdesk/comments_updated', 0)} edited", file=out)
        if missing:
            print(f"  {missing} requests had no readable archived record (their threads are marked incomplete)", file=out)
        if dropped:
            print(f"  {dropped} pages dropped by validation (reasons in crawl_runs.stats_json)", file=out)
        if failures := stats.get("newsdesk/comment_threads_failed"):
            print(f"  {failures} comment threads could not be read whole", file=out)
    if without_archive:
        print(f"{without_archive} stored articles have no archived records and were left alone", file=out)
