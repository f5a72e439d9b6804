"""newsdesk duplicates: groups of near-duplicate articles (an original and its copies)."""
from __future__ import annotations

import argparse
import json

from ..cli import CommandError, add_db_argument, require_database


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("duplicates", help="list near-duplicate groups: each original and its copies",
                       description="List groups of near-duplicate articles (syndicated or lightly edited "
                                   "copies): the earliest copy, then every other copy with its similarity "
                                   "and URL, and the other URLs each was seen under with exactly the same "
                                   "content. Largest groups first.")
    p.add_argument("--site", help="only groups with an article on this site")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N groups (default 50; 0 = all)")
    p.add_argument("--json", action="store_true", help="print one JSON object per group")
    add_db_argument(p)
    return p


def _member(m) -> dict:
    return {"article_id": m.article_id, "site": m.site, "title": m.title, "url": m.url,
            "published_at": m.published_at.isoformat() if m.published_at else None,
            "similarity": m.similarity, "other_urls": m.aliases}


def run(args) -> int:
    from models.db import resolve_url, session_factory
    from models.duplicates import duplicate_groups

    if args.limit < 0:
        raise CommandError("--limit must be 0 (all) or more", code=2)
    url = resolve_url(args.db)
    require_database(url)
    with session_factory(url)() as session:
        if args.site:
            from sqlalchemy import select

            from models.tables import Site

            if session.scalar(select(Site.id).where(Site.name == args.site)) is None:
                raise CommandError(f"no site named {args.site!r} in the database")
        groups = duplicate_groups(session, site=args.site, limit=args.limit or None)
    if args.json:
        for g in groups:
            print(json.dumps({"original": _member(g.original), "copies": [_member(c) for c in g.copies]},
                             ensure_ascii=False))
        return 0
    if not groups:
        print("no near-duplicate groups" + (f" with an article on {args.site}" if args.site else ""))
        return 0
    for n, g in enumerate(groups, 1):
        o = g.original
        day = o.published_at.date().isoformat() if o.published_at else "undated"
        print(f"{n}. {o.title or '(untitled)'}  [{len(g.copies)} cop{'y' if len(g.copies) == 1 else 'ies'}]")
        print(f"   original  #{o.article_id} {o.site} {day} {o.url}")
        for alias in o.aliases:
            print(f"             same content: {alias}")
        for c in g.copies:
            day = c.published_at.date().isoformat() if c.published_at else "undated"
            sim = f"{c.similarity:.2f}" if c.similarity is not None else "?"
            print(f"   copy {sim} #{c.article_id} {c.site} {day} {c.url}")
            if c.title != o.title:
                print(f"             title: {c.title or '(untitled)'}")
            for alias in c.aliases:
                print(f"             same content: {alias}")
    print(f"{len(groups)} group{'s' if len(groups) != 1 else ''}, "
          f"{sum(len(g.copies) for g in groups)} cop{'y' if sum(len(g.copies) for g in groups) == 1 else 'ies'}")
    return 0
