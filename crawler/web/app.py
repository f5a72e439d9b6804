"""newsdesk's own small read-only web interface (stdlib WSGI + Jinja2), for PostgreSQL.

Datasette, the ecosystem's browser for SQLite, cannot open PostgreSQL; this app gives the
same things to look at on either backend: the tables and views page by page, one article
with its comment thread in reading order, full-text search (models.search), the charts
page, and a read-only SQL box.

Read-only is enforced by the database, not by this code: on PostgreSQL every transaction
is opened with ``default_transaction_read_only=on`` (and a statement timeout); on SQLite
the file is opened with ``mode=ro``.
"""
from __future__ import annotations

import csv
import io
import math
import re
import sys
import time
from datetime import date, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from models.search import search, search_comments
from models.threads import reading_order

from .charts import charts_for
from .thread import THREAD_CSS, nested_thread_html

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_ROWS = 50
SQL_ROW_LIMIT = 1000
CELL_CHARS = 240
STATEMENT_TIMEOUT_MS = 15000
MARKS = ("\x02", "\x03")

# What the browse pages offer: the analysts' tables and views (not Alembic's or the FTS internals).
VIEWS = ("article_overview", "comment_threads", "daily_counts")
TABLES = ("sites", "articles", "authors", "article_authors", "tags", "article_tags", "article_urls",
          "article_versions", "comments", "crawl_runs", "run_health", "health_problems")


