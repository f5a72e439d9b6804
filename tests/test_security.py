"""Security defaults: a crawl never reaches the machine's own network unless told to, and
`newsdesk serve` shows stored text as text and listens on 127.0.0.1 only.

The hostile-site crawl (test_hostile.py) shows the rest end to end: links and redirects to
ftp:, file: and data: URLs, to a link-local address and to another port of the site's host
are refused, counted, and never reach a server."""
from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import REPO, run_newsdesk
from models.db import resolve_url, session_factory, upgrade
from storage_corpus import seed_corpus

pytestmark = pytest.mark.e2e  # child-process crawls and servers

SCRIPT = "<script>alert('pwned')</script> nice try"


def test_a_crawl_refuses_private_addresses_by_default(demo_site, tmp_path):
    sites = tmp_path / "sites.toml"  # the demo site, without its NEWSDESK_ALLOW_PRIVATE_ADDRESSES opt-in
    sites.write_text(f'[sites.local]\nstart_urls = ["{demo_site.url}/"]\n', encoding="utf-8")
    db = tmp_path / "news.db"
    result = run_newsdesk("crawl", "local", "--sites", str(sites), "--db", str(db),
                          env={"NEWSDESK_ALLOW_PRIVATE_ADDRESSES": ""})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "could not reach the site:" in last and "NEWSDESK_ALLOW_PRIVATE_ADDRESSES" in last, result.stderr
    assert "Traceback" not in result.stderr
    assert demo_site.requests == []  # nothing reached the server
    with sqlite3.connect(db) as conn:
        (stats,), = conn.execute("SELECT json_extract(stats_json, '$.\"newsdesk/skipped/private_address\"') "
                                 "FROM crawl_runs").fetchall()
    assert stats == 2  # the start URL, and the robots.txt read for its Sitemap: lines


def test_the_opt_in_lets_a_local_crawl_through(demo_site, tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[sites.local]\nstart_urls = ["{demo_site.url}/"]\nmax_pages = 3\n\n'
                     "[sites.local.settings]\nNEWSDESK_ALLOW_PRIVATE_ADDRESSES = true\n", encoding="utf-8")
    result = run_newsdesk("crawl", "local", "--sites", str(sites), "--db", str(tmp_path / "news.db"),
                          env={"NEWSDESK_ALLOW_PRIVATE_ADDRESSES": ""})
    assert result.returncode == 0, result.stderr[-2000:]
    assert demo_site.requests


def _news_with_markup(path: Path) -> str:
    url = resolve_url(str(path))
    upgrade(url)
    with session_factory(url).begin() as session:
        seed_corpus(session)
    with sqlite3.connect(path) as conn:  # stored text as a hostile page could leave it
        conn.execute("UPDATE comments SET body_text = ? WHERE id = (SELECT min(id) FROM comments)", (SCRIPT,))
        conn.execute("UPDATE articles SET title = title || ' <img src=x onerror=alert(1)>'")
    return url


def test_serve_shows_stored_markup_as_text(tmp_path):
    from wsgiref.util import setup_testing_defaults

    from crawler.web.app import NewsdeskApp

    app = NewsdeskApp(_news_with_markup(tmp_path / "news.db"))
    environ = {"PATH_INFO": "/article/1", "QUERY_STRING": ""}
    setup_testing_defaults(environ)
    headers = {}
    page = b"".join(app(environ, lambda status, h: headers.update(h))).decode()
    app.engine.dispose()
    # the comment is shown as the text it is: escaped (html.escape writes ' as &#x27;, markupsafe as &#39;)
    assert re.search(r"&lt;script&gt;alert\(&#(39|x27);pwned&#(39|x27);\)&lt;/script&gt; nice try", page)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]  # no script runs even if one slipped


def test_serve_listens_on_localhost_unless_told_otherwise(tmp_path):
    _news_with_markup(tmp_path / "news.db")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", str(tmp_path / "news.db"),
                             "--app", "builtin", "--port", str(port)], cwd=REPO, env={"PYTHONPATH": str(REPO),
                            "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert f"on http://127.0.0.1:{port}/" in line, line
        deadline = time.monotonic() + 30
        listening = []
        while time.monotonic() < deadline and not listening:
            listening = [entry for entry in Path("/proc/net/tcp").read_text().splitlines()[1:]
                         if entry.split()[1].endswith(f":{port:04X}") and entry.split()[3] == "0A"]
            time.sleep(0.2)
        # 0100007F is 127.0.0.1 as /proc/net/tcp writes it; 00000000 would be every interface
        assert [entry.split()[1] for entry in listening] == [f"0100007F:{port:04X}"]
    finally:
        proc.terminate()
        proc.wait(10)
