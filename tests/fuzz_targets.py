"""What the fuzz test (tests/test_fuzz.py, Hypothesis) and the fuzz bench (bench/fuzz.py) feed
to the code that reads untrusted input, and what each may answer.

Every target takes one input and returns normally, or raises one of the project's own
documented errors (``ALLOWED``): NotAnArticle / NotHTML for a page that is no article,
InvalidURL for a URL no request can reach. Anything else is a bug, and so is an input that
takes more than ``MAX_SECONDS``.

Inputs are random bytes and text, and real pages (fixtures/pages, the benchmark's and the dev
set's HTML under ../shared/data) mutated the way the web mangles pages: cut off, a span
deleted or repeated, random bytes or hostile snippets (deep nesting, JSON-LD thousands deep,
NUL bytes, huge attributes, broken URLs, odd dates) spliced in.
"""
from __future__ import annotations

import gzip
import random
import time
from functools import lru_cache
from pathlib import Path

from crawler.extract import NotAnArticle, extract_page
from crawler.extract.comments import extract_comments, parse_comment_response
from crawler.extract.dates import parse_date
from crawler.extract.page import Page
from crawler.urls import InvalidURL, canonical_for_page, canonical_url

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
MAX_SECONDS = 2.0
ALLOWED = (NotAnArticle, InvalidURL)
URL = "https://news.example.com/2024/05/20/harbour-wall/"

SNIPPETS = [
    b"<div>" * 3000, b"</div>" * 3000, b"<b><i><u>" * 1000,
    b'<script type="application/ld+json">' + b"[" * 5000 + b"]" * 5000 + b"</script>",
    b'<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-05-20T10:00:00+99:00",'
    b'"author":{"name":' + b'{"name":' * 200 + b'"x"' + b"}" * 200 + b"}}</script>",
    b"\x00" * 64, b"\xff\xfe\x00<\x00h\x001", b"\xef\xbb\xbf", b"\x81\xfe\xff \xc3\x28",
    b'<a href="http://example.com:99999/a/comment-page-2/">2</a><a href="http://[::1/x">x</a>',
    b'<a href="' + b"x" * 200_000 + b'">long</a>',
    b'<time datetime="' + b"2024-05-20 " * 2000 + b'">' + b"9" * 40 + b" days ago</time>",
    b'<meta property="article:published_time" content="99999-99-99T99:99:99+99:99">',
    b'<ol class="commentlist"><li class="comment" id="comment-1"><div class="comment-content">'
    b"<p>hi</p></div><ol class=\"children\"><li class=\"comment\" id=\"comment-1\">loop</li></ol></li></ol>",
    b'<div id="disqus_thread"></div><script>var disqus_shortname="x";</script>',
    b"<!DOCTYPE html [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>&x;",
    b"<p>" + b"<a href='/t/1'>t</a>" * 2000 + b"</p>",
]
ODD_URLS = ["http://example.com:99999/", "http://example.com:abc/", "http://[::1/x", "//", "", " ", "ftp://x",
            "http://%zz/", "http://example.com/\x00", "javascript:alert(1)", "http://[::1]:80/a?utm_source=x",
            "https://www.EXAMPLE.com/a/amp/?fbclid=1#f", "http://a.cdn.ampproject.org/c/s/", "http://" + "a." * 200,
            "http://example.com/" + "%" * 50, "mailto:a@b", "http://example.com:0/", "http://user:pw@h:1/x"]
ODD_DATES = ["2024-05-20T10:00:00+99:00", "9" * 40 + " days ago", "31/02/2024", "0000-00-00", "vor 2 Stunden",
             "hace 3 horas", "20 mai 2024 à 10h30", "yesterday", "99999999999999999999", "2024-05-20T25:61:61Z",
             "Mon, 32 Foo 2024", "١٢/٠٥/٢٠٢٤", "x" * 199, "3 " * 99]


@lru_cache(maxsize=1)
def real_pages() -> tuple[bytes, ...]:
    """Saved real pages: the repository's fixtures, and the benchmark's and the dev set's HTML."""
    paths = sorted((REPO / "fixtures" / "pages").glob("*.html*"))
    for sub in ("article-extraction-benchmark/html", "news-extraction-dev/html"):
        paths += sorted((SHARED / sub).glob("*"))[:150]
    pages = []
    for path in paths:
        if path.is_file():
            data = path.read_bytes()
            pages.append(gzip.decompress(data) if path.suffix == ".gz" else data)
    return tuple(p for p in pages if p)


def mutate(page: bytes, rng: random.Random) -> bytes:
    """One to three of the ways the web mangles a page."""
    for _ in range(rng.randint(1, 3)):
        n = len(page)
        at = rng.randrange(n + 1)
        kind = rng.randrange(6)
        if kind == 0:
            page = page[:at]  # cut off
        elif kind == 1:
            page = page[:at] + page[at + rng.randint(1, 5000):]  # a span deleted
        elif kind == 2:
            span = page[at:at + rng.randint(1, 2000)]
            page = page[:at] + span * rng.randint(2, 20) + page[at:]  # a span repeated
        elif kind == 3:
            page = page[:at] + rng.randbytes(rng.randint(1, 200)) + page[at:]
        else:
            page = page[:at] + rng.choice(SNIPPETS) + page[at:]
    return page


