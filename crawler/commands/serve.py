"""newsdesk serve: a read-only browser interface to the database, on 127.0.0.1 by default.

- SQLite: Datasette (``pip install 'newsdesk[serve]'``), with newsdesk's descriptions of
  every table and view, full-text search on ``articles`` and ``comments``, canned queries
  ``search`` and ``search_comments``, and a charts page at ``/-/charts``.
- PostgreSQL (Datasette reads SQLite only), or ``--app builtin``: newsdesk's own small
  read-only web app with the same things: browse, search, charts at ``/charts``, an
  article page with its thread, and a read-only SQL box.
"""
from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from crawler.web.app import make_app_server
from models.db import resolve_url

from . import CommandError, add_db_argument, port_number, require_database

WEB = Path(__file__).resolve().parents[1] / "web"

SEARCH_SQL = """select a.id as article_id, a.title, s.name as site, a.published_at,
  snippet(articles_fts, -1, '[', ']', ' … ', 24) as snippet,
  round(-bm25(articles_fts, 5.0, 1.0), 3) as rank, a.canonical_url as url
from articles_fts
join articles a on a.id = articles_fts.rowid
join sites s on s.id = a.site_id
where articles_fts match coalesce(nullif(escape_fts(:q), ''), '""')
order by rank desc
limit 100"""

SEARCH_COMMENTS_SQL = """select c.id as comment_id, c.author, c.posted_at,
  snippet(comments_fts, 1, '[', ']', ' … ', 24) as snippet,
  a.title as article_title, s.name as site, c.article_id,
  round(-bm25(comments_fts), 3) as rank
from comments_fts
join comments c on c.id = comments_fts.rowid
join articles a on a.id = c.article_id
join sites s on s.id = a.site_id
where comments_fts match coalesce(nullif(escape_fts(:q), ''), '""')
order by rank desc
limit 100"""

