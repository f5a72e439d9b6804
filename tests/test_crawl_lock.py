"""One crawl per site at a time, whoever starts it: two schedulers, `newsdesk crawl` and
`scrapy crawl news` racing for one demo site held until all have tried it, a crawl killed
with SIGKILL whose lock is taken over once it expires, and the lock row itself racing on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import signal
import threading
from datetime import datetime, timedelta, timezone

import pytest

from helpers import (
    SiteControl,
    rows,
    run_newsdesk,
    site_block,
    start_newsdesk,
    start_scrapy,
    wait_for,
    write_sites,
)

HELD_BY = "is already being crawled by"


@pytest.fixture
def held_site():
    """A small demo site whose answers a test holds (SiteControl) while rivals race for it."""
    from crawler.demosite import DemoSite

    with DemoSite("demo") as site:
        site.articles = site.articles[:6]
        yield site, SiteControl(site)


@pytest.mark.e2e
def test_two_schedulers_a_manual_crawl_and_scrapy_crawl_crawl_once(held_site, tmp_path):
    site, control = held_site
    db = tmp_path / "news.db"
    conf = write_sites(tmp_path / "sites.toml", site_block("slow", site.url, schedule="1h", concurrency=2))
    assert run_newsdesk("db", "upgrade", "--db", str(db)).returncode == 0
    common = ["--sites", str(conf), "--db", str(db)]
    # Whoever wins holds the site until the three others have tried it and been turned away,
    # however long each takes to start.
    control.close()
    schedulers = [start_newsdesk("schedule", "--now", *common, log=tmp_path / f"schedule{i}.log") for i in (1, 2)]
    manual = start_newsdesk("crawl", "slow", *common, log=tmp_path / "crawl.log")
    scrapy = start_scrapy("crawl", "news", "-a", "site=slow", "-a", f"sites_file={conf}",
                          "-s", f"NEWSDESK_DATABASE_URL={db}", "-s", "LOG_LEVEL=WARNING", log=tmp_path / "scrapy.log")
    try:
        wait_for(lambda: len(rows(db, "SELECT id FROM crawl_runs WHERE status = 'skipped'")) >= 3, 300,
                 "three of the four crawls to be turned away", log=tmp_path / "schedule1.log")
        control.open()
        manual_code = manual.wait(300)
        scrapy_code = scrapy.wait(300)
        wait_for(lambda: len(rows(db, "SELECT id FROM crawl_runs WHERE status != 'running'")) >= 4, 300,
                 "all four crawls to end", log=tmp_path / "schedule1.log")
    finally:
        control.open()
        for scheduler in schedulers:
            scheduler.send_signal(signal.SIGTERM)
        codes = [scheduler.wait(120) for scheduler in schedulers]
    assert codes == [0, 0]

    runs = rows(db, "SELECT origin, status, finish_reason, pages_fetched, articles_new, message FROM crawl_runs")
    assert sorted(origin for origin, *_ in runs) == ["crawl", "schedule", "schedule", "scrapy"]
    done = [r for r in runs if r[1] == "finished"]
    skipped = [r for r in runs if r[1] == "skipped"]
    assert len(done) == 1 and done[0][4] == 6
    assert len(skipped) == 3
    winner = rows(db, "SELECT id FROM crawl_runs WHERE status = 'finished'")[0][0]
    for _origin, _status, reason, pages, new, message in skipped:
        assert reason == "locked" and pages == 0 and new == 0
        assert f"site 'slow' {HELD_BY}" in message and f"(crawl run {winner}, pid " in message
    assert rows(db, "SELECT count(*) FROM articles") == [(6,)]
    # The manual crawl either ran or said, in one line, who holds the site.
    manual_log = (tmp_path / "crawl.log").read_text()
    if ("crawl", "finished") == done[0][:2]:
        assert manual_code == 0
    else:
        assert manual_code == 75 and HELD_BY in manual_log and "Traceback" not in manual_log
    scrapy_log = (tmp_path / "scrapy.log").read_text()
    assert scrapy_code == 0 and "Traceback" not in scrapy_log
    if done[0][0] != "scrapy":
        assert f"site 'slow' {HELD_BY}" in scrapy_log


def _lock_row(db):
    found = rows(db, "SELECT pid, acquired_at, heartbeat_at FROM crawl_locks WHERE site = 'slow'")
    return found[0] if found else None


@pytest.mark.e2e
def test_lock_of_a_killed_crawl_on_this_host_is_taken_over_at_once(held_site, tmp_path):
    """The lock's time to live is ten minutes, far beyond any start-up time: the crawl that
    follows a SIGKILL takes the lock over because its holder's process is gone, not because
    the TTL ran out."""
    site, control = held_site
    db = tmp_path / "news.db"
    conf = write_sites(tmp_path / "sites.toml", site_block("slow", site.url))
    lock = ["--sites", str(conf), "--db", str(db), "-s", "NEWSDESK_LOCK_TTL=600", "-s", "NEWSDESK_LOCK_HEARTBEAT=1"]
    killed = start_newsdesk("crawl", "slow", *lock, log=tmp_path / "killed.log")
    # Under way (pages fetched, its lock renewed by a heartbeat) and held there: it cannot finish.
    wait_for(lambda: len(site.requests) >= 10, 300, "the first crawl to be under way", log=tmp_path / "killed.log")
    control.close()
    wait_for(lambda: (row := _lock_row(db)) and row[2] > row[1], 300, "a heartbeat of the first crawl",
             log=tmp_path / "killed.log")
    killed_pid = killed.pid
    os.kill(killed_pid, signal.SIGKILL)
    killed.wait(60)
    control.open()

    # Right away the lock row is still there, but its holder ran on this host and its process is
    # gone: a plain crawl takes it over at once, without waiting for the TTL (issue 16).
    taking = start_newsdesk("crawl", "slow", *lock, log=tmp_path / "taking.log")
    assert taking.wait(300) == 0, (tmp_path / "taking.log").read_text()[-3000:]
    taking_log = (tmp_path / "taking.log").read_text()
    assert f"took over the lock left by newsdesk crawl (crawl run 1, pid {killed_pid} " in taking_log
    assert "whose process is gone" in taking_log and "resuming" in taking_log

    runs = {run_id: (status, reason, message) for run_id, status, reason, message in rows(
        db, "SELECT id, status, finish_reason, message FROM crawl_runs")}
    assert runs[1][:2] == ("failed", "killed") and f"pid {killed_pid} " in runs[1][2]
    # The killed run ends at its last heartbeat: the lock was renewed while it crawled.
    (started, finished), = rows(db, "SELECT started_at, finished_at FROM crawl_runs WHERE id = 1")
    assert finished > started
    assert sorted(status for status, _, _ in runs.values()) == ["failed", "finished"]
    assert rows(db, "SELECT count(*) FROM articles") == [(6,)]
    assert rows(db, "SELECT count(*) FROM crawl_locks") == [(0,)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_lock_row_has_one_winner_and_expires(backend, tmp_path, request):
    from models import crawllock
    from models.db import get_engine, session_factory, upgrade

    url = str(tmp_path / "lock.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    sessions = session_factory(url)
    barrier, outcomes = threading.Barrier(6), []

    def contend(n):
        barrier.wait()
        try:
            with sessions.begin() as session:
                outcomes.append(crawllock.try_acquire(session, "site-a", holder=f"contender {n}", ttl=60))
        except Exception as exc:  # reported by the assertion below, not lost in the thread
            outcomes.append(exc)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    winners = [o for o in outcomes if isinstance(o, crawllock.Acquired)]
    assert len(winners) == 1
    holder = next(o for o in outcomes if isinstance(o, crawllock.LockHolder))
    with sessions.begin() as session:
        assert crawllock.current_holder(session, "site-a").holder == holder.holder
        assert crawllock.renew(session, winners[0], ttl=60)
        later = datetime.now(timezone.utc) + timedelta(seconds=61)
        taken = crawllock.try_acquire(session, "site-a", holder="successor", ttl=60, now=later)
        assert isinstance(taken, crawllock.Acquired) and taken.took_over.holder == holder.holder
        assert not crawllock.renew(session, winners[0], ttl=60)  # the old holder lost it
        assert crawllock.release(session, taken)
        assert crawllock.held_locks(session) == []
    get_engine.cache_clear()
