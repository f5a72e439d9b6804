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


def _comment_ids(url: str) -> dict[str, int]:
    from sqlalchemy import text

    with session_factory(url)() as session:
        return dict(session.execute(text("SELECT external_id, id FROM comments WHERE article_id = 1")).all())


def assert_thread_nested(dom: str, url: str) -> None:
    """The seed thread as the page shows it: c2 answers c1 and c4 answers c2, so c4's element
    sits inside c2's, inside c1's; c3 is a thread of its own, with c5 inside it."""
    import lxml.html

    ids = {ext: f"c{cid}" for ext, cid in _comment_ids(url).items()}
    tree = lxml.html.fromstring(dom)

    def ancestors(ext: str) -> list[str]:
        return [li.get("id") for li in tree.get_element_by_id(ids[ext]).iterancestors("li")]

    assert all(len(tree.xpath(f'//li[@id="{i}"]')) == 1 for i in ids.values())  # each comment once
    assert ancestors("c4") == [ids["c2"], ids["c1"]]
    assert ancestors("c2") == [ids["c1"]]
    assert ancestors("c5") == [ids["c3"]] and ancestors("c1") == ancestors("c3") == []
    assert "Bob, diplomacy is how Aleppo got here." in tree.get_element_by_id(ids["c4"]).text_content()


def test_thread_view_is_nested_in_datasette_on_sqlite(sqlite_news, browser, tmp_path):
    url = resolve_url(str(sqlite_news))
    server = Server(str(sqlite_news))
    try:
        thread = browser.dom(server.url + "/-/thread/1")
        assert SEED_TITLE in thread
        assert_thread_nested(thread, url)
        browser.screenshot(server.url + "/-/thread/1", tmp_path / "serve-datasette-thread.png", size="1000,1700")
        # The comment_threads view itself shows the shape: a reply indented under its parent,
        # the article's title a link to its thread page, times to the second.
        view = browser.dom(server.url + "/news/comment_threads?article_id=1&_sort=position")
        assert 'style="margin-left: 2.8em">Bob, diplomacy is how Aleppo' in view
        assert 'href="/-/thread/1"' in view and ".000000" not in view
        home = browser.dom(server.url + "/news")
        for internal in ("article_lsh", "article_signatures", "alembic_version", "seen_urls", "crawl_locks"):
            assert f'href="/news/{internal}"' not in home
        assert 'href="/news/articles"' in home
        overview = browser.dom(server.url + "/news/article_overview")
        assert 'class="facet-info' in overview or "facet-results" in overview
    finally:
        server.stop()


def test_thread_view_is_nested_in_the_builtin_app_on_postgresql(pg_url, browser, tmp_path):
    server = Server(_seeded(pg_url))
    try:
        thread = browser.dom(server.url + "/article/1")
        assert_thread_nested(thread, pg_url)
        browser.screenshot(server.url + "/article/1", tmp_path / "serve-postgresql-thread.png", size="1000,1700")
        # Datasette's ?sql= works here too, and the result comes as CSV.
        page = browser.dom(server.url + "/sql?sql=SELECT+title+FROM+articles+ORDER+BY+id+LIMIT+1")
        assert SEED_TITLE in page and 'href="/sql.csv?sql=SELECT%20title' in page
    finally:
        server.stop()


def test_builtin_sql_page_answers_as_csv(sqlite_news):
    import csv
    import io
    from wsgiref.util import setup_testing_defaults

    from crawler.web.app import NewsdeskApp

    app = NewsdeskApp(resolve_url(str(sqlite_news)))
    environ = {"PATH_INFO": "/sql.csv", "QUERY_STRING": "sql=SELECT+title,+published_at+FROM+articles+ORDER+BY+id"}
    setup_testing_defaults(environ)
    headers = []
    body = b"".join(app(environ, lambda status, h: headers.append((status, dict(h))))).decode()
    app.engine.dispose()
    assert headers[0][0] == "200 OK" and headers[0][1]["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0] == ["title", "published_at"] and table[1][0] == SEED_TITLE


def test_day_axis_shows_gaps_and_keeps_labels_and_legend_clear():
    import re

    from crawler.web.charts import stacked_bars

    days = ["2016-12-07", "2016-12-08", "2018-12-07"]
    svg = stacked_bars(days, {"goldwater": [3, 1, 2], "dailyplanet": [0, 2, 1]})
    bars = [float(x) for x in re.findall(r'<rect x="([\d.]+)"[^>]*><title>', svg)]
    first_day, second_day, later = sorted(set(bars))
    assert later - second_day > 100 * (second_day - first_day)  # two years of axis, not one bar's width
    # Each x label ends at its tick and is rotated 35° to the left: it must start inside the picture.
    for x, text in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end" fill="#444" transform="rotate'
                              r'\(-35[^"]*">([^<]+)</text>', svg):
        assert float(x) - 7 * len(text) * 0.82 >= 0, text
    legend_y = [float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="10" height="10"', svg)]
    plot_top = min(float(y) for y in re.findall(r'<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"', svg))
    assert legend_y and max(legend_y) + 10 < plot_top  # the legend sits above the plot, off the axis
