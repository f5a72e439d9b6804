"""`newsdesk serve` in a real headless browser (Debian's chromium): Datasette on SQLite, the
built-in app on PostgreSQL. The pages load, a search returns the seed article, the charts
render, and screenshots are kept (pytest's tmp dir, and a copy in bench/out/ to look at).

Chromium comes from `tests/install-chromium.sh` (apt-get install chromium). Without it
these tests skip, except with CI=true, where the fixture installs it or fails.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import CI, REPO, run_newsdesk
from models.db import resolve_url, session_factory, upgrade
from storage_corpus import SEED_TITLE, seed_corpus

SHOTS = REPO / "bench" / "out"


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = _find_chromium()
    if path is None and CI:
        subprocess.run(["bash", str(REPO / "tests" / "install-chromium.sh")], capture_output=True, timeout=900)
        path = _find_chromium()
    if path is None:
        if CI:
            pytest.fail("chromium is not installed and tests/install-chromium.sh could not install it (CI=true)")
        pytest.skip("chromium not installed: run tests/install-chromium.sh (apt-get install chromium)")
    return path


class Browser:
    def __init__(self, executable: str, profile: Path):
        self.executable, self.profile = executable, profile

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={self.profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def dom(self, url: str) -> str:
        """The page's DOM after the browser loaded it."""
        result = self._run("--dump-dom", url)
        assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
        return result.stdout

    def screenshot(self, url: str, path: Path, size: str = "1200,1400") -> Path:
        result = self._run(f"--screenshot={path}", f"--window-size={size}", url)
        assert result.returncode == 0 and path.exists(), result.stderr[-2000:]
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)
        return path


@pytest.fixture
def browser(chromium, tmp_path) -> Browser:
    return Browser(chromium, tmp_path / "chromium-profile")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`newsdesk serve` in a child process, as a user starts it."""

    def __init__(self, db: str, *args: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", db,
                                      "--port", str(self.port), *args],
                                     cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 300  # a start-up a busy machine can make slow; only a hang reaches it
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"newsdesk serve exited {self.proc.returncode}:\n{self.proc.stdout.read()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        self.stop()
        raise AssertionError("newsdesk serve did not listen within 300 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _seeded(url: str) -> str:
    upgrade(url)
    with session_factory(url).begin() as session:
        seed_corpus(session)
    return url


@pytest.fixture
def sqlite_news(tmp_path) -> Path:
    path = tmp_path / "news.db"
    _seeded(resolve_url(str(path)))
    return path


@pytest.mark.e2e
def test_datasette_on_sqlite_searches_and_charts(sqlite_news, browser, tmp_path):
    server = Server(str(sqlite_news))
    try:
        home = browser.dom(server.url + "/")
        assert "Charts" in home and "Search articles" in home

        found = browser.dom(server.url + "/news/search?q=Lavrov+bad+faith")
        assert SEED_TITLE in found and "[Lavrov]" in found

        table_search = browser.dom(server.url + "/news/articles?_search=%22bad+faith%22+Lavrov")
        assert SEED_TITLE in table_search and "City council passes budget" not in table_search

        odd = browser.dom(server.url + "/news/search?q=%22Lavrov+NEAR%28+title%3A")
        assert "fts5: syntax error" not in odd

        thread = browser.dom(server.url + "/news/comment_threads?article_title__startswith=US+Is+Not")
        assert thread.index("Talks with Moscow never work") < thread.index("Bob, diplomacy is how Aleppo")

        charts = browser.dom(server.url + "/-/charts")
        for label in ("articles per day", "articles by number of comments", "top authors"):
            assert f'aria-label="{label}"' in charts
        assert "goldwater" in charts and "Earnest Jones" in charts
        browser.screenshot(server.url + "/-/charts", tmp_path / "serve-datasette-charts.png")
        browser.screenshot(server.url + "/news/search?q=Lavrov+bad+faith", tmp_path / "serve-datasette-search.png",
                           size="1200,900")
    finally:
        server.stop()


@pytest.mark.e2e
def test_builtin_app_on_postgresql_searches_and_charts(pg_url, browser, tmp_path):
    server = Server(_seeded(pg_url))
    try:
        home = browser.dom(server.url + "/")
        assert "postgresql · read-only" in home and SEED_TITLE in home

        found = browser.dom(server.url + "/search?q=Lavrov+bad+faith")
        assert f'href="/article/1">{SEED_TITLE}</a>' in found
        assert "<mark>Lavrov</mark>" in found

        comments = browser.dom(server.url + "/search?q=ceasefire&in=comments")
        assert "Nobody trusted this <mark>ceasefire</mark>" in comments

        article = browser.dom(server.url + "/article/1")
        order = [article.index(text) for text in ("Talks with Moscow", "Kerry is right", "Bob, diplomacy",
                                                  "Where is the UN", "Agree with Carol")]
        assert order == sorted(order)

        view = browser.dom(server.url + "/browse/daily_counts")
        assert "2016-12-09" in view and "dailyplanet" in view

        refused = browser.dom(server.url + "/sql?q=DELETE+FROM+articles")
        assert "read-only transaction" in refused

        charts = browser.dom(server.url + "/charts")
        for label in ("articles per day", "articles by number of comments", "top authors"):
            assert f'aria-label="{label}"' in charts
        browser.screenshot(server.url + "/charts", tmp_path / "serve-postgresql-charts.png")
        browser.screenshot(server.url + "/search?q=Lavrov+bad+faith", tmp_path / "serve-postgresql-search.png",
                           size="1200,900")
    finally:
        server.stop()


@pytest.mark.e2e
def test_serve_explains_what_it_cannot_do(pg_url):
    upgrade(pg_url)
    result = run_newsdesk("serve", "--db", pg_url, "--app", "datasette", timeout=60)
    assert result.returncode == 2 and "Datasette reads SQLite only" in result.stderr
    result = run_newsdesk("serve", "--db", "/nonexistent-dir/news.db", timeout=60)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_builtin_app_on_sqlite_opens_the_file_read_only(sqlite_news):
    from wsgiref.util import setup_testing_defaults

    from crawler.web.app import NewsdeskApp

    app = NewsdeskApp(resolve_url(str(sqlite_news)))

    def get(path: str, query: str = "") -> tuple[str, str]:
        environ = {"PATH_INFO": path, "QUERY_STRING": query}
        setup_testing_defaults(environ)
        status = []
        body = b"".join(app(environ, lambda s, headers: status.append(s)))
        return status[0], body.decode()

    status, page = get("/search", "q=Lavrov+bad+faith&site=goldwater")
    assert status == "200 OK" and page.count('class="hit-title"') == 1 and SEED_TITLE in page
    status, page = get("/article/1")
    order = [page.index(t) for t in ("Talks with Moscow", "Kerry is right", "Bob, diplomacy", "Where is the UN")]
    assert order == sorted(order)
    status, page = get("/sql", "q=DELETE+FROM+articles")
    assert "readonly" in page.replace("-", "").replace(" ", "").lower()
    assert get("/browse/alembic_version")[0] == "404 Not Found"
    app.engine.dispose()