def readonly_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database).resolve()
        return create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true",
                             connect_args={"timeout": 30, "check_same_thread": False})
    return create_engine(u, pool_pre_ping=True, pool_size=4, max_overflow=4,
                         connect_args={"options": f"-c default_transaction_read_only=on "
                                                  f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"})


def _highlight(snippet: str) -> Markup:
    """Escape the snippet, then turn the search marks into <mark> elements."""
    safe = str(escape(snippet))
    return Markup(safe.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>"))


_STORED_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$")  # SQLite's text times


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    value = str(value)
    if _STORED_TIME.match(value):
        return value[:19]
    return value if len(value) <= CELL_CHARS else value[:CELL_CHARS] + "…"


def render_fragment(template: str, **context) -> str:
    """A part of a page from these templates (the Datasette plugin's Health page uses the
    same per-site section as this app's)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template(template).render(**context)


class NewsdeskApp:
    def __init__(self, url: str):
        self.url = url
        self.engine = readonly_engine(url)
        self.sessions = sessionmaker(self.engine)
        self.backend = self.engine.dialect.name
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
        self.env.filters["cell"] = _cell
        self.env.filters["highlight"] = _highlight
        self.routes = [
            (re.compile(r"^/$"), self.index),
            (re.compile(r"^/search$"), self.search),
            (re.compile(r"^/charts$"), self.charts),
            (re.compile(r"^/health$"), self.health),
            (re.compile(r"^/article/(\d+)$"), self.article),
            (re.compile(r"^/browse/(\w+)$"), self.browse),
            (re.compile(r"^/sql$"), self.sql),
            (re.compile(r"^/sql\.csv$"), self.sql_csv),
        ]

    # --- WSGI -------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return self._respond(start_response, "405 Method Not Allowed", "read-only: GET only", "text/plain")
        for pattern, handler in self.routes:
            m = pattern.match(path)
            if m:
                try:
                    # (status, body) or (status, body, content type)
                    status, body, *content_type = handler(params, *m.groups())
                except DBAPIError as exc:
                    status, body, content_type = "500 Internal Server Error", self.render(
                        "error.html", message=str(exc.orig).strip().splitlines()[0]), []
                return self._respond(start_response, status, body, *content_type)
        return self._respond(start_response, "404 Not Found", self.render("error.html", message=f"no page {path}"))

    @staticmethod
    def _respond(start_response, status, body, content_type="text/html; charset=utf-8"):
        data = body.encode("utf-8")
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data))),
                                ("X-Content-Type-Options", "nosniff"),
                                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")])
        return [data]

    def render(self, template: str, **context) -> str:
        return self.env.get_template(template).render(backend=self.backend, views=VIEWS, tables=TABLES, **context)

    # --- pages ------------------------------------------------------------------------

    def index(self, params):
        with self.sessions() as session:
            counts = {name: session.scalar(text(f"SELECT count(*) FROM {name}"))
                      for name in ("articles", "comments", "sites", "authors", "crawl_runs")}
            recent = session.execute(text(
                "SELECT article_id, site, title, authors, published_at, comment_count FROM article_overview "
                "ORDER BY published_at DESC, article_id DESC LIMIT 15")).all()
        return "200 OK", self.render("index.html", counts=counts, recent=recent)

    def search(self, params):
        q = params.get("q", "").strip()
        site = params.get("site") or None
        since = params.get("since") or None
        in_comments = params.get("in") == "comments"
        hits, error = [], None
        if since:
            try:
                date.fromisoformat(since)
            except ValueError:
                error, since = f"not a date: {since!r} (use YYYY-MM-DD)", None
        if q:
            with self.sessions() as session:
                finder = search_comments if in_comments else search
                hits = finder(session, q, site=site, since=since, limit=50, marks=MARKS)
        return "200 OK", self.render("search.html", q=q, site=site or "", since=since or "",
                                     in_comments=in_comments, hits=hits, error=error)

    def charts(self, params):
        site = params.get("site") or None
        with self.sessions() as session:
            charts = charts_for(session, site)
        return "200 OK", self.render("charts.html", charts=charts, site=site or "")

    def health(self, params):
        from .charts import health_for

        site = params.get("site") or None
        with self.sessions() as session:
            sites = health_for(session, site)
        return "200 OK", self.render("health.html", sites=sites, site=site or "")

    def article(self, params, article_id):
        with self.sessions() as session:
            row = session.execute(text("SELECT * FROM article_overview WHERE article_id = :id"),
                                  {"id": int(article_id)}).mappings().first()
            if row is None:
                return "404 Not Found", self.render("error.html", message=f"no article {article_id}")
            body = session.scalar(text("SELECT body_text FROM articles WHERE id = :id"), {"id": int(article_id)})
            # The comment_threads view orders every comment in the database before it can
            # filter; one thread is put in the same order here from an index lookup.
            thread = reading_order([dict(r) for r in session.execute(text(
                "SELECT id AS comment_id, parent_id, depth, author, posted_at, deleted_at, body_text "
                "FROM comments WHERE article_id = :id ORDER BY id"), {"id": int(article_id)}).mappings()])
        return "200 OK", self.render("article.html", a=row, body=body or "", thread=thread,
                                     thread_html=Markup(nested_thread_html(thread)), thread_css=Markup(THREAD_CSS))

    def browse(self, params, name):
        if name not in VIEWS + TABLES:
            return "404 Not Found", self.render("error.html", message=f"no table or view named {name!r}")
        page = max(int(params.get("page", "1") or 1) if str(params.get("page", "1")).isdigit() else 1, 1)
        with self.sessions() as session:
            total = session.scalar(text(f"SELECT count(*) FROM {name}"))
            order = self._browse_order(session, name)
            result = session.execute(text(f"SELECT * FROM {name} ORDER BY {order} LIMIT :n OFFSET :o"),
                                     {"n": PAGE_ROWS, "o": (page - 1) * PAGE_ROWS})
            columns, rows = list(result.keys()), result.all()
        pages = max(1, math.ceil(total / PAGE_ROWS))
        return "200 OK", self.render("browse.html", name=name, columns=columns, rows=rows, page=page,
                                     pages=pages, total=total)

    def _browse_order(self, session, name: str) -> str:
        if name == "comment_threads":
            return "article_id, position"
        if name == "daily_counts":
            return "day DESC, site"
        if name == "article_overview":
            return "article_id"
        pk = inspect(session.get_bind()).get_pk_constraint(name).get("constrained_columns") or []
        return ", ".join(pk) or "1"

    @staticmethod
    def _query_param(params) -> str:
        # ?q= is this app's own; ?sql= is Datasette's, so a link copied from one works in the other.
        return (params.get("q") or params.get("sql") or "").strip()

    def sql_csv(self, params):
        """The SQL page's result as CSV (all rows up to the limit, values as stored)."""
        query = self._query_param(params)
        columns, rows, error = self._run_sql(query) if query else ([], [], "no query (?sql=...)")
        if error:
            return "400 Bad Request", error + "\n", "text/plain; charset=utf-8"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(v) if isinstance(v, (datetime, date)) else v for v in row] for row in rows])
        return "200 OK", out.getvalue(), "text/csv; charset=utf-8"

    def _run_sql(self, query: str):
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = ON")
            try:
                result = conn.exec_driver_sql(query)
            except DBAPIError as exc:
                return [], [], str(exc.orig).strip()
            columns = list(result.keys()) if result.returns_rows else []
            rows = result.fetchmany(SQL_ROW_LIMIT) if result.returns_rows else []
            conn.rollback()
        return columns, rows, None

    def sql(self, params):
        query = self._query_param(params)
        columns, rows, error, elapsed, truncated = [], [], None, None, False
        if query:
            started = time.monotonic()
            try:
                with self.engine.connect() as conn:
                    if self.backend == "sqlite":
                        conn.exec_driver_sql("PRAGMA query_only = ON")
                    result = conn.exec_driver_sql(query)
                    if result.returns_rows:
                        columns = list(result.keys())
                        rows = result.fetchmany(SQL_ROW_LIMIT + 1)
                        truncated = len(rows) > SQL_ROW_LIMIT
                        rows = rows[:SQL_ROW_LIMIT]
                    conn.rollback()
            except DBAPIError as exc:
                error = str(exc.orig).strip()
            elapsed = time.monotonic() - started
        return "200 OK", self.render("sql.html", q=query, columns=columns, rows=rows, error=error,
                                     elapsed=elapsed, truncated=truncated, limit=SQL_ROW_LIMIT)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # one short line per request, no reverse DNS

        sys.stderr.write(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")


def make_app_server(url: str, host: str = "127.0.0.1", port: int = 8001):
    app = NewsdeskApp(url)
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
