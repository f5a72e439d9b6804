"""A hostile demo site ("The Hostile Herald"): a few good articles with comment threads among
every kind of bad input a news crawler meets, each under its own URL and linked from the
home page:

- broken HTML (unclosed tags, stray garbage bytes, tables nested wrongly), still an article;
- windows-1252 bytes served as ``charset=utf-8``, the same with no charset anywhere, and
  windows-1251 declared only in ``<meta http-equiv>``;
- bodies over the site's DOWNLOAD_MAXSIZE, with and without a Content-Length;
- an endless calendar (``/calendar/YYYY/MM/``) and an endless ``/events/?date=`` day view,
  each page linking the next and previous one and no article;
- a redirect loop, and a redirect chain longer than REDIRECT_MAX_TIMES;
- a 500 that never recovers, a 503 that answers once and then serves its article, a page
  slower than the site's DOWNLOAD_TIMEOUT;
- a PDF, a JPEG, JSON, an empty 200 and binary bytes labelled text/html, all under article URLs;
- a 404, an article whose second comment page is garbage, comments with live
  ``<script>``/``<style>`` markup, and JSON-LD whose keywords are schema.org DefinedTerm
  objects (valid schema.org that a naive extractor does not expect).

sites.toml's ``[sites.hostile]`` sets the low limits (size, time, trap) these cases need.
Good articles and their threads render as on the demo site (DemoSite._article).
"""
from __future__ import annotations

import json
import time
from datetime import date, timedelta
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import re

from crawler.demosite.server import DemoSite

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"

BIG_BODY = 2 * 1024 * 1024  # over the 1 MiB DOWNLOAD_MAXSIZE sites.toml sets for this site
SLOW_SECONDS = 6.0  # over the 2 s DOWNLOAD_TIMEOUT sites.toml sets
CHAIN_HOPS = 8  # over REDIRECT_MAX_TIMES (5)
GARBAGE = bytes(range(256)) * 8  # NULs, control and high bytes: nothing a parser can read

# The hostile cases under article-like URLs: slug -> what the server does.
CASES = {
    "storm-brings-down-trees": "broken_html",
    "cafe-owners-naive-hopes": "latin1_declared_utf8",
    "crepe-stall-wins-prize": "latin1_no_charset",
    "council-approves-budget": "cp1251_meta_only",
    "full-council-transcript": "huge_declared",
    "full-council-transcript-stream": "huge_streamed",
    "redirect-loop": "redirect_loop",
    "redirect-loop-back": "redirect_loop_back",
    "story-that-moved": "redirect_chain",
    "results-service-down": "http_500",
    "election-live-blog": "slow",
    "annual-report": "pdf",
    "front-page-photo": "jpeg",
    "live-scores": "json",
    "empty-story": "empty",
    "binary-story": "binary_as_html",
    "deleted-story": "http_404",
    "topics-explained": "defined_terms",
}
CASE_DATE = "2024/05/20"
FLAKY_SLUG = "market-hall-reopens"  # 503 on its first request, then the article
GARBAGE_THREAD_SLUG = "bridge-repairs-overrun"  # comment page 2 is garbage


