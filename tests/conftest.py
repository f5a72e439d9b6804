"""Shared fixtures: the demo site on 127.0.0.1, crawls with the real Scrapy engine in a
child process (Twisted's reactor cannot restart inside pytest), and the PostgreSQL and
Redis services, started here when they are down. With CI=true those services must be
there: their tests fail instead of skipping."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("NEWSDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NEWSDESK_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open(port):
            return True
        time.sleep(0.3)
    return False


def ensure_postgres() -> bool:
    if _port_open(5432):
        return True
    if shutil.which("pg_ctlcluster") and glob.glob("/etc/postgresql/*"):
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                       capture_output=True, timeout=60)
    return _wait_port(5432, 20)


def ensure_redis() -> bool:
    if _port_open(6379):
        return True
    if shutil.which("redis-server"):
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                        "--save", "", "--appendonly", "no"], capture_output=True, timeout=30)
    return _wait_port(6379, 10)


def service_missing(name: str) -> None:
    if CI:
        pytest.fail(f"{name} is not reachable on 127.0.0.1 and could not be started (CI=true: no skipping)")
    pytest.skip(f"{name} not reachable on 127.0.0.1")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    if not ensure_postgres():
        service_missing("PostgreSQL")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server_url) -> str:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"newsdesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from models.db import get_engine

    get_engine.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not ensure_redis():
        service_missing("Redis")
    return REDIS_URL


@pytest.fixture
def demo_site():
    from crawler.demosite import DemoSite

    with DemoSite("demo") as site:
        yield site


def run_newsdesk(*args: str, env: dict | None = None, timeout: float = 300, cwd: Path = REPO):
    """Run the real `newsdesk` command (as `python -m crawler.cli`) in a child process."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def start_newsdesk(*args: str, log: Path, env: dict | None = None, cwd: Path = REPO) -> subprocess.Popen:
    """Start the real `newsdesk` command in the background (a scheduler, a crawl to race or
    kill); its output goes to ``log``."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env=full_env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)


def run_scrapy(*args: str, env: dict | None = None, timeout: float = 300, cwd: Path = REPO):
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def crawl_demo(site, db: str | Path, *extra: str, site_name: str = "demo", timeout: float = 300):
    """`newsdesk crawl demo --db DB` against a running DemoSite; fails the test on a non-zero exit."""
    result = run_newsdesk("crawl", site_name, "--db", str(db), *extra,
                          env={"NEWSDESK_DEMO_URL": site.url}, timeout=timeout)
    assert result.returncode == 0, f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}"
    return result
