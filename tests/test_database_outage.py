"""A database that is not there, or goes away mid-crawl.

At start, an unreachable server, a missing database or an unknown driver is one line and a
non-zero exit, before the engine starts. Mid-crawl, a PostgreSQL server restarted under a
running crawl costs waits, not articles: writes are retried with backoff and every article
is stored once with its whole thread. The restart uses a server this test starts itself
(initdb + pg_ctl on its own port and data directory), never the shared one."""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from helpers import CI, run_newsdesk, run_scrapy, start_newsdesk

pytestmark = pytest.mark.e2e  # child-process crawls and servers

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnPostgres:
    """A throwaway PostgreSQL cluster: initdb into a temporary directory, pg_ctl on a free port."""

    def __init__(self):
        self.bin = Path(PG_BIN[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "log"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
        if self.user:
            shutil.chown(self.dir, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str, check: bool = True):
        cmd = [str(self.bin / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check)

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop", check=False)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_postgres():
    if not PG_BIN:
        if CI:
            pytest.fail("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (CI=true: no skipping)")
        pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    server = OwnPostgres()
    server.start()
    yield server
    server.remove()


def _last_line(result) -> str:
    return (result.stderr or result.stdout).strip().splitlines()[-1]


@pytest.mark.parametrize("db, says, code", [
    # {port}: a port nothing listens on, found when the test runs (ids stay the same for every
    # pytest-xdist worker)
    ("postgresql+psycopg://postgres:SECRET@127.0.0.1:{port}/news", "Connection refused", 1),
    ("postgresql+nodriver://postgres@127.0.0.1/news", "no database driver 'postgresql+nodriver'", 2),
])
def test_a_database_that_cannot_be_used_is_one_line_at_start(demo_site, db, says, code):
    db = db.format(port=_free_port())
    result = run_newsdesk("crawl", "demo", "--db", db, env={"NEWSDESK_DEMO_URL": demo_site.url})
    assert result.returncode == code
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr and "SECRET" not in result.stderr
    assert demo_site.requests == []  # nothing fetched that could not be stored


def test_a_missing_database_is_one_line_at_start(demo_site, own_postgres):
    result = run_newsdesk("crawl", "demo", "--db", own_postgres.url("no_such_db"),
                          env={"NEWSDESK_DEMO_URL": demo_site.url})
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert 'database "no_such_db" does not exist' in result.stderr


def test_scrapy_crawl_with_an_unreachable_database_says_so_once(demo_site):
    db = f"postgresql+psycopg://postgres:SECRET@127.0.0.1:{_free_port()}/news"
    result = run_scrapy("crawl", "news", "-a", "site=demo", "-s", f"NEWSDESK_DATABASE_URL={db}",
                        env={"NEWSDESK_DEMO_URL": demo_site.url})
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "SECRET" not in output
    errors = [line for line in output.splitlines() if " ERROR: " in line or " CRITICAL: " in line]
    assert len(errors) == 1 and "cannot connect to the database" in errors[0], errors
    assert "Spider closed (database_unavailable)" in output
    assert demo_site.requests == []


def test_postgresql_restarted_mid_crawl_loses_nothing(demo_site, own_postgres, tmp_path):
    url = own_postgres.create_database("news")
    demo_site.delay = 0.15  # a crawl long enough to restart the server under it
    crawl = start_newsdesk("crawl", "demo", "--db", url, "-s", "NEWSDESK_STORE_BACKOFF=0.5",
                           log=tmp_path / "crawl.log", env={"NEWSDESK_DEMO_URL": demo_site.url})
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _stored(own_postgres.url("news")) < 3:
            time.sleep(0.3)
        assert _stored(own_postgres.url("news")) >= 3, (tmp_path / "crawl.log").read_text()[-3000:]
        own_postgres.stop()
        # Down until the crawl has fetched more pages (whose articles cannot be stored meanwhile).
        served = len(demo_site.requests)
        while time.monotonic() < deadline and len(demo_site.requests) < served + 8 and crawl.poll() is None:
            time.sleep(0.2)
        own_postgres.start()
        assert crawl.wait(240) == 0, (tmp_path / "crawl.log").read_text()[-4000:]
    finally:
        if crawl.poll() is None:
            crawl.kill()
    log = (tmp_path / "crawl.log").read_text()
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={own_postgres.port} user=postgres dbname=news") as conn:
        stored = conn.execute("SELECT a.url, a.comment_count, count(c.id) FROM articles a "
                              "LEFT JOIN comments c ON c.article_id = a.id GROUP BY a.id").fetchall()
        (stats,), = conn.execute("SELECT stats_json FROM crawl_runs").fetchone(),
    threads = {demo_site.url + demo_site.path_of(a): len(a["comments"]) for a in demo_site.articles}
    assert sorted(u for u, _, _ in stored) == sorted(threads)  # every article, once
    assert all(count == comments == threads[u] for u, count, comments in stored)
    stats = stats if isinstance(stats, dict) else json.loads(stats)
    assert stats.get("newsdesk/store_retries", 0) >= 1, log[-3000:]  # the restart did hit writes
    assert "newsdesk/errors/store" not in stats


def _stored(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM articles")).scalar()
    except Exception:  # noqa: BLE001 - not created yet, or the server is down
        return 0
    finally:
        engine.dispose()

