"""Deduplication through real crawls: two small sites from fixtures/sites/wire/ served on
127.0.0.1 (a wire agency whose home page links one story under many URL variants, and a
paper that runs the agency's story with a new headline and a local paragraph), crawled
with `newsdesk crawl` in a child process. A user checks: one row per story, the copy
linked to its original, an edited article stored as two versions."""
from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from helpers import REPO, run_newsdesk

pytestmark = pytest.mark.e2e  # every test here runs the real commands in child processes

FIXTURE = REPO / "fixtures" / "sites" / "wire"
SITES_FILE = FIXTURE / "sites.toml"
BRIDGE = "/2024/05/01/storm-closes-river-bridge/"
BUDGET = "/2024/05/02/council-approves-budget/"
MUSEUM = "/2024/05/03/museum-reopens-after-restoration/"
PAPER_BRIDGE = "/news/2024/05/01/bridge-shut-after-storm/"
PAPER_SCHOOL = "/news/2024/05/02/local-school-wins-science-award/"

try:
    from crawler.extract import parse_article  # noqa: F401
except ImportError:  # pragma: no cover - until the extractor is merged
    pytest.skip("crawler.extract is not there yet", allow_module_level=True)


class FixtureSite:
    """A directory of pages served on 127.0.0.1, like the site would serve them: AMP and
    print variants and the path without its trailing slash give the same page, the old
    CMS URL too; ``{BASE}`` in a page becomes the server's URL. Every request is logged."""

    ALIASES = {"/story.php": BRIDGE}

    def __init__(self, name: str, tmp_path: Path):
        self.root = tmp_path / name
        shutil.copytree(FIXTURE / name, self.root)
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                site.requests.append(self.path)
                body, kind = site.page(self.path)
                if body is None:
                    self.send_error(404)
                    return
                data = body.replace("{BASE}", site.url).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, raw_path: str) -> tuple[str | None, str]:
        path = urlsplit(raw_path).path
        if path == "/robots.txt":
            return (self.root / "robots.txt").read_text(), "text/plain"
        path = self.ALIASES.get(path, path)
        for suffix in ("amp/", "print/"):
            if path.endswith("/" + suffix):
                path = path[: -len(suffix)]
        file = (self.root / path.strip("/") / "index.html").resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return None, ""
        return file.read_text(encoding="utf-8"), "text/html; charset=utf-8"

    def fetches(self, path: str) -> list[str]:
        """Requests for any URL variant of the page at ``path``."""
        return [r for r in self.requests if urlsplit(r).path.rstrip("/").removesuffix("/amp").removesuffix(
            "/print").rstrip("/") == path.rstrip("/")]

    def edit(self, path: str, replacement: str) -> None:
        target = self.root / path.strip("/") / "index.html"
        target.write_text((target.parent / replacement).read_text(encoding="utf-8"), encoding="utf-8")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def agency(tmp_path):
    site = FixtureSite("agency", tmp_path)
    yield site
    site.close()


@pytest.fixture
def paper(tmp_path):
    site = FixtureSite("paper", tmp_path)
    yield site
    site.close()


def crawl(name: str, site: FixtureSite, db: Path, env_name: str):
    result = run_newsdesk("crawl", name, "--sites", str(SITES_FILE), "--db", str(db),
                          env={env_name: site.url}, timeout=300)
    assert result.returncode == 0, f"crawl failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


def session_for(db: Path):
    from models.db import resolve_url, session_factory

    return session_factory(resolve_url(str(db)))()


def articles(db: Path) -> dict[str, object]:
    from models.tables import Article

    with session_for(db) as session:
        return {a.canonical_url: a for a in session.scalars(select(Article))}


def test_url_variants_are_fetched_once_and_stored_as_one_row(agency, tmp_path):
    db = tmp_path / "news.db"
    crawl("agency", agency, db, "NEWSDESK_AGENCY_URL")
    # Tracking parameters, fragment, AMP, print, no trailing slash: one request between them.
    # (The old CMS URL cannot be known to be the same page until it is fetched.)
    bridge = [r for r in agency.fetches(BRIDGE)]
    assert len(bridge) == 1, agency.requests
    assert len(agency.fetches(BUDGET)) == 1, agency.requests
    stored = articles(db)
    assert sorted(stored) == sorted(agency.url + p for p in (BRIDGE, BUDGET, MUSEUM))
    from models.tables import ArticleUrl

    with session_for(db) as session:
        urls = session.scalars(select(ArticleUrl.url)).all()
    assert not any("utm_" in u or "fbclid" in u or "/amp" in u or "#" in u for u in urls)


def test_syndicated_copy_is_one_story_linked_to_the_original(agency, paper, tmp_path):
    db = tmp_path / "news.db"
    crawl("agency", agency, db, "NEWSDESK_AGENCY_URL")
    crawl("paper", paper, db, "NEWSDESK_PAPER_URL")
    stored = articles(db)
    assert len(stored) == 5  # nothing dropped
    original = stored[agency.url + BRIDGE]
    copy = stored[paper.url + PAPER_BRIDGE]
    assert copy.duplicate_of_id == original.id
    assert copy.duplicate_similarity >= 0.5
    assert copy.title != original.title
    assert all(a.duplicate_of_id is None for url, a in stored.items() if url != paper.url + PAPER_BRIDGE)

    from models.tables import CrawlRun

    with session_for(db) as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert runs[-1].duplicates >= 1

    result = run_newsdesk("duplicates", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert agency.url + BRIDGE in result.stdout and paper.url + PAPER_BRIDGE in result.stdout
    assert "1 group, 1 copy" in result.stdout


def test_edited_article_is_stored_as_two_versions(agency, tmp_path):
    from models.tables import Article, ArticleVersion

    db = tmp_path / "news.db"
    crawl("agency", agency, db, "NEWSDESK_AGENCY_URL")
    crawl("agency", agency, db, "NEWSDESK_AGENCY_URL")  # nothing changed: no new version
    with session_for(db) as session:
        assert session.scalar(select(func.count(ArticleVersion.id))) == 3

    agency.edit(BUDGET, "edited.html")
    crawl("agency", agency, db, "NEWSDESK_AGENCY_URL")
    crawl("agency", agency, db, "NEWSDESK_AGENCY_URL")  # the edit seen again: still two versions
    with session_for(db) as session:
        budget = session.scalar(select(Article).where(Article.canonical_url == agency.url + BUDGET))
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == budget.id)
                                   .order_by(ArticleVersion.id)).all()
        others = session.scalar(select(func.count(ArticleVersion.id)).where(ArticleVersion.article_id != budget.id))
    assert len(versions) == 2 and others == 2
    assert "three abstentions" in budget.body_text and "Correction" in budget.body_text
    assert "two abstentions" in versions[0].body_text and "three abstentions" in versions[1].body_text
    assert versions[0].fetched_at < versions[1].fetched_at
    assert versions[1].modified_at is not None and versions[0].content_hash != versions[1].content_hash