DESCRIPTIONS = {
    "article_overview": "One row per article: site, title, authors in byline order, tags, comment counts, "
                        "versions. Start here.",
    "comment_threads": "Every comment with its article, in reading order (sort by article_id, position); "
                       "depth is the indentation in the thread.",
    "daily_counts": "Articles (by publication day) and comments (by posting day) per site and UTC day.",
    "articles": "One row per distinct article (canonical URL). Use the search box for full-text search.",
    "comments": "One row per comment; parent_id points at the comment it answers. deleted_at: removed at the source.",
    "article_versions": "Every distinct content an article has had: edits are history, not overwrites.",
    "article_urls": "Every canonical URL an article was seen under (exact duplicates land here).",
    "crawl_runs": "One row per crawl with its status and counters; status degraded: a health monitor failed "
                  "(message says which).",
    "run_health": "Per crawl run: field coverage of its stored articles, comments per article, threads failed, "
                  "article share, error and skip rates, pages/s, site rule hits, and the monitors it failed.",
    "health_problems": "Problems health monitors found per site, from when they opened to when they cleared "
                       "(alerts go out at each end).",
    "sites": "One row per configured site.",
    "authors": "Author names; article_authors links them to articles in byline order (position).",
    "tags": "Tag names; article_tags links them to articles.",
}


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("serve", help="browse the database read-only in a web browser",
                       description="Serve a read-only browser interface: Datasette for SQLite, newsdesk's "
                                   "own small app for PostgreSQL. Both have search and a charts page.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8001, help="port (default 8001)")
    p.add_argument("--app", choices=["auto", "datasette", "builtin"], default="auto",
                   help="auto: Datasette for SQLite when installed, else the built-in app")
    add_db_argument(p)
    return p


# What each analyst table offers as facets (Datasette's counts per value, one click to filter).
FACETS = {
    "article_overview": ["site", "section", "language"],
    "comment_threads": ["site", "article_title"],
    "daily_counts": ["site"],
    "articles": ["section", "language"],
    "comments": ["author"],
    "crawl_runs": ["status", "origin"],
    "article_versions": ["article_id"],
}


def datasette_metadata(db_name: str, internal: list[str] = ()) -> dict:
    """``internal``: the database's tables that are bookkeeping, hidden from the table list."""
    return {
        "title": "newsdesk",
        "description_html": (
            "News articles and their comment threads, read-only. "
            "<a href=\"/-/charts\">Charts</a> · "
            "<a href=\"/-/health\">Health</a> · "
            f"<a href=\"/{db_name}/search\">Search articles</a> · "
            f"<a href=\"/{db_name}/search_comments\">Search comments</a> · "
            f"<a href=\"/{db_name}/article_overview\">All articles</a>"),
        "databases": {db_name: {
            "tables": {
                **{name: {"description": text, **({"facets": FACETS[name]} if name in FACETS else {})}
                   for name, text in DESCRIPTIONS.items()},
                **{name: {"hidden": True} for name in internal},
                "articles": {"description": DESCRIPTIONS["articles"], "fts_table": "articles_fts",
                             "fts_pk": "id", "searchmode": "escaped", "facets": FACETS["articles"]},
                "comments": {"description": DESCRIPTIONS["comments"], "fts_table": "comments_fts",
                             "fts_pk": "id", "searchmode": "escaped", "facets": FACETS["comments"]},
                "comment_threads": {"description": DESCRIPTIONS["comment_threads"], "facets": FACETS["comment_threads"],
                                    "sort": "position"},
            },
            "queries": {
                "search": {"title": "Search articles", "sql": SEARCH_SQL,
                           "description": "Words must all appear; \"a phrase\" in quotes. Best matches first."},
                "search_comments": {"title": "Search comments", "sql": SEARCH_COMMENTS_SQL,
                                    "description": "Comment text and author names."},
            },
        }},
    }


def internal_tables(path: Path) -> list[str]:
    """Every table of the file that is not one of the analysts' (DESCRIPTIONS): Alembic's, the
    scheduler's, the locks, the re-crawl state, the near-duplicate index, FTS internals, and
    whatever bookkeeping a later migration adds."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return sorted(n for n in names if n not in DESCRIPTIONS and n not in ("article_authors", "article_tags"))


def run_datasette(path: Path, host: str, port: int) -> int:
    from datasette.cli import cli

    with tempfile.TemporaryDirectory(prefix="newsdesk-serve-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(datasette_metadata(path.stem, internal_tables(path)), indent=2))
        args = ["serve", str(path), "--host", host, "--port", str(port),
                "--metadata", str(metadata),
                "--plugins-dir", str(WEB / "datasette" / "plugins"),
                "--template-dir", str(WEB / "datasette" / "templates"),
                "--setting", "sql_time_limit_ms", "5000",
                "--setting", "facet_time_limit_ms", "500",
                "--setting", "suggest_facets", "off",
                "--setting", "truncate_cells_html", "600"]
        print(f"newsdesk serve: Datasette on http://{host}:{port}/ (charts: /-/charts, health: /-/health), read-only",
              file=sys.stderr, flush=True)
        try:
            cli.main(args=args, prog_name="datasette", standalone_mode=False)
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


def run_builtin(url: str, host: str, port: int) -> int:
    server = make_app_server(url, host, port)
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"newsdesk serve: {shown} on http://{host}:{port}/ (charts: /charts, health: /health), read-only",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def check_port_free(host: str, port: int) -> None:
    """Refuse a port another program listens on before starting either app (Datasette's
    server would otherwise end in a page of tracebacks)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CommandError(f"--host {host!r}: {exc.strerror}", code=2) from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as both servers bind
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror} "
                               "(another program, or a second `newsdesk serve`? choose another --port)") from None


def run(args) -> int:
    url = resolve_url(args.db)
    require_database(url)
    sqlite = url.startswith("sqlite")
    use_datasette = args.app == "datasette" or (args.app == "auto" and sqlite)
    if use_datasette:
        if not sqlite:
            raise CommandError("Datasette reads SQLite only; for PostgreSQL use --app builtin (the default)", code=2)
        try:
            import datasette  # noqa: F401
        except ImportError:
            if args.app == "datasette":
                raise CommandError("Datasette is not installed: pip install 'newsdesk[serve]'") from None
            use_datasette = False
    check_port_free(args.host, args.port)
    if use_datasette:
        return run_datasette(Path(make_url(url).database), args.host, args.port)
    return run_builtin(url, args.host, args.port)