# --- targets: one input each; return normally or raise one of ALLOWED -------------------------

def target_extract_page(body: bytes) -> None:
    extract_page(body, URL)


def target_comments(body: bytes) -> None:
    try:
        page = Page.parse(body, URL)
    except NotAnArticle:
        return
    thread = extract_comments(page)
    for request in thread.requests:
        assert request.url.startswith(("http://", "https://")), request.url


def target_comment_responses(body: bytes) -> None:
    for kind in ("page", "wordpress-feed", "disqus-embed", "disqus-api"):
        try:
            parse_comment_response(kind, body, URL)
        except NotAnArticle:
            pass


def target_url(url: str) -> None:
    try:
        out = canonical_url(url)
        assert canonical_url(out) == out, (url, out)  # canonical form is a fixed point
    except InvalidURL:
        pass
    canonical_for_page(URL, url)  # a page's declared canonical: never raises


def target_date(text: str) -> None:
    value = parse_date(text)
    assert value is None or value.tzinfo is not None


def target_charset(body: bytes) -> None:
    from scrapy.http import HtmlResponse

    from crawler.charset import page_encoding

    for content_type in (b"text/html", b"text/html; charset=utf-8", b"text/html; charset=x-nonsense"):
        encoding = page_encoding(HtmlResponse(URL, body=body, headers={b"Content-Type": content_type}))
        if encoding:
            body.decode(encoding, errors="replace")


class _SpiderHarness:
    """The news spider's sitemap and feed callbacks, on a real spider with its own stats."""

    def __init__(self):
        from scrapy.utils.test import get_crawler

        from crawler.runner import newsdesk_settings
        from crawler.spiders.news import NewsSpider

        self.crawler = get_crawler(NewsSpider, newsdesk_settings(NEWSDESK_STORE=False))
        self.spider = NewsSpider(url="https://news.example.com/")
        self.spider._set_crawler(self.crawler)
        self.crawler.spider = self.spider

    def errors(self) -> int:
        return self.crawler.stats.get_value("newsdesk/errors/extraction", 0)


_HARNESS: _SpiderHarness | None = None


def _harness() -> _SpiderHarness:
    global _HARNESS
    if _HARNESS is None:
        _HARNESS = _SpiderHarness()
    return _HARNESS


def _feed_spider(callback_name: str, body: bytes, url: str) -> None:
    from scrapy.http import Request, XmlResponse

    harness = _harness()
    before = harness.errors()
    response = XmlResponse(url, body=body, request=Request(url, meta={"kind": "sitemap"}))
    list(getattr(harness.spider, callback_name)(response))
    # The spider counts what raised inside it as newsdesk/errors/extraction: none may.
    assert harness.errors() == before, f"{callback_name} raised on this input"


def target_sitemap(body: bytes) -> None:
    _feed_spider("parse_sitemap", body, "https://news.example.com/sitemap.xml")


def target_feed(body: bytes) -> None:
    _feed_spider("parse_feed", body, "https://news.example.com/feed/")


SITEMAP = (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           + b"".join(b"<url><loc>https://news.example.com/2024/05/%02d/story-%d/</loc><lastmod>2024-05-%02d"
                      b"</lastmod></url>" % (d, d, d) for d in range(1, 29)) + b"</urlset>")
FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        + b"".join(b"<item><title>Story %d</title><link>https://news.example.com/2024/05/20/s-%d/</link>"
                   b"</item>" % (i, i) for i in range(30)) + b"</channel></rss>")


def timed(target, value) -> float:
    """Run one target on one input; the CPU seconds it took (not wall time: the figure must
    not depend on how busy the machine is). Raises what the target raised."""
    started = time.process_time()
    try:
        target(value)
    except ALLOWED:
        pass
    return time.process_time() - started


def warm_up() -> None:
    """One-off costs that are no input's: dateparser loads each language's data (compiled
    regexes, lzma-packed tables) the first time a page in that language asks (~4 s for all)."""
    from crawler.extract.dates import _dateparser_languages

    for language in sorted(_dateparser_languages()):
        parse_date("20 mai 2024 à 10h30", language=language)
    # ... and builds its parsers once per settings combination (day or month first, a base date).
    from datetime import datetime, timezone

    for text in ("vor 2 Stunden", "2024-05-20T25:61:61Z", "13 Foo 2024 25:00", "Mon, 32 Foo 2024"):
        for order in (None, "DMY", "MDY"):
            parse_date(text, date_order=order)
            parse_date(text, date_order=order, fetched_at=datetime(2024, 5, 20, tzinfo=timezone.utc))
