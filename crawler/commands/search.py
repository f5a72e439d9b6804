"""newsdesk search "QUERY": ranked full-text search over articles (or comments), with snippets."""
from __future__ import annotations

import argparse
import json
import re
from datetime import date

from rich.console import Console
from rich.text import Text

from models.db import resolve_url, session_factory
from models.search import search, search_comments

from . import CommandError, add_db_argument, require_database

# Control characters as highlight marks: they cannot occur in stored text, so they are
# replaced by terminal styling without any escaping question.
MARKS = ("\x02", "\x03")


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("search", help="full-text search over articles (or comments)",
                       description='Search article titles and bodies. Words must all appear; '
                                   '"a phrase" in quotes, -word to exclude, OR between alternatives.')
    p.add_argument("query", help="what to look for")
    p.add_argument("--site", help="only this site")
    p.add_argument("--since", metavar="DATE", help="only articles (comments) from DATE on (YYYY-MM-DD)")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N results (default 20)")
    p.add_argument("--comments", action="store_true", help="search comments instead of articles")
    p.add_argument("--json", action="store_true", help="print one JSON object per result")
    add_db_argument(p)
    return p


def _styled(snippet: str):
    out = Text()
    bold = False
    for part in snippet.replace("\x03", "\x02").split("\x02"):
        out.append(re.sub(r"\s+", " ", part), style="bold yellow" if bold else None)
        bold = not bold
    return out


def run(args) -> int:
    url = resolve_url(args.db)
    if args.since:
        try:
            date.fromisoformat(args.since[:10])
        except ValueError:
            raise CommandError(f"--since expects a date like 2024-05-31, got {args.since!r}", code=2) from None
    if args.limit < 1:
        raise CommandError("--limit must be at least 1", code=2)
    require_database(url)
    with session_factory(url)() as session:
        finder = search_comments if args.comments else search
        hits = finder(session, args.query, site=args.site, since=args.since, limit=args.limit,
                      marks=("", "") if args.json else MARKS)
    if args.json:
        for hit in hits:
            record = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(hit).items()}
            print(json.dumps(record, ensure_ascii=False))
        return 0
    console = Console(highlight=False)
    if not hits:
        console.print(f"no {'comments' if args.comments else 'articles'} match {args.query!r}")
        return 0
    for i, hit in enumerate(hits, 1):
        when = hit.published_at if not args.comments else hit.posted_at
        day = when.date().isoformat() if when else "undated"
        head = Text(f"{i:>2}. ", style="bold")
        if args.comments:
            head.append(f"{hit.author or 'anonymous'} on ", style="bold")
            head.append(hit.article_title or "(untitled)", style="bold")
            link = hit.article_url
        else:
            head.append(hit.title or "(untitled)", style="bold")
            link = hit.url
        head.append(f"  {hit.site} · {day} · rank {hit.rank:.3g}", style="dim")
        console.print(head)
        console.print(Text("    " + link, style="cyan"))
        console.print(Text("    ") + _styled(hit.snippet))
    return 0
