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
  objects (valid schema.org that a naive extractor does not expect);
- a 429 with Retry-After and a 502, each answered once before the article; a body dripped
  one byte a second; a connection closed mid-body; a Content-Length larger than the body;
  a truncated gzip body; a gzip bomb (a few KB that inflate to 50 MB); a 50 MB page;
- UTF-16 with a BOM and Shift_JIS, neither declared; 10,000 nested elements with JSON-LD
  nested 5,000 deep; NUL bytes in the text; dates no parser can read (an offset of +99:00,
  "99…9 days ago", a 100 KB ``<time datetime>``); a 500 KB link;
- a page of 100,000 links, a comment thread claiming 10,000 pages;
- a sitemap index that includes itself and a generated chain of indexes (``?n=N+1``), a
  ``.xml.gz`` sitemap that inflates past DOWNLOAD_MAXSIZE and one cut off; XML external
  entities in the feed and a sitemap; a robots.txt that disallows a section;
- links and redirects to ``ftp:``, ``file:``, ``data:``, link-local and broken URLs, and to
  another port of 127.0.0.1 (a listener that records whether anything reached it).

sites.toml's ``[sites.hostile]`` sets the low limits (size, time, trap) these cases need.
Good articles and their threads render as on the demo site (DemoSite._article).
"""
from __future__ import annotations

import gzip
import json
import re
import socket
import threading
import time
from datetime import date, timedelta
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from crawler.demosite.server import DemoSite

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"

BIG_BODY = 5 * 1024 * 1024  # over the 4 MiB DOWNLOAD_MAXSIZE sites.toml sets for this site (the 100,000-link page fits)
SLOW_SECONDS = 6.0  # over the 3 s DOWNLOAD_TIMEOUT sites.toml sets
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
    "fares-to-rise": "rate_limited",
    "ferry-timetable-changes": "bad_gateway_once",
    "council-meeting-stream": "drip",
    "harbour-dredging-plan": "cut_off",
    "lighthouse-open-day": "length_mismatch",
    "museum-extension-approved": "truncated_gzip",
    "school-results-table": "gzip_bomb",
    "full-planning-archive": "fifty_megabytes",
    "festival-record-crowds": "utf16_bom",
    "ferry-service-japanese": "shift_jis",
    "deeply-nested-story": "deep_nesting",
    "story-with-nul-bytes": "nul_bytes",
    "dates-nobody-can-read": "bad_dates",
    "story-with-huge-link": "huge_link",
    "all-the-links": "hundred_thousand_links",
    "long-running-debate": "endless_thread",
    "story-that-moved-to-a-file": "redirect_to_file",
    "story-that-moved-to-another-port": "redirect_to_other_port",
}
# Cases whose article is served whole in the end: stored like the good articles.
GOOD_CASES = ("rate_limited", "bad_gateway_once", "utf16_bom", "shift_jis", "deep_nesting", "nul_bytes",
              "bad_dates", "huge_link", "endless_thread")
FIFTY_MB = 50 * 1024 * 1024
THREAD_CLAIMS = 10_000  # comment pages the endless thread links to
LINKS = 100_000
DRIP_BYTES = 30
SITEMAP_CHAIN = 1_000_000  # the generated sitemap index chain never ends by itself
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
        self.answered_once: set[str] = set()
        self.times: dict[str, list[float]] = {}  # path -> monotonic times it was requested
        # Another port of this host: nothing should ever connect to it.
        self.other_port = socket.socket()
        self.other_port.bind(("127.0.0.1", 0))
        self.other_port.listen(8)
        self.other_port.settimeout(0.2)
        self.other_port_hits = 0
        self._gzip_bomb = gzip.compress(b"<p>" + b"0" * FIFTY_MB, compresslevel=9)

    def start(self) -> str:
        url = super().start()
        self.server.handle_error = lambda request, address: None  # the crawler hung up: that is the point
        threading.Thread(target=self._watch_other_port, daemon=True).start()
        return url

    def stop(self):
        super().stop()
        self.other_port.close()

    def _watch_other_port(self):
        while True:
            try:
                conn, _ = self.other_port.accept()
            except socket.timeout:
                continue
            except OSError:  # closed
                return
            self.other_port_hits += 1
            conn.close()

    @property
    def other_port_url(self) -> str:
        return f"http://127.0.0.1:{self.other_port.getsockname()[1]}"

    # --- what the tests look at ---
    def case_path(self, case: str) -> str:
        slug = next(s for s, c in CASES.items() if c == case)
        return f"/{CASE_DATE}/{slug}/"

    def good_articles(self) -> list[dict]:
        return list(self.articles)

    def good_case_paths(self) -> list[str]:
        return [self.case_path(c) for c in GOOD_CASES]

    def requested(self, path_prefix: str) -> int:
        return sum(1 for _, p, _ in self.requests if p.startswith(path_prefix))

    # --- HTTP ---
    def _handle(self, h):
        path, query = urlsplit(h.path).path, parse_qs(urlsplit(h.path).query)
        self.times.setdefault(h.path, []).append(time.monotonic())
        with self.lock:
            status, headers, body, delay = self._answer(path, query)
        if delay:
            time.sleep(delay)
        self.requests.append(("GET", h.path, status))
        named = dict(headers)
        try:
            h.send_response(status)
            for name, value in headers:
                if not name.startswith("X-"):
                    h.send_header(name, value)
            if callable(body):  # a body written as it goes (dripped, streamed, cut off)
                if "X-Length" in named:
                    h.send_header("Content-Length", named["X-Length"])
                h.end_headers()
                body(h.wfile)
                return
            if "X-No-Length" not in named:  # without it the body ends when the connection closes
                h.send_header("Content-Length", named.get("X-Length", str(len(body))))
            h.end_headers()
            h.wfile.write(body)
        except OSError:  # the crawler gave up (timeout, size limit) and closed the connection
            pass

    def _answer(self, path: str, query: dict):
        """(status, headers, body bytes, seconds to wait before answering)."""
        html = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/robots.txt":
            return 200, [("Content-Type", "text/plain")], (f"User-agent: *\nDisallow: /wp-admin/\nDisallow: /members/\n\n"
                                                           f"Sitemap: {self.url}/sitemap.xml\n").encode(), 0
        if path == "/":
            return 200, html, self._home().encode(), 0
        if path.startswith("/members/"):  # disallowed by robots.txt: never fetched
            return 200, html, self._plain_article("broken", "members-only", "", "utf-8"), 0
        if path == "/xxe-probe":  # what an external entity would fetch if it were resolved
            return 200, [("Content-Type", "text/plain")], b"secret", 0
        if path.startswith("/sitemap"):
            return self._sitemap(path, query)
        if path == "/feed/":
            status, ctype, body, _ = self._route(path)
            # An external entity in the feed's DOCTYPE: a parser that resolves it fetches /xxe-probe.
            doctype = (f'<!DOCTYPE rss [<!ENTITY probe SYSTEM "{self.url}/xxe-probe">'
                       f'<!ENTITY passwd SYSTEM "file:///etc/passwd">]>')
            body = body.replace("<rss ", doctype + "<rss ", 1).replace(
                "<channel><title>", "<channel><title>&probe;&passwd;", 1)
            return status, [("Content-Type", ctype)], body.encode(), 0
        if m := re.fullmatch(rf"/{CASE_DATE}/long-running-debate/comment-page-(\d+)/", path):
            n = int(m.group(1))
            if 1 <= n <= THREAD_CLAIMS:
                return 200, html, self._endless_thread(n), 0
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
        links += [(f"/members/{CASE_DATE}/members-only/", "Members only")]
        # Where no crawl may go: other schemes, link-local and broken hosts, another local port.
        links += [("ftp://127.0.0.1/pub/archive.zip", "FTP archive"), ("file:///etc/passwd", "Local file"),
                  ("data:text/html,<h1>hi</h1>", "Data URL"),
                  ("http://169.254.169.254/latest/meta-data/", "Metadata"),
                  (f"{self.other_port_url}{self.path_of(self.articles[0])}", "Same host, other port"),
                  ("http://127.0.0.1:99999/2024/05/20/bad-port/", "Bad port"),
                  ("http://127.0.0.1:abc/2024/05/20/bad-port/", "Port not a number"),
                  ("http://[::1/2024/05/20/broken-ipv6/", "Broken IPv6")]
        items = "".join(f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for href, text in links)
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
        slug = self._slug(case)
        if case in ("rate_limited", "bad_gateway_once"):
            if case not in self.answered_once:
                self.answered_once.add(case)
                if case == "rate_limited":
                    return 429, html + [("Retry-After", "2")], b"<h1>Too Many Requests</h1>", 0
                return 502, html, b"<h1>Bad Gateway</h1>", 0
            return 200, html, self._plain_article("broken", slug, "", "utf-8", title=slug), 0
        if case == "drip":
            def drip(out):  # one byte a second, far slower than DOWNLOAD_TIMEOUT allows
                for byte in self._plain_article("broken", slug, "", "utf-8")[:DRIP_BYTES]:
                    out.write(bytes([byte]))
                    out.flush()
                    time.sleep(1)
            return 200, html + [("X-Length", "4000")], drip, 0
        if case == "cut_off":
            page = self._plain_article("broken", slug, "", "utf-8")
            def cut(out):  # promises the whole page, sends a third and closes
                out.write(page[:len(page) // 3])
            return 200, html + [("X-Length", str(len(page)))], cut, 0
        if case == "length_mismatch":
            page = self._plain_article("broken", slug, "", "utf-8")
            return 200, html + [("X-Length", str(len(page) + 500))], page, 0
        if case == "truncated_gzip":
            packed = gzip.compress(self._plain_article("broken", slug, "", "utf-8"))
            return 200, html + [("Content-Encoding", "gzip")], packed[:len(packed) * 2 // 3], 0
        if case == "gzip_bomb":
            return 200, html + [("Content-Encoding", "gzip")], self._gzip_bomb, 0
        if case == "fifty_megabytes":
            def stream(out):
                chunk = b"<p>" + b"The archive goes on. " * 3000 + b"</p>\n"
                out.write(b"<html><head><title>Planning archive</title></head><body>")
                for _ in range(FIFTY_MB // len(chunk)):
                    out.write(chunk)
            return 200, html + [("X-Length", str(FIFTY_MB))], stream, 0
        if case == "utf16_bom":  # a BOM and no charset anywhere: UTF-16 must still read right
            return 200, [("Content-Type", "text/html")], self._plain_article("utf16", slug, "", "utf-16"), 0
        if case == "shift_jis":  # Japanese in Shift_JIS, no charset anywhere
            return 200, [("Content-Type", "text/html")], self._plain_article("sjis", slug, "", "shift_jis",
                                                                             lang="ja"), 0
        if case == "deep_nesting":
            return 200, html, self._deep_article(slug), 0
        if case == "nul_bytes":
            page = self._plain_article("broken", slug, "<!--" + "padding " * 400 + "-->", "utf-8", title=slug)
            return 200, html, page.replace(b"</p><p>", b"\x00</p><p>\x00"), 0
        if case == "bad_dates":
            meta = ('<meta property="article:modified_time" content="2024-05-20T10:00:00+99:00">'
                    f'<meta name="date" content="{"9" * 40} days ago">')
            page = self._plain_article("broken", slug, meta, "utf-8", title=slug)
            return 200, html, page.replace(b"<div class=\"entry-content\">", (
                f'<time datetime="{"2024-05-20 " * 10_000}">{"1 " * 50_000}</time>'
                '<div class="entry-content">').encode(), 1), 0
        if case == "huge_link":
            page = self._plain_article("broken", slug, "", "utf-8", title=slug)
            link = f'<a href="/2024/05/20/{"x" * 500_000}/">more</a>'.encode()
            return 200, html, page.replace(b"</article>", link + b"</article>", 1), 0
        if case == "hundred_thousand_links":
            return 200, html, self._many_links(), 0
        if case == "endless_thread":
            return 200, html, self._endless_thread(1), 0
        if case == "redirect_to_file":
            return 302, [("Location", "file:///etc/passwd")], b"", 0
        if case == "redirect_to_other_port":
            return 302, [("Location", self.other_port_url + self.path_of(self.articles[0]))], b"", 0
        raise ValueError(case)

    @staticmethod
    def _slug(case: str) -> str:
        return next(s for s, c in CASES.items() if c == case)

    def _many_links(self) -> bytes:
        # /tag/ is in the site's deny_patterns: a link followed past the limit would be dropped anyway.
        links = "".join(f'<a href="/tag/{n}/">{n}</a> ' for n in range(LINKS))
        return self._layout("Every topic", f"<h1>Every topic</h1><p>{links}</p>").encode()

    def _deep_article(self, slug: str) -> bytes:
        deep = "[" * 5000 + "]" * 5000  # JSON-LD nested 5,000 deep: json.loads raises RecursionError
        page = self._plain_article("broken", slug, f'<script type="application/ld+json">{deep}</script>', "utf-8",
                                   title=slug)
        nested = b"<div>" * 10_000 + b"<span>deep</span>" + b"</div>" * 10_000
        return page.replace(b"</article>", b"</article>" + nested, 1)

    def _endless_thread(self, n: int) -> bytes:
        """Comment page N of a thread whose navigation claims THREAD_CLAIMS pages."""
        slug = "long-running-debate"
        url = f"{self.url}/{CASE_DATE}/{slug}/"
        article = {"slug": slug, "title": "The long-running debate over the harbour wall", "section": "Local",
                   "authors": ["Jago Trist"], "published": "2024-05-20T09:00:00", "modified": None,
                   "machine_date": True, "tags": [], "body": self.texts["broken"]["body"] + [
                       "Readers have been arguing about the wall for years, and the thread below shows no sign "
                       "of ending, whatever the council decides at its next meeting."],
                   "comments": [{"id": 800_000 + n * 10 + k, "parent": None, "author": f"Reader {n}-{k}",
                                 "author_url": None, "posted": "2024-05-20T10:00:00",
                                 "text": f"Comment {k} on page {n}: the wall must stay."} for k in range(3)]}
        page = self._article(article, 1).replace(f"{self.url}/2024/05/20/{slug}/", url)
        near = sorted(k for k in {1, n - 1, n + 1, n + 2, THREAD_CLAIMS} if 1 <= k <= THREAD_CLAIMS and k != n)
        nav = "".join(f'<a class="page-numbers" href="{url}comment-page-{k}/#comments">{k}</a> ' for k in near)
        nav = f'<nav class="navigation comment-navigation"><div class="nav-links">{nav}</div></nav>'
        return page.replace('<div id="respond"', nav + '<div id="respond"', 1).encode()

    def _sitemap(self, path: str, query: dict):
        xml = [("Content-Type", "application/xml")]
        index = lambda locs: ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/'  # noqa: E731
                              'schemas/sitemap/0.9">' + "".join(f"<sitemap><loc>{self.url}{loc}</loc></sitemap>"
                                                                 for loc in locs) + "</sitemapindex>").encode()
        if path == "/sitemap.xml":  # includes itself, and the start of an endless chain
            return 200, xml, index(["/sitemap.xml", "/sitemap-chain.xml?n=1", "/sitemap-articles.xml",
                                    "/sitemap-bomb.xml.gz", "/sitemap-cut.xml.gz", "/sitemap-xxe.xml"]), 0
        if path == "/sitemap-chain.xml":
            n = int((query.get("n") or ["1"])[0])
            return 200, xml, index([f"/sitemap-chain.xml?n={n + 1}"] if n < SITEMAP_CHAIN else []), 0
        urls = "".join(f"<url><loc>{self.url}{self.path_of(a)}</loc></url>" for a in self.articles)
        urlset = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                  f"{urls}</urlset>").encode()
        if path == "/sitemap-articles.xml":
            return 200, xml, urlset, 0
        gz = [("Content-Type", "application/x-gzip")]
        if path == "/sitemap-bomb.xml.gz":  # a few KB that inflate past DOWNLOAD_MAXSIZE
            return 200, gz, self._gzip_bomb, 0
        if path == "/sitemap-cut.xml.gz":
            packed = gzip.compress(urlset * 20)
            return 200, gz, packed[:len(packed) // 2], 0
        if path == "/sitemap-xxe.xml":
            body = urlset.decode().replace("<urlset", f'<!DOCTYPE urlset [<!ENTITY probe SYSTEM "{self.url}/xxe-probe">]>'
                                                     "<urlset", 1).replace("</urlset>", "<url><loc>&probe;</loc></url>"
                                                                           "</urlset>")
            return 200, xml, body.encode(), 0
        return 404, [("Content-Type", "text/plain")], b"no such sitemap", 0

    def _plain_article(self, text_key: str, slug: str, meta: str, encoding: str, lang: str = "en",
                       title: str | None = None) -> bytes:
        text = dict(self.texts[text_key])
        if title:  # one text under several URLs must not be one article (exact-duplicate level)
            text["title"] = title.replace("-", " ").capitalize()
            text["body"] = [*text["body"], f"This copy of the story is filed as {title}."]
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
