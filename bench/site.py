"""A large, self-consistent news site built from real pages, served by nginx on 127.0.0.1.

    python bench/site.py build --pages 5000                 # -> bench/out/site-5000/
    python bench/site.py serve --pages 5000 --port 8765     # build if missing, serve until Ctrl-C

Article pages are real pages: the 181 pages of the article-extraction benchmark and the
2,487 of the dev set (../shared/data), used in turn. Each copy gets a URL of this site
(``/news/YYYY/MM/DD/story-N/``), its own canonical link, a title and a first paragraph of its
own (so every page is a distinct article, not an exact copy of another), and every link of
the original page rewritten to another page of this site (articles, section listings, the
home page), so link discovery works on real link density. Every fifth article carries a
WordPress-style comment thread of three comment pages. Section listings paginate with
rel=next; a sitemap index, sitemaps of at most 1,000 URLs and an RSS feed list the articles;
robots.txt names the sitemap index.

nginx (Debian's package; installed with apt-get when missing) serves the files with ETag and
Last-Modified, so the server is never the bottleneck and conditional requests work. The
server runs as a child of this process on a prefix of its own, and is stopped on exit.
Not part of the test suite (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import zlib
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "bench" / "out"
SECTIONS = ["world", "politics", "business", "tech", "science", "health", "sport", "culture",
            "opinion", "travel", "media", "education", "climate", "cities", "law", "money",
            "food", "books", "music", "film"]
PER_LISTING = 20
COMMENT_PAGES, COMMENTS_PER_PAGE = 3, 8

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_DROP = re.compile(r"""<base\b[^>]*>|<link\b[^>]*\brel\s*=\s*["']?(?:canonical|amphtml|alternate)\b[^>]*>|"""
                   r"""<meta\b[^>]*\bproperty\s*=\s*["']og:url["'][^>]*>""", re.I)
_TITLE = re.compile(r"(<title[^>]*>)(.*?)(</title>)", re.I | re.S)
_PARA = re.compile(r"<p\b[^>]*>(?:(?!</p>).){200,}?</p>", re.I | re.S)
_HEAD_END = re.compile(r"</head\s*>", re.I)
_BODY_END = re.compile(r"</body\s*>", re.I)


def source_pages() -> list[bytes]:
    """Every real page on disk, in a fixed order: the benchmark's, then the dev set's."""
    pages = [p.read_bytes() for p in sorted((DATA / "article-extraction-benchmark" / "html").glob("*.html.gz"))]
    dev = DATA / "news-extraction-dev"
    for line in (dev / "cases.jsonl").open(encoding="utf-8"):
        pages.append((dev / json.loads(line)["html"]).read_bytes())
    return [gzip.decompress(p) for p in pages]


def article_path(n: int) -> str:
    day = datetime(2026, 11, 30, tzinfo=timezone.utc) - timedelta(hours=3 * n)
    return f"/news/{day:%Y/%m/%d}/story-{n}/"


def published(n: int) -> datetime:
    return datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc) - timedelta(hours=3 * n)


def listing_path(section: int, page: int) -> str:
    return f"/section/{SECTIONS[section]}/" + (f"page/{page}/" if page > 1 else "")