class HostileSite(DemoSite):
    def __init__(self, name: str = "hostile", host: str = "127.0.0.1", port: int = 0):
        super().__init__(name, host, port, content=FIXTURES / name)
        data = json.loads((FIXTURES / name / "content.json").read_text(encoding="utf-8"))
        self.texts: dict = data["hostile"]
        self.files = FIXTURES / name
        self.flaky_answered = False

    # --- what the tests look at ---
    def case_path(self, case: str) -> str:
        slug = next(s for s, c in CASES.items() if c == case)
        return f"/{CASE_DATE}/{slug}/"

    def good_articles(self) -> list[dict]:
        return list(self.articles)

    # --- HTTP ---
    def _handle(self, h):
        path, query = urlsplit(h.path).path, parse_qs(urlsplit(h.path).query)
        with self.lock:
            status, headers, body, delay = self._answer(path, query)
        if delay:
            time.sleep(delay)
        self.requests.append(("GET", h.path, status))
        try:
            h.send_response(status)
            for name, value in headers:
                if name != "X-No-Length":
                    h.send_header(name, value)
            if "X-No-Length" not in dict(headers):  # without it the body ends when the connection closes
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except OSError:  # the crawler gave up (timeout, size limit) and closed the connection
            pass

    def _answer(self, path: str, query: dict):
        """(status, headers, body bytes, seconds to wait before answering)."""
        html = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/robots.txt":
            return 200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /wp-admin/\n", 0
        if path == "/":
            return 200, html, self._home().encode(), 0
        if m := re.fullmatch(r"/calendar/(\d{4})/(\d{2})/", path):
            return 200, html, self._calendar(int(m.group(1)), int(m.group(2))).encode(), 0
        if path == "/events/":
            return 200, html, self._events(query.get("date", ["2024-05-20"])[0]).encode(), 0
        if m := re.fullmatch(r"/hop/(\d+)/", path):
            n = int(m.group(1))
            target = f"/hop/{n + 1}/" if n < CHAIN_HOPS else self.path_of(self.articles[0])
            return 301, [("Location", self.url + target)], b"", 0
        if m := re.fullmatch(rf"/{CASE_DATE}/([^/]+)/", path):
            if m.group(1) in CASES:
                return self._case(CASES[m.group(1)])
        if m := re.fullmatch(r"/(\d{4}/\d{2}/\d{2})/([^/]+)/(?:comment-page-(\d+)/)?", path):
            article = next((a for a in self.articles if self.path_of(a) == f"/{m.group(1)}/{m.group(2)}/"), None)
            page = int(m.group(3) or 1)
            if article is not None and page <= len(self.comment_pages(article)):
                if article["slug"] == FLAKY_SLUG and not self.flaky_answered:
                    self.flaky_answered = True
                    return 503, html + [("Retry-After", "1")], b"<h1>Service Unavailable</h1>", 0
                if article["slug"] == GARBAGE_THREAD_SLUG and page == 2:
                    return 200, html, GARBAGE, 0
                return 200, html, self._article(article, page).encode(), 0
        # Sections, about pages, the feed and their 404s as on the demo site.
        status, ctype, body, _ = self._route(path)
        return status, [("Content-Type", ctype)], body.encode() if isinstance(body, str) else body, 0

    # --- pages ---
    def _home(self) -> str:
        links = [(self.path_of(a), a["title"]) for a in self.newest()]
        # The loop's second URL is reached only through the loop.
        links += [(f"/{CASE_DATE}/{slug}/", slug.replace("-", " ").capitalize()) for slug, case in CASES.items()
                  if case != "redirect_loop_back"]
        links += [("/calendar/2024/05/", "Events calendar"), ("/events/?date=2024-05-20", "What's on today")]
        items = "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in links)
        return self._layout(self.site_name, f"<h1>Latest</h1><ul class='latest'>{items}</ul>")

    def _calendar(self, year: int, month: int) -> str:
        # Every month links the months either side, forever, as calendar widgets do.
        prev = (year - 1, 12) if month == 1 else (year, month - 1)
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        days = "".join(f"<td>{d}</td>" for d in range(1, 29))
        return self._layout(f"Events in {year}-{month:02d}",
                            f"<h1>Events calendar {year}-{month:02d}</h1><table><tr>{days}</tr></table>"
                            f'<p>No events this month.</p><a class="prev" href="/calendar/{prev[0]}/{prev[1]:02d}/">'
                            f'Previous month</a> <a class="next" href="/calendar/{nxt[0]}/{nxt[1]:02d}/">Next month</a>')

    def _events(self, day: str) -> str:
        try:
            d = date.fromisoformat(day)
        except ValueError:
            d = date(2024, 5, 20)
        return self._layout(f"What's on {d}", f"<h1>What's on {d}</h1><p>Nothing listed for this day.</p>"
                            f'<a href="/events/?date={d - timedelta(days=1)}">Previous day</a> '
                            f'<a href="/events/?date={d + timedelta(days=1)}">Next day</a>')

    def _case(self, case: str):
        html = [("Content-Type", "text/html; charset=utf-8")]
        if case == "broken_html":
            return 200, html, self._broken_article(), 0
        if case == "latin1_declared_utf8":
            # The server says UTF-8; the CMS wrote windows-1252 (a common misconfiguration).
            return 200, html, self._plain_article("latin1", "cafe-owners-naive-hopes", "", "cp1252"), 0
        if case == "latin1_no_charset":
            return 200, [("Content-Type", "text/html")], self._plain_article(
                "latin1_undeclared", "crepe-stall-wins-prize", "", "cp1252"), 0
        if case == "cp1251_meta_only":
            meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            return 200, [("Content-Type", "text/html")], self._plain_article(
                "cp1251", "council-approves-budget", meta, "cp1251", lang="ru"), 0
        if case in ("huge_declared", "huge_streamed"):
            filler = ("<p>" + "The clerk read the minutes aloud. " * 30 + "</p>\n").encode()
            body = b"<html><head><title>Transcript</title></head><body>" + filler * (BIG_BODY // len(filler) + 1)
            headers = html if case == "huge_declared" else html + [("X-No-Length", "1")]
            return 200, headers, body, 0
        if case == "redirect_loop":
            return 302, [("Location", self.url + self.case_path("redirect_loop_back"))], b"", 0
        if case == "redirect_loop_back":
            return 302, [("Location", self.url + self.case_path("redirect_loop"))], b"", 0
        if case == "redirect_chain":
            return 301, [("Location", self.url + "/hop/1/")], b"", 0
        if case == "http_500":
            return 500, html, b"<h1>Internal Server Error</h1>", 0
        if case == "slow":
            return 200, html, self._plain_article("broken", "election-live-blog", "", "utf-8"), SLOW_SECONDS
        if case == "pdf":
            return 200, [("Content-Type", "application/pdf")], (self.files / "annual-report.pdf").read_bytes(), 0
        if case == "jpeg":
            return 200, [("Content-Type", "image/jpeg")], (self.files / "front-page.jpg").read_bytes(), 0
        if case == "json":
            return 200, [("Content-Type", "application/json")], json.dumps(
                {"match": "Harbour Rovers v Penmarrow", "score": [2, 1], "minute": 78}).encode(), 0
        if case == "empty":
            return 200, html, b"", 0
        if case == "binary_as_html":
            return 200, html, GARBAGE, 0
        if case == "http_404":
            return 404, html, self._layout("Page not found", "<h1>Page not found</h1>").encode(), 0
        if case == "defined_terms":
            return 200, html, self._defined_terms_article(), 0
        raise ValueError(case)

    def _plain_article(self, text_key: str, slug: str, meta: str, encoding: str, lang: str = "en") -> bytes:
        text = self.texts[text_key]
        url = f"{self.url}/{CASE_DATE}/{slug}/"
        body = "".join(f"<p>{escape(p, quote=False)}</p>" for p in text["body"])
        page = (f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{escape(text["title"])}</title>'
                f'<link rel="canonical" href="{url}">'
                f'<meta property="article:published_time" content="2024-05-20T09:00:00+01:00"></head><body>'
                f'<article><h1 class="entry-title">{escape(text["title"])}</h1>'
                f'<div class="post-meta">By: Maud Pennick | 05-20-2024 | Local</div>'
                f'<div class="entry-content">{body}</div></article></body></html>')
        return page.encode(encoding)

    def _broken_article(self) -> bytes:
        text = self.texts["broken"]
        p1, p2 = (escape(p) for p in text["body"])
        # Unclosed <div>/<p>/<b>, a table inside a table cell's <p>, a stray </td>, and
        # bytes no encoding maps to text, as a botched CMS upgrade leaves pages.
        return (f'<html><head><meta charset="utf-8"><title>{escape(text["title"])}</title>'
                f'<meta property="article:published_time" content="2024-05-20T07:00:00+01:00">'
                f'<body><div class="wrap"><table><tr><td><div id="main"><h1 class="entry-title">{escape(text["title"])}'
                f'</h1><div class="post-meta">By: Jago Trist | 05-20-2024 | Local</div>'
                f'<div class="entry-content"><p>{p1}<b>'
                f'<table><tr><td><p>{p2}</td></tr></p></table></div></td></tr>'
                f'<div class="ad"><table><td><tr>Advert</td></div>').encode() + b"\x81\xfe\xff \xc3\x28 <p>\xa0" + b"</i></span>"

    def _defined_terms_article(self) -> bytes:
        url = f"{self.url}{self.case_path('defined_terms')}"
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "What the council's new topics mean",
              "datePublished": "2024-05-20T08:00:00+01:00", "author": {"@type": "Person", "name": "Tamsin Rowe"},
              "keywords": [{"@type": "DefinedTerm", "name": "Council", "inDefinedTermSet": f"{self.url}/topics/"},
                           {"@type": "DefinedTerm", "name": "Budget", "inDefinedTermSet": f"{self.url}/topics/"}]}
        body = ("<p>The council has grouped its reports under new topics so that residents can follow one subject "
                "across committees, from the budget to the harbour and the schools.</p><p>Each topic page lists "
                "the reports, the meetings where they were discussed and the decisions that followed them.</p>")
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{ld["headline"]}</title>'
                f'<link rel="canonical" href="{url}"><script type="application/ld+json">{json.dumps(ld)}</script>'
                f'</head><body><article><h1>{ld["headline"]}</h1><div class="entry-content">{body}</div></article>'
                f'</body></html>').encode()

    # Comments marked "html" in content.json are inserted as their author typed them: a site
    # that does not sanitise comments serves live <script> and <style> inside the thread.
    def _comment_li(self, c, a, by_parent, depth):
        li = super()._comment_li(c, a, by_parent, depth)
        if c.get("html"):
            escaped = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in c["text"].split("\n\n"))
            li = li.replace(f'<div class="comment-content">{escaped}</div>',
                            f'<div class="comment-content">{c["text"]}</div>', 1)
        return li
