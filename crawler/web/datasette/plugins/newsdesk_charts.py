"""Datasette plugin loaded by `newsdesk serve` (--plugins-dir): the /-/charts and /-/health pages
and menu links.

The charts are drawn by crawler.web.charts from models.stats and models.health, the same
code as the built-in app's charts and health pages; the queries run on a read-only SQLAlchemy connection to the
database Datasette serves.
"""
from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import Response


@lru_cache(maxsize=4)
def _sessions(path: str):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine(f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true",
                           connect_args={"timeout": 30, "check_same_thread": False})
    return sessionmaker(engine)


def _charts(path: str, site: str | None):
    from crawler.web.charts import charts_for

    with _sessions(path)() as session:
        return charts_for(session, site)


async def charts_page(datasette, request):
    db = datasette.get_database()
    site = request.args.get("site") or None
    charts = await asyncio.to_thread(_charts, db.path, site)
    return Response.html(await datasette.render_template(
        "newsdesk_charts.html", {"charts": charts, "site": site or "", "database": db.name}, request=request))


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
    return [(r"^/-/charts$", charts_page), (r"^/-/health$", health_page)]


@hookimpl
def menu_links(datasette):
    db = datasette.get_database()
    return [
        {"href": datasette.urls.path("/-/charts"), "label": "Charts"},
        {"href": datasette.urls.path("/-/health"), "label": "Health"},
        {"href": datasette.urls.path(f"/{db.name}/search"), "label": "Search articles"},
        {"href": datasette.urls.path(f"/{db.name}/search_comments"), "label": "Search comments"},
    ]
