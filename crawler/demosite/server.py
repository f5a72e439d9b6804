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

# The demo site's content is package data, so that `newsdesk demo` works from an installed
# wheel. Its home stays fixtures/sites/demo (DESIGN.md: fixtures/ holds the demo content):
# crawler/demosite/content is a symlink to it, so a checkout reads fixtures/ itself and
# setuptools copies the files behind the link into the wheel (package-data in pyproject.toml).
# Likewise crawler/demosite/sites.toml links the repository's sites.toml, whose [sites.demo]
# `newsdesk demo` crawls. The test-only sites (forum, hostile) subclass DemoSite in tests/sites/
# and pass their own content directory.
CONTENT = resources.files(__package__) / "content"
SITES_FILE = resources.files(__package__) / "sites.toml"
PER_PAGE = 10
THREADS_PER_COMMENT_PAGE = 5


class DemoSite:
    def __init__(self, name: str = "demo", host: str = "127.0.0.1", port: int = 0,
                 content: Traversable = CONTENT):
        self.name, self.host, self.port = name, host, port
        data = json.loads((content / "content.json").read_text(encoding="utf-8"))
        self.site_name = data["site"]
        self.tz = ZoneInfo(data.get("timezone", "UTC"))
        self.articles: list[dict] = copy.deepcopy(data["articles"])
        self.requests: list[tuple[str, str, int]] = []
        self.delay = 0.0
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

    # --- helpers ---
    def path_of(self, a) -> str:
        d = datetime.fromisoformat(a["published"])
        return f"/{d:%Y/%m/%d}/{a['slug']}/"

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
        if path in ("/about/", "/contact/", "/privacy/"):
            return 200, html, self._layout(path.strip("/").title(), f"<h1>{path.strip('/').title()}</h1>"
                                           "<p>The Goldwater is a demo news site bundled with newsdesk.</p>"), None
        return 404, html, self._layout("Page not found", "<h1>Page not found</h1><p>Sorry, nothing here.</p>"), None

    def sections(self):
        return list(dict.fromkeys(a["section"] for a in self.articles))

    def _layout(self, title, main, head=""):
        nav = " ".join(f'<a href="/section/{s.lower()}/">{s}</a>' for s in self.sections())
        recent = "".join(f'<li><a href="{self.path_of(a)}">{escape(a["title"])}</a></li>' for a in self.newest()[:5])
        popular = "".join(f'<li><a href="{self.path_of(a)}">{escape(a["title"])}</a></li>' for a in self.articles[:5])
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - '
                f'{self.site_name}</title>{head}<link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
                f'<body><header><a class="logo" href="/">{self.site_name}</a><nav>{nav}</nav></header>'
                f'<main>{main}</main><aside><h3>Recent News</h3><ul>{recent}</ul>'
                f'<h3>Popular Stories</h3><ul>{popular}</ul></aside>'
                f'<footer>&copy; 2026 {self.site_name} · <a href="/about/">About</a> · <a href="/contact/">Contact</a>'
                f' · <a href="/privacy/">Privacy</a></footer></body></html>')

    def _listing(self, arts, page, base, heading, last):
        pages = max(1, -(-len(arts) // PER_PAGE))
        if page > pages:
            return 404, "text/html; charset=utf-8", self._layout("Page not found", "<h1>Page not found</h1>"), None
        teasers = "".join(
            f'<div class="teaser"><h2><a href="{self.path_of(a)}">{escape(a["title"])}</a></h2>'
            f'<div class="post-meta">By: {escape(a["authors"][0])} | {datetime.fromisoformat(a["published"]):%m-%d-%Y}</div>'
            f'<p>{escape(a["body"][0][:160])}…</p><a href="{self.path_of(a)}">Read more</a></div>'
            for a in arts[(page - 1) * PER_PAGE: page * PER_PAGE])
        link = lambda n: base if n == 1 else f"{base}page/{n}/"  # noqa: E731
        nav = ""
        if page > 1:
            nav += f'<a class="prev page-numbers" href="{link(page - 1)}">« Previous</a> '
        nav += " ".join(f'<a class="page-numbers" href="{link(n)}">{n}</a>' for n in range(1, pages + 1))
        if page < pages:
            nav += f' <a class="next page-numbers" href="{link(page + 1)}">Next »</a>'
        return 200, "text/html; charset=utf-8", self._layout(
            heading, f'<h1>{escape(heading)}</h1>{teasers}<nav class="pagination">{nav}</nav>'), last

    def _comment_li(self, c, a, by_parent, depth):
        author = escape(c["author"])
        if c["author_url"]:
            author = f'<a href="{escape(c["author_url"])}" class="url" rel="ugc external nofollow">{author}</a>'
        posted = datetime.fromisoformat(c["posted"]).replace(tzinfo=self.tz)
        text = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in c["text"].split("\n\n"))
        kids = by_parent.get(c["id"], [])
        children = (f'<ol class="children">{"".join(self._comment_li(k, a, by_parent, depth + 1) for k in kids)}</ol>'
                    if kids else "")
        return (f'<li class="comment depth-{depth}{" parent" if kids else ""}" id="comment-{c["id"]}">'
                f'<article id="div-comment-{c["id"]}" class="comment-body"><footer class="comment-meta">'
                f'<div class="comment-author vcard"><b class="fn">{author}</b> <span class="says">says:</span></div>'
                f'<div class="comment-metadata"><a href="{self.url}{self.path_of(a)}#comment-{c["id"]}">'
                f'<time datetime="{posted.isoformat()}">{posted:%B %-d, %Y at %-I:%M %p}</time></a></div></footer>'
                f'<div class="comment-content">{text}</div><div class="reply"><a rel="nofollow" '
                f'class="comment-reply-link" href="?replytocom={c["id"]}#respond">Reply</a></div></article>'
                f'{children}</li>')

    def _article(self, a, page):
        url = self.url + self.path_of(a)
        pages = self.comment_pages(a)
        by_parent: dict = {}
        for c in a["comments"]:
            by_parent.setdefault(c["parent"], []).append(c)
        items = "".join(self._comment_li(c, a, by_parent, 1) for c in pages[page - 1])
        nav = ""
        if len(pages) > 1:
            prev = f'<div class="nav-previous"><a href="{url}comment-page-{page - 1}/#comments">Older Comments</a></div>' if page > 1 else ""
            nxt = f'<div class="nav-next"><a href="{url}comment-page-{page + 1}/#comments">Newer Comments</a></div>' if page < len(pages) else ""
            nav = f'<nav class="navigation comment-navigation"><div class="nav-links">{prev}{nxt}</div></nav>'
        pub = datetime.fromisoformat(a["published"])
        head = (f'<link rel="canonical" href="{url if page == 1 else f"{url}comment-page-{page}/"}">'
                f'<meta name="description" content="{escape(a["body"][0].split(". ")[0])}.">'
                f'<meta property="og:title" content="{escape(a["title"])}"><meta property="og:type" content="article">'
                f'<meta property="og:url" content="{url}"><meta property="og:image" content="{self.url}/images/{a["slug"]}.jpg">')
        if a.get("machine_date"):
            head += f'<meta property="article:published_time" content="{pub.replace(tzinfo=self.tz).isoformat()}">'
            head += f'<meta property="article:section" content="{a["section"]}">'
            head += "".join(f'<meta property="article:tag" content="{escape(t)}">' for t in a["tags"])
        authors = " and ".join(f'<a class="author" href="/author/{n.lower().replace(" ", "-")}/">{escape(n)}</a>'
                               for n in a["authors"])
        body = "".join(f"<p>{escape(p)}</p>" for p in a["body"])
        tags = " ".join(f'<a rel="tag" href="/tag/{t.lower()}/">{escape(t)}</a>' for t in a["tags"])
        n = len(a["comments"])
        main = (f'<article class="post"><div class="post-meta">By: {authors} | <span class="date">{pub:%m-%d-%Y}'
                f'</span> | <a class="category" href="/section/{a["section"].lower()}/">{a["section"]}</a></div>'
                f'<figure class="featured-image"><img src="/images/{a["slug"]}.jpg" alt=""><figcaption>Photo credit: '
                f'{self.site_name}</figcaption></figure><h1 class="entry-title">{escape(a["title"])}</h1>'
                f'<div class="entry-content">{body}</div><div class="tags">Tags: {tags}</div>'
                f'<div class="share">Share this article <a href="#">Facebook</a> <a href="#">Twitter</a></div>'
                f'<p class="comment-prompt">Thoughts on the above story? Comment below!</p></article>'
                f'<div id="comments" class="comments-area"><h3 class="comments-title">{n} comment/s</h3>'
                f'<ol class="commentlist">{items}</ol>{nav}<div id="respond" class="comment-respond">'
                f'<h3>What do you think about this article?</h3><form action="/wp-comments-post.php" method="post">'
                f'<label for="comment">Comment *</label><textarea id="comment" name="comment"></textarea>'
                f'<input type="submit" value="Post Comment"></form></div></div>')
        return self._layout(a["title"], main, head)
