"""`newsdesk schedule` end to end: the real scheduler starts real crawls (child processes) of
a demo site on 127.0.0.1 on a schedule of seconds; the checks read the database, the
demo server's request log and the commands' output."""
from __future__ import annotations

import re
import signal
import socket

import pytest

from helpers import (
    SiteControl,
    first_index,
    fresh_body,
    log_says,
    rows,
    run_newsdesk,
    site_block,
    start_newsdesk,
    statuses,
    wait_for,
    write_sites,
)

pytestmark = pytest.mark.e2e  # every test here runs the real commands in child processes


def finished_runs(db) -> int:
    return len(rows(db, "SELECT id FROM crawl_runs WHERE status = 'finished'"))


def test_scheduled_runs_store_only_new_articles(tmp_path):
    from crawler.demosite import DemoSite

    db, log = tmp_path / "news.db", tmp_path / "schedule.log"
    with DemoSite("demo") as site:
        site.articles = site.articles[:6]
        originals = [site.path_of(a) for a in site.articles]
        conf = write_sites(tmp_path / "sites.toml", site_block("small", site.url, schedule="4s"))
        # Each change is made on the first request after a run is recorded finished (a run
        # makes no request after that), so it falls between two runs whenever they start.
        control, added, marks = SiteControl(site), {}, []

        def change_between_runs():
            if len(marks) == finished_runs(db):
                return
            marks.append(len(site.requests))
            if len(marks) == 1:
                # Older than every other article: the demo's "Recent News" sidebar (the five
                # newest) stays the same, so the pages already crawled stay byte-identical.
                added["older"] = site.add_article(title="Harbour dredging finally approved",
                                                  published="2015-03-02T09:00:00",
                                                  body=fresh_body("harbour dredging works"))
                site.add_comment(added["older"]["slug"], "Marta", "About time they dredged it.")
            elif len(marks) == 2:
                # The newest article of all: it enters the sidebar, so every page changes.
                added["newest"] = site.add_article(title="Tram line opens to the airport",
                                                   published="2017-01-05T07:30:00", body=fresh_body("airport tram line"))

        control.before_each_request(change_between_runs)
        scheduler = start_newsdesk("schedule", "--now", "--sites", str(conf), "--db", str(db), log=log)
        try:
            wait_for(lambda: finished_runs(db) >= 3, 300, "three runs", log=log)
        finally:
            scheduler.send_signal(signal.SIGTERM)
            code = scheduler.wait(300)
        after_first, after_second = marks[:2]
        after_third = marks[2] if len(marks) > 2 else len(site.requests)  # a fourth run may have begun
        older, newest = added["older"], added["newest"]
        requests = site.requests
    assert code == 0, log.read_text()[-3000:]

    first_comments = sum(len(a["comments"]) for a in site.articles[:6])
    runs = rows(db, "SELECT status, origin, articles_new, articles_updated, articles_unchanged, comments_new "
                    "FROM crawl_runs WHERE status = 'finished' ORDER BY id")
    assert runs[:3] == [("finished", "schedule", 6, 0, 0, first_comments), ("finished", "schedule", 1, 0, 6, 1),
                        ("finished", "schedule", 1, 0, 7, 0)]
    assert all(run[2] == 0 for run in runs[3:])  # a fourth run, if one began before the stop
    # One row per run: the only others are runs due while the previous one was still going, or
    # a fourth run stopped by the SIGTERM.
    others = rows(db, "SELECT status, finish_reason FROM crawl_runs WHERE status != 'finished'")
    assert set(others) <= {("skipped", "still_running"), ("cancelled", "shutdown")}
    assert sorted(t for (t,) in rows(db, "SELECT title FROM articles")) == sorted(a["title"] for a in site.articles)
    # Unchanged articles re-extracted in run 3 made no new version.
    assert rows(db, "SELECT count(*) FROM article_versions") == [(8,)]

    second = requests[after_first:after_second]
    for path in originals:  # unchanged article pages: asked conditionally, answered 304, once
        assert statuses(second, path) == [304], path
    assert statuses(second, site.path_of(older)) == [200]
    assert statuses(second, "/section/world/") == [200]  # unchanged listing: still fetched in full
    assert statuses(second, "/feed/") == [200]
    assert first_index(second, [site.path_of(older)]) < first_index(second, originals)  # new URLs first

    third = requests[after_second:after_third]
    for path in originals + [site.path_of(older)]:  # changed pages (the sidebar) are re-extracted
        assert statuses(third, path) == [200], path
    assert first_index(third, [site.path_of(newest)]) < first_index(third, originals)


