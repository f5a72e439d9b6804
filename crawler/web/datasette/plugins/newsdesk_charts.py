"""Datasette plugin loaded by `newsdesk serve` (--plugins-dir): the /-/charts and /-/health pages, the
/-/thread/ID page (an article with its comment thread nested, as the site showed it), menu
links, and cells as people read them (times to the second, threads indented, titles linking
to their thread).

The charts are drawn by crawler.web.charts from models.stats and models.health and the thread by
crawler.web.thread, the same code as the built-in app's pages; the queries run on a
read-only SQLAlchemy connection to the database Datasette serves.
"""
from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from crawler.web.charts import charts_for
from crawler.web.thread import THREAD_CSS, nested_thread_html, when
from models.threads import reading_order

_STORED_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$")  # SQLite's text times
# Cells that name an article and link to its thread page.
_ARTICLE_CELLS = {("comment_threads", "article_title"), ("article_overview", "title"), ("articles", "title")}


@lru_cache(maxsize=4)
def _sessions(path: str):
    engine = create_engine(f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true",
                           connect_args={"timeout": 30, "check_same_thread": False})
    return sessionmaker(engine)


def _charts(path: str, site: str | None):
    with _sessions(path)() as session:
        return charts_for(session, site)


async def charts_page(datasette, request):
    db = datasette.get_database()
    site = request.args.get("site") or None
    charts = await asyncio.to_thread(_charts, db.path, site)
    return Response.html(await datasette.render_template(
        "newsdesk_charts.html", {"charts": charts, "site": site or "", "database": db.name}, request=request))


def _thread(path: str, article_id: int):
    with _sessions(path)() as session:
        article = session.execute(text("SELECT * FROM article_overview WHERE article_id = :id"),
                                  {"id": article_id}).mappings().first()
        if article is None:
            return None, None, []
        body = session.scalar(text("SELECT body_text FROM articles WHERE id = :id"), {"id": article_id})
        # One thread from an index lookup, not the comment_threads view (which orders every comment first).
        thread = reading_order([dict(r) for r in session.execute(text(
            "SELECT id AS comment_id, parent_id, depth, author, posted_at, deleted_at, body_text "
            "FROM comments WHERE article_id = :id ORDER BY id"), {"id": article_id}).mappings()])
    return dict(article), body or "", thread


async def thread_page(datasette, request):
    db = datasette.get_database()
    article, body, thread = await asyncio.to_thread(_thread, db.path, int(request.url_vars["article_id"]))
    if article is None:
        raise NotFound(f"no article {request.url_vars['article_id']}")
    return Response.html(await datasette.render_template("newsdesk_thread.html", {
        "a": article, "paragraphs": [p for p in body.split("\n\n") if p.strip()], "published": when(article["published_at"]),
        "thread_html": Markup(nested_thread_html(thread)), "thread_css": Markup(THREAD_CSS), "database": db.name,
    }, request=request))
def _health(path: str, site: str | None) -> list[str]:
    from crawler.web.app import render_fragment
    from crawler.web.charts import health_for

    with _sessions(path)() as session:
        return [render_fragment("health_site.html", s=s) for s in health_for(session, site)]


async def health_page(datasette, request):
    db = datasette.get_database()
    site = request.args.get("site") or None
    sections = await asyncio.to_thread(_health, db.path, site)
    return Response.html(await datasette.render_template(
        "newsdesk_health.html", {"sections": sections, "site": site or "", "database": db.name}, request=request))


@hookimpl
def register_routes():
    return [(r"^/-/charts$", charts_page), (r"^/-/health$", health_page), (r"^/-/thread/(?P<article_id>\d+)$", thread_page),
            (r"^/-/newsdesk\.css$", css)]


@hookimpl
def render_cell(row, value, column, table, datasette):
    if (table, column) in _ARTICLE_CELLS and value is not None:
        article_id = row["article_id"] if "article_id" in row.keys() else row["id"]
        return Markup(f'<a href="{datasette.urls.path(f"/-/thread/{article_id}")}">{escape(value)}</a>')
    if table == "comment_threads" and column == "body_text" and value is not None and "depth" in row.keys():
        # The thread's shape in the table itself: each comment indented under its parent.
        return Markup(f'<div class="newsdesk-depth" style="margin-left: {1.4 * (row["depth"] or 0):.1f}em">'
                      f'{escape(value)}</div>')
    if isinstance(value, str) and _STORED_TIME.match(value):
        return value[:19]
    return None


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/newsdesk.css")]


NEWSDESK_CSS = """
/* Long text columns get room to read instead of a one-word column. */
td.col-lead, td.col-body_text, td.col-subtitle, td.col-title, td.col-article_title, td.col-version_body,
td.col-snippet, td.col-message { min-width: 22em; }
td.col-body_text, td.col-lead, td.col-version_body { max-width: 48em; }
"""


async def css(datasette, request):
    return Response(NEWSDESK_CSS, content_type="text/css; charset=utf-8")



@hookimpl
def menu_links(datasette):
    db = datasette.get_database()
    return [
        {"href": datasette.urls.path("/-/charts"), "label": "Charts"},
        {"href": datasette.urls.table(db.name, "comment_threads"), "label": "Comment threads"},
        {"href": datasette.urls.path("/-/health"), "label": "Health"},
        {"href": datasette.urls.path(f"/{db.name}/search"), "label": "Search articles"},
        {"href": datasette.urls.path(f"/{db.name}/search_comments"), "label": "Search comments"},
    ]
