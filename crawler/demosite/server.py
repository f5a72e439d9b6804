"""A small news site ("The Goldwater") rendered from its content.json (fixtures/sites/demo).

Its article pages follow the layout of the page that started newsdesk (byline
"By: NAME | MM-DD-YYYY | Section", photo credit, share and comment prompts, a WordPress
comment thread paginated over comment pages, "Recent News" and "Popular Stories"
sidebars). Tests change it between crawls through add_article / add_comment /
edit_comment / delete_comment; nothing is written back to disk.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from importlib.resources.abc import Traversable
from zoneinfo import ZoneInfo

from .pages import DemoPages

# The demo site's content is package data, so that `newsdesk demo` works from an installed
# wheel. Its home stays fixtures/sites/demo (DESIGN.md: fixtures/ holds the demo content):
# crawler/demosite/content is a symlink to it, so a checkout reads fixtures/ itself and
# setuptools copies the files behind the link into the wheel (package-data in pyproject.toml).
# Likewise crawler/demosite/sites.toml links the repository's sites.toml, whose [sites.demo]
# `newsdesk demo` crawls. The test-only sites (forum, hostile) subclass DemoSite in tests/sites/
# and pass their own content directory.
CONTENT = resources.files(__package__) / "content"
SITES_FILE = resources.files(__package__) / "sites.toml"
THREADS_PER_COMMENT_PAGE = 5


class DemoSite(DemoPages):
    def __init__(self, name: str = "demo", host: str = "127.0.0.1", port: int = 0,
                 content: Traversable = CONTENT):
        self.name, self.host, self.port = name, host, port
        data = json.loads((content / "content.json").read_text(encoding="utf-8"))
        self.site_name = data["site"]
        self.tz = ZoneInfo(data.get("timezone", "UTC"))
        self.articles: list[dict] = copy.deepcopy(data["articles"])
        self.requests: list[tuple[str, str, int]] = []
        self.delay = 0.0
        # "classic", or "redesign": what a publisher's redesign does to a scraper (authors in a
        # new element, the body container renamed, comments moved to a JavaScript system).
        self.templates = "classic"
        # Stop answering after this many requests (a hung server), until released.
        self.stall_after: int | None = None
        self.stall_released = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- lifecycle ---
    def start(self) -> str:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def environment(self) -> dict[str, str]:
        """Environment variables that sites.toml's entry for this demo site reads."""
        return {"NEWSDESK_DEMO_URL": self.url}

    # --- mutations ---
    def article(self, slug: str) -> dict:
        return next(a for a in self.articles if a["slug"] == slug)

    def add_article(self, *, title, section="News", authors=("Earnest Jones",), published, body, slug=None,
                    tags=()) -> dict:
        with self.lock:
            article = {"slug": slug or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"), "title": title,
                       "section": section, "authors": list(authors), "published": published, "modified": None,
                       "machine_date": True, "tags": list(tags), "body": list(body), "comments": []}
            self.articles.append(article)
        return article

    def _next_id(self) -> int:
        return max((c["id"] for a in self.articles for c in a["comments"]), default=1000) + 1

    def add_comment(self, article_slug, author, text, parent_id=None, posted=None, author_url=None) -> int:
        with self.lock:
            art = self.article(article_slug)
            cid = self._next_id()
            art["comments"].append({"id": cid, "parent": parent_id, "author": author, "author_url": author_url,
                                    "posted": posted or art["published"], "text": text})
        return cid

    def _comment(self, cid):
        return next(c for a in self.articles for c in a["comments"] if c["id"] == cid)

    def edit_comment(self, comment_id, new_text):
        with self.lock:
            self._comment(comment_id)["text"] = new_text

    def delete_comment(self, comment_id):
        with self.lock:
            for a in self.articles:
                a["comments"] = [c for c in a["comments"] if c["id"] != comment_id]

    def stall(self, after: int = 0) -> None:
        """From the next ``after`` requests on, hold every request unanswered until ``release_stall``."""
        self.stall_released.clear()
        self.stall_after = len(self.requests) + after

    def release_stall(self) -> None:
        self.stall_after = None
        self.stall_released.set()

    # --- helpers ---
    def path_of(self, a) -> str:
        d = datetime.fromisoformat(a["published"])
        return f"/{d:%Y/%m/%d}/{a['slug']}/"

    def previous_path_of(self, a) -> str:
        """Where an edited article's first version is still served (its headline, and so its slug, changed):
        a stale copy, no thread, no modification time, rel=canonical naming the current URL."""
        return f"/{datetime.fromisoformat(a['published']):%Y/%m/%d}/{a['previous']['slug']}/"

    def newest(self) -> list[dict]:
        return sorted(self.articles, key=lambda a: a["published"], reverse=True)

    def comment_pages(self, a) -> list[list[dict]]:
        """Top-level threads (each with all its replies) split over pages, oldest first."""
        roots = [c for c in a["comments"] if c["parent"] is None]
        return [roots[i:i + THREADS_PER_COMMENT_PAGE] for i in range(0, len(roots), THREADS_PER_COMMENT_PAGE)] or [[]]

    # --- HTTP ---
    def _handle(self, h: BaseHTTPRequestHandler):
        if self.delay:
            time.sleep(self.delay)
        if self.stall_after is not None and len(self.requests) >= self.stall_after:
            self.stall_released.wait()
        path = h.path.split("?")[0]
        with self.lock:
            status, ctype, body, last_mod = self._route(path)
        body_bytes = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(body_bytes).hexdigest()[:16] + '"'
        if status == 200 and h.headers.get("If-None-Match") == etag:
            status, body_bytes = 304, b""
        self.requests.append(("GET", h.path, status))
        h.send_response(status)
        if status in (200, 304):
            h.send_header("ETag", etag)
            if last_mod:
                h.send_header("Last-Modified", format_datetime(last_mod, usegmt=True))
        if status != 304:
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body_bytes)))
        h.end_headers()
        if status != 304:
            h.wfile.write(body_bytes)

    def _aware(self, iso: str) -> datetime:
        d = datetime.fromisoformat(iso)
        return (d if d.tzinfo else d.replace(tzinfo=self.tz)).astimezone(timezone.utc)

    def _route(self, path):
        html = "text/html; charset=utf-8"
        newest = self.newest()
        last = self._aware(newest[0]["published"]) if newest else None
        if path == "/robots.txt":
            return 200, "text/plain", (f"User-agent: *\nDisallow: /wp-admin/\nDisallow: /search\n\n"
                                       f"Sitemap: {self.url}/sitemap.xml\n"), None
        if path == "/sitemap.xml":
            years = sorted({a["published"][:4] for a in self.articles})
            locs = [f"{self.url}/sitemap-posts-{y}.xml" for y in years] + [f"{self.url}/sitemap-sections.xml"]
            return 200, "application/xml", ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                                            '"http://www.sitemaps.org/schemas/sitemap/0.9">'
                                            + "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
                                            + "</sitemapindex>"), last
        if m := re.fullmatch(r"/sitemap-posts-(\d{4})\.xml", path):
            rows = "".join(f"<url><loc>{self.url}{self.path_of(a)}</loc><lastmod>{a['modified'] or a['published']}"
                           f"</lastmod></url>" for a in newest if a["published"].startswith(m.group(1)))
            # An edited article's old URL stays in the sitemap, as sitemaps keep what they once listed.
            rows += "".join(f"<url><loc>{self.url}{self.previous_path_of(a)}</loc><lastmod>{a['published']}"
                            f"</lastmod></url>" for a in newest
                            if a.get("previous") and a["published"].startswith(m.group(1)))
            return 200, "application/xml", ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                                            f'"http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'), last
        if path == "/sitemap-sections.xml":
            rows = "".join(f"<url><loc>{self.url}/section/{s.lower()}/</loc></url>" for s in self.sections())
            return 200, "application/xml", ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                                            f'"http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'), last
        if path == "/feed/":
            items = "".join(
                f"<item><title>{escape(a['title'])}</title><link>{self.url}{self.path_of(a)}</link>"
                f"<pubDate>{format_datetime(self._aware(a['published']))}</pubDate>"
                f"<dc:creator>{escape(a['authors'][0])}</dc:creator><category>{a['section']}</category>"
                f"<description>{escape(a['body'][0][:200])}</description></item>" for a in newest[:20])
            return 200, "application/rss+xml", (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<channel><title>{self.site_name}</title><link>{self.url}/</link>{items}</channel></rss>"), last
        if m := re.fullmatch(r"/(?:page/(\d+)/)?", path):
            return self._listing(newest, int(m.group(1) or 1), "/", "Latest news", last)
        if m := re.fullmatch(r"/section/([a-z]+)/(?:page/(\d+)/)?", path):
            arts = [a for a in newest if a["section"].lower() == m.group(1)]
            if arts:
                return self._listing(arts, int(m.group(2) or 1), f"/section/{m.group(1)}/", arts[0]["section"], last)
        if m := re.fullmatch(r"/(\d{4})/(\d{2})/(\d{2})/([^/]+)/(?:comment-page-(\d+)/)?", path):
            for a in self.articles:
                if self.path_of(a) == f"/{m.group(1)}/{m.group(2)}/{m.group(3)}/{m.group(4)}/":
                    page = int(m.group(5) or 1)
                    if page <= len(self.comment_pages(a)):
                        return 200, html, self._article(a, page), self._aware(a["modified"] or a["published"])
                if a.get("previous") and self.previous_path_of(a) == path:
                    old = {**a, **a["previous"], "slug": a["slug"], "modified": None, "comments": []}
                    return 200, html, self._article(old, 1), self._aware(a["published"])
        if path in ("/about/", "/contact/", "/privacy/"):
            return 200, html, self._layout(path.strip("/").title(), f"<h1>{path.strip('/').title()}</h1>"
                                           "<p>The Goldwater is a demo news site bundled with newsdesk.</p>"), None
        return 404, html, self._layout("Page not found", "<h1>Page not found</h1><p>Sorry, nothing here.</p>"), None

    def sections(self):
        return list(dict.fromkeys(a["section"] for a in self.articles))