def _unreachable_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _jobs(db) -> dict[str, tuple[str, str]]:
    result = run_newsdesk("schedule", "--list", "--db", str(db))
    assert result.returncode == 0, result.stderr[-2000:]
    table = [re.split(r"\s{2,}", line.strip()) for line in result.stdout.splitlines()[1:]]
    return {site: (schedule, next_run) for site, schedule, next_run in table}


def test_stop_is_graceful_failures_retry_and_restart_keeps_jobs(tmp_path):
    from crawler.demosite import DemoSite

    db, log = tmp_path / "news.db", tmp_path / "schedule.log"
    down = site_block("down", _unreachable_url(), schedule="2s")
    with DemoSite("demo") as site:
        site.articles = site.articles[:6]
        control = SiteControl(site)
        conf = write_sites(tmp_path / "sites.toml", site_block("slow", site.url, schedule="1h"), down)
        scheduler = start_newsdesk("schedule", "--now", "--sites", str(conf), "--db", str(db), "-s", "RETRY_TIMES=0",
                                   log=log)
        try:
            wait_for(lambda: len(site.requests) >= 4, 300, "the slow crawl to be under way", log=log)
            control.close()  # and it stays under way until the scheduler has asked it to stop
            wait_for(lambda: len(rows(db, "SELECT r.id FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
                                          "WHERE s.name = 'down' AND r.status = 'failed'")) >= 2,
                     300, "a failed run and its retry", log=log)
        finally:
            scheduler.send_signal(signal.SIGTERM)
            wait_for(lambda: log_says(log, "asking the running crawl"), 300, "the stop request", log=log)
            control.open()
            code = scheduler.wait(300)
        requests_at_stop = len(site.requests)
    assert code == 0, log.read_text()[-3000:]
    assert "asking the running crawl" in log.read_text()

    slow = rows(db, "SELECT r.status, r.finish_reason, r.pages_fetched FROM crawl_runs r JOIN sites s "
                    "ON s.id = r.site_id WHERE s.name = 'slow'")
    assert len(slow) == 1 and slow[0][:2] == ("cancelled", "shutdown") and slow[0][2] >= 1
    assert requests_at_stop < 30  # it stopped early: the whole site is more pages than that
    failed = rows(db, "SELECT r.message FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
                      "WHERE s.name = 'down' AND r.status = 'failed'")
    assert all("could not reach the site" in m for (m,) in failed), failed
    assert rows(db, "SELECT count(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM crawl_locks") == [(0,)]

    before = _jobs(db)
    assert before["slow"][0] == "1h" and before["down"][0] == "2s"
    # Restart with `down` gone and a new cron site: slow keeps its job and next run time.
    write_sites(conf, site_block("slow", "http://127.0.0.1:9", schedule="1h"),
                site_block("nightly", "http://127.0.0.1:9", schedule="30 4 * * *"))
    log2 = tmp_path / "schedule2.log"
    scheduler = start_newsdesk("schedule", "--sites", str(conf), "--db", str(db), log=log2)
    try:
        wait_for(lambda: "scheduler running" in log2.read_text(), 60, "the scheduler to start again", log=log2)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(60) == 0, log2.read_text()[-3000:]
    after = _jobs(db)
    assert after["slow"] == before["slow"]
    assert "down" not in after
    assert after["nightly"][0] == "30 4 * * *" and after["nightly"][1].endswith("04:30:00")
    assert "(kept)" in log2.read_text() and "job removed" in log2.read_text()
