"""Crash safety, the CI-sized run of bench/crash.py: a demo crawl SIGKILLed at each kind of
moment (start-up, mid-crawl, while a comment thread is fetched, near the end), the database
checked after every kill, then one crawl to the end compared with a clean crawl. The next
crawl after a kill takes the dead process's lock at once (same host, pid gone), records the
killed run as such, and says it resumes."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers import REPO

pytestmark = pytest.mark.e2e  # child-process crawls and servers


def _crash_bench():
    spec = importlib.util.spec_from_file_location("crash_bench", REPO / "bench" / "crash.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend, kills", [("sqlite", 4), ("postgresql", 2)])
def test_killed_crawls_leave_a_consistent_database_and_the_next_one_completes_it(backend, kills, tmp_path,
                                                                                 request):
    if backend == "postgresql":
        request.getfixturevalue("pg_server_url")  # started here when down; CI=true fails without it
    bench = _crash_bench()
    result, info = bench.run(backend, kills, seed=3, workdir=tmp_path, quiet=True)
    assert result.problems == []
    assert result.turned_away == 0  # a dead process's lock never makes the next crawl wait for its TTL
    assert result.final_ok, result.final_detail
    statuses = [status for _, status, _ in info["runs"]]
    assert "running" not in statuses
    killed = [reason for _, status, reason in info["runs"] if status == "failed"]
    assert killed and set(killed) == {"killed"}, info["runs"]
    assert result.resumed >= 1
