"""Fixtures only (shared helpers live in tests/helpers.py): the demo site on 127.0.0.1, and
the PostgreSQL and Redis services, started here when they are down. With CI=true those
services must be there: their tests fail instead of skipping.

Tests marked ``e2e`` run the real commands in child processes (Twisted's reactor cannot
restart inside pytest); ``pytest -m "not e2e"`` leaves them out."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from sqlalchemy.pool import NullPool

import helpers
from helpers import CI

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


@pytest.fixture(scope="session")
def pg_test_database(pg_server_url) -> str:
    """One PostgreSQL database per test session (per xdist worker), dropped at the end."""
    from sqlalchemy import create_engine, text

    name = f"newsdesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a power cut: commits stop waiting for the disk.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    yield pg_server_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_test_database) -> str:
    """An empty PostgreSQL database for one test. Emptied afterwards by dropping and making
    again its only schema (the migrations create no extension or other database-wide object):
    a tenth of what CREATE/DROP DATABASE cost per test on a busy machine."""
    from sqlalchemy import create_engine, text

    from models.db import get_engine, session_factory

    yield pg_test_database
    for cached in (session_factory, get_engine):  # engines made for this URL hold its connections
        cached.cache_clear()
    engine = create_engine(pg_test_database, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        # Child processes (crawls, servers) a failed test left connected would hold locks.
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before the item's fixtures (module-scoped ones included): helpers refuses to start a
    # child process for a test not marked e2e.
    helpers.current_test_is_e2e = item.get_closest_marker("e2e") is not None
