"""newsdesk forget URL: the next crawl fetches this URL in full, as if it had never seen it."""
from __future__ import annotations

import argparse

from models import fetchstate
from models.db import resolve_url, session_factory

from ..urls import canonical_url
from . import CommandError, add_db_argument, require_database


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("forget", help="make the next crawl fetch a URL in full again",
                       description="Drop what newsdesk remembers about how a URL was fetched (ETag, "
                                   "Last-Modified, last check), so that the next crawl fetches and extracts "
                                   "it in full. Stored articles and comments are kept.")
    p.add_argument("urls", nargs="+", metavar="URL", help="an article URL (as fetched, or its canonical URL)")
    add_db_argument(p)
    return p


def url_keys(url: str) -> list[str]:
    """The URL as given and in every canonical form a site's trailing_slash rule may give it."""
    return list(dict.fromkeys([url] + [canonical_url(url, trailing_slash=t) for t in ("keep", "strip", "add")]))


def run(args) -> int:
    url = resolve_url(args.db)
    require_database(url)
    for given in args.urls:
        if not given.startswith(("http://", "https://")):
            raise CommandError(f"not an http(s) URL: {given!r}", code=2)
    unknown = []
    with session_factory(url).begin() as session:
        for given in args.urls:
            forgotten = fetchstate.forget(session, url_keys(given))
            if not forgotten:
                unknown.append(given)
            for seen, article_id in forgotten:
                print(f"forgot {seen}" + (f" (article {article_id})" if article_id else "")
                      + ": the next crawl fetches it in full")
    if unknown:
        raise CommandError("not a URL newsdesk has fetched (nothing to forget): " + ", ".join(unknown))
    return 0