class SiteBuilder:
    def __init__(self, pages: int, out: Path):
        self.n, self.out = pages, out

    def internal_link(self, href: str) -> str:
        """The page of this site an original link now points to (a stable choice per href)."""
        h = zlib.crc32(href.encode("utf-8", "surrogateescape"))
        if h % 10 < 7:
            return article_path(h % self.n)
        if h % 10 < 9:
            return listing_path(h % len(SECTIONS), 1)
        return "/"

    def comments(self, n: int, page: int, path: str) -> str:
        rnd = random.Random(n * 100 + page)
        items = []
        for k in range(COMMENTS_PER_PAGE):
            cid = n * 1000 + page * 100 + k
            posted = published(n) + timedelta(minutes=30 * (page * COMMENTS_PER_PAGE + k))
            text = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(8, 40)))
            reply = ""
            if k % 3 == 0:  # a reply under every third comment
                rid, rposted = cid + 50, posted + timedelta(minutes=5)
                reply = (f'<ol class="children"><li class="comment depth-2" id="comment-{rid}"><article '
                         f'id="div-comment-{rid}" class="comment-body"><footer class="comment-meta"><div '
                         f'class="comment-author vcard"><b class="fn">Reader {rid % 97}</b></div><div '
                         f'class="comment-metadata"><time datetime="{rposted.isoformat()}">{rposted:%B %d, %Y}'
                         f'</time></div></footer><div class="comment-content"><p>Replying: {escape(text[:60])}</p>'
                         f'</div></article></li></ol>')
            items.append(f'<li class="comment depth-1" id="comment-{cid}"><article id="div-comment-{cid}" '
                         f'class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b '
                         f'class="fn">Reader {cid % 89}</b></div><div class="comment-metadata"><time '
                         f'datetime="{posted.isoformat()}">{posted:%B %d, %Y}</time></div></footer><div '
                         f'class="comment-content"><p>{escape(text)}</p></div></article>{reply}</li>')
        nav = []
        if page > 1:
            prev = path if page == 2 else f"{path}comment-page-{page - 1}/"
            nav.append(f'<div class="nav-previous"><a href="{prev}#comments">Older Comments</a></div>')
        if page < COMMENT_PAGES:
            nav.append(f'<div class="nav-next"><a href="{path}comment-page-{page + 1}/#comments">Newer Comments</a></div>')
        return (f'<div id="comments" class="comments-area"><h3 class="comments-title">'
                f'{COMMENT_PAGES * COMMENTS_PER_PAGE * 4 // 3} comments</h3><ol class="commentlist">{"".join(items)}'
                f'</ol><nav class="navigation comment-navigation"><div class="nav-links">{"".join(nav)}</div></nav></div>')

    def article(self, n: int, original: bytes) -> dict[str, bytes]:
        html = original.decode("utf-8", "surrogateescape")
        path = article_path(n)
        html = _DROP.sub("", html)
        html = _HREF.sub(lambda m: m.group(1) + m.group(2) + self.internal_link(m.group(3)) + m.group(2), html)
        html = _TITLE.sub(lambda m: f"{m.group(1)}{m.group(2).strip()} (story {n}){m.group(3)}", html, count=1)
        rnd = random.Random(n)
        lead = f"<p>Desk report {n}: {' '.join(rnd.choice(_WORDS) for _ in range(12))}.</p>"
        html, found = _PARA.subn(lambda m: lead + m.group(0), html, count=1)
        head = f'<link rel="canonical" href="{path}">'
        html = _HEAD_END.sub(lambda m: head + m.group(0), html, count=1) if _HEAD_END.search(html) else head + html
        files = {}
        for page in range(1, (COMMENT_PAGES if n % 5 == 0 else 1) + 1):
            page_html = html
            if n % 5 == 0:
                thread = self.comments(n, page, path)
                page_html = (_BODY_END.sub(lambda m, thread=thread: thread + m.group(0), html, count=1)
                             if _BODY_END.search(html) else html + thread)
            files[path if page == 1 else f"{path}comment-page-{page}/"] = page_html.encode("utf-8", "surrogateescape")
        return files

    def listing(self, section: int, page: int, members: list[int]) -> bytes:
        pages = max(1, -(-len(members) // PER_LISTING))
        chunk = members[(page - 1) * PER_LISTING:page * PER_LISTING]
        teasers = "".join(f'<article class="teaser"><h2><a href="{article_path(m)}">Story {m} from the '
                          f'{SECTIONS[section]} desk</a></h2><time datetime="{published(m).isoformat()}">'
                          f'{published(m):%B %d, %Y}</time></article>' for m in chunk)
        rel = []
        if page > 1:
            rel.append(f'<a rel="prev" href="{listing_path(section, page - 1)}">Newer</a>')
        if page < pages:
            rel.append(f'<a rel="next" href="{listing_path(section, page + 1)}">Older</a>')
        nav = " ".join(f'<a href="{listing_path(i, 1)}">{s}</a>' for i, s in enumerate(SECTIONS))
        return (f"<!doctype html><html><head><title>{SECTIONS[section].title()} - page {page}</title></head>"
                f'<body class="archive category"><nav>{nav}</nav><h1>{SECTIONS[section].title()}</h1>{teasers}'
                f'<nav class="pagination">{" ".join(rel)}</nav></body></html>').encode()

    def build(self) -> None:
        sources = source_pages()
        if self.out.exists():
            shutil.rmtree(self.out)
        written = 0
        for n in range(self.n):
            for path, body in self.article(n, sources[n % len(sources)]).items():
                self.write(path, body)
                written += 1
        for s in range(len(SECTIONS)):
            members = list(range(s, self.n, len(SECTIONS)))
            for page in range(1, max(1, -(-len(members) // PER_LISTING)) + 1):
                self.write(listing_path(s, page), self.listing(s, page, members))
        latest = "".join(f'<li><a href="{article_path(m)}">Story {m}</a></li>' for m in range(min(30, self.n)))
        sections = "".join(f'<li><a href="{listing_path(i, 1)}">{s}</a></li>' for i, s in enumerate(SECTIONS))
        self.write("/", (f"<!doctype html><html><head><title>The Bench Times</title></head><body class='home'>"
                         f"<ul>{sections}</ul><ul>{latest}</ul></body></html>").encode())
        maps = []
        for k in range(0, self.n, 1000):
            urls = "".join(f"<url><loc>{{BASE}}{article_path(m)}</loc><lastmod>{published(m).isoformat()}</lastmod></url>"
                           for m in range(k, min(k + 1000, self.n)))
            name = f"/sitemaps/{k // 1000}.xml"
            maps.append(name)
            self.write(name, ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                              f'schemas/sitemap/0.9">{urls}</urlset>').encode())
        index = "".join(f"<sitemap><loc>{{BASE}}{m}</loc></sitemap>" for m in maps)
        self.write("/sitemap.xml", ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.'
                                    f'sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>').encode())
        items = "".join(f"<item><title>Story {m}</title><link>{{BASE}}{article_path(m)}</link><pubDate>"
                        f"{published(m):%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>" for m in range(min(50, self.n)))
        self.write("/feed.xml", ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>The Bench '
                                 f'Times</title><link>{{BASE}}/</link>{items}</channel></rss>').encode())
        self.write("/robots.txt", b"User-agent: *\nAllow: /\nSitemap: {BASE}/sitemap.xml\n")
        (self.out / "MANIFEST.json").write_text(json.dumps({"articles": self.n, "article_pages": written}))

    def write(self, path: str, body: bytes) -> None:
        target = self.out / "root" / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


_WORDS = ("the reader says this story misses what the council decided about budget schools roads "
          "water police housing taxes market prices election court ruling minister report data climate "
          "energy health hospital vaccine team match season league coach players fans city river").split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BenchSite:
    """The generated site of PAGES articles, served by nginx while the block runs."""

    def __init__(self, pages: int = 5000, port: int = 0, out: Path | None = None):
        self.pages, self.port = pages, port or free_port()
        self.dir = out or OUT / f"site-{pages}"
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def manifest(self) -> dict:
        return json.loads((self.dir / "MANIFEST.json").read_text())

    def ensure_built(self) -> None:
        if not (self.dir / "MANIFEST.json").exists() or self.manifest["articles"] != self.pages:
            started = time.monotonic()
            SiteBuilder(self.pages, self.dir).build()
            print(f"built {self.pages} articles into {self.dir} in {time.monotonic() - started:.0f} s", file=sys.stderr)

    def __enter__(self) -> "BenchSite":
        self.ensure_built()
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            subprocess.run(["apt-get", "install", "-y", "-q", "nginx-light"], check=True, capture_output=True)
        run = self.dir / "run"
        run.mkdir(exist_ok=True)
        # {BASE} in sitemaps, feeds and robots.txt becomes this server's address (sub_filter), so one
        # build serves on any port.
        conf = f"""
daemon off; worker_processes 1; pid {run}/nginx.pid; error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types; access_log off; sendfile on; keepalive_timeout 30;
  client_body_temp_path {run}/body; proxy_temp_path {run}/proxy; fastcgi_temp_path {run}/fcgi;
  uwsgi_temp_path {run}/uwsgi; scgi_temp_path {run}/scgi;
  server {{
    listen 127.0.0.1:{self.port}; root {self.dir / "root"}; index index.html;
    location ~ \\.(xml|txt)$ {{ sub_filter_types *; sub_filter '{{BASE}}' '{self.url}'; sub_filter_once off; }}
    location / {{ try_files $uri $uri/ =404; }}
  }}
}}"""
        (run / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen([nginx, "-c", str(run / "nginx.conf"), "-p", str(run)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(run / 'error.log').read_text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("nginx did not start listening within 30 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["build", "serve"])
    parser.add_argument("--pages", type=int, default=5000, help="articles (default 5000)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be at least 1")
    site = BenchSite(args.pages, args.port)
    if args.action == "build":
        SiteBuilder(args.pages, site.dir).build()
        print(f"{site.dir}: {site.manifest}")
        return 0
    with site:
        print(f"serving {site.pages} articles at {site.url}/ (sitemap {site.url}/sitemap.xml); Ctrl-C stops")
        try:
            site.proc.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
