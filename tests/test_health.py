"""Site health end to end: the demo site crawled several times, then redesigned (authors in a
new element, the body container renamed, comments moved to a JavaScript system): the next
run is `degraded`, naming the site and the fields; a webhook receiver and an SMTP server on
127.0.0.1 each get one alert, and one "recovered" message once the templates are back. A
site that stops answering mid-crawl trips the stall monitor; a scheduled site that has not
run is overdue; `newsdesk health` exits 1 while a site is degraded; the Health page shows the
drop in headless Chromium."""
from __future__ import annotations

import json
import socket
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_serve import Browser, Server, chromium  # noqa: F401 - chromium: the fixture that finds the browser

from helpers import REPO, run_newsdesk, start_newsdesk

pytestmark = pytest.mark.e2e  # the real commands in child processes

SMTP_USER, SMTP_PASSWORD = "mailer-7f3a", "s3cret-smtp-pw"
WEBHOOK_TOKEN = "T000/B000/hook-secret-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookReceiver:
    """A Slack-style incoming webhook on 127.0.0.1: keeps every JSON body POSTed to it."""

    def __init__(self):
        self.payloads: list[dict] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.payloads.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                              **json.loads(body)})
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/{WEBHOOK_TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float) -> dict | None:
        with self.arrived:
            self.arrived.wait_for(lambda: any(predicate(p) for p in self.payloads), timeout=timeout)
            return next((p for p in self.payloads if predicate(p)), None)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 with AUTH (the password must never show anywhere but here)."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list = []
        self.logins: list[tuple[str, str]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes

                receiver.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            if isinstance(auth_data, LoginPassword):
                receiver.logins.append((auth_data.login.decode(), auth_data.password.decode()))
                return AuthResult(success=(auth_data.login.decode(), auth_data.password.decode())
                                  == (SMTP_USER, SMTP_PASSWORD))
            return AuthResult(success=False, handled=False)

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticator,
                                     auth_require_tls=False)
        self.controller.start()
        self.url = (f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{self.port}/"
                    "?from=newsdesk@example.org&to=ops@example.org")

    def close(self):
        self.controller.stop()


@pytest.fixture(scope="module")
def receivers():
    webhook, smtp = WebhookReceiver(), SmtpReceiver()
    yield webhook, smtp
    webhook.close()
    smtp.close()


def sites_file(tmp: Path, health: str = "") -> Path:
    """The demo site as sites.toml has it, with a body selector rule (a site the generic
    extractor needed help with) and the test's health thresholds."""
    text = (REPO / "sites.toml").read_text(encoding="utf-8").split("# The bundled comment-systems")[0]
    text = text.replace('date_order = "MDY"\n', 'date_order = "MDY"\nbody = "div.entry-content"\n')
    path = tmp / "sites.toml"
    path.write_text(text + f"\n[sites.demo.health]\n{health}\n", encoding="utf-8")
    return path


def rows(db: Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def redesign(tmp_path_factory, receivers):
    """Two healthy crawls, one after the redesign, an incremental one that finds every page
    unchanged (answered 304: nothing to judge coverage on), one after the templates went
    back; the alerts and `newsdesk health` recorded after each step."""
    from crawler.demosite import DemoSite

    webhook, smtp = receivers
    tmp = tmp_path_factory.mktemp("health")
    db, toml = tmp / "news.db", sites_file(tmp, "min_history = 2")
    env_alerts = {"NEWSDESK_ALERT_WEBHOOK": webhook.url, "NEWSDESK_ALERT_SMTP": smtp.url}
    steps = {}

    def crawl(name: str, incremental: bool = False):
        # Every page extracted each time (not only the changed ones), so each run has a sample.
        result = run_newsdesk("crawl", "demo", "--db", str(db), "--sites", str(toml),
                              "-s", f"NEWSDESK_INCREMENTAL={int(incremental)}",
                              env={"NEWSDESK_DEMO_URL": site.url, **env_alerts}, timeout=300)
        assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr[-4000:]}"
        health = run_newsdesk("health", "--db", str(db), "--sites", str(toml), env=env_alerts, timeout=120)
        steps[name] = {"crawl": result, "health": health, "webhook": len(webhook.payloads),
                       "smtp": len(smtp.messages)}

    with DemoSite("demo") as site:
        crawl("first")
        crawl("second")
        site.templates = "redesign"
        crawl("redesigned")
        steps["redesigned"]["runs"] = run_newsdesk("runs", "--db", str(db))
        steps["redesigned"]["stats"] = run_newsdesk("stats", "--db", str(db))
        crawl("unchanged", incremental=True)
        site.templates = "classic"
        crawl("restored")
    return {"db": db, "steps": steps, "webhook": webhook, "smtp": smtp}


def test_redesigned_site_run_is_degraded_naming_site_and_fields(redesign):
    db = redesign["db"]
    runs = rows(db, "SELECT id, status, message FROM crawl_runs ORDER BY id")
    assert [status for _, status, _ in runs] == ["finished", "finished", "degraded", "finished", "finished"]
    message = runs[2][2]
    assert message.startswith("site 'demo' degraded:")
    for named in ("authors coverage 0%", "comments per article 0.0", "body rule 'div.entry-content' matched 0%"):
        assert named in message
    for healthy in ("title coverage", "published coverage", "image coverage", "language coverage"):
        assert healthy not in message
    assert runs[3][2] is None and runs[4][2] is None

    figures = rows(db, "SELECT run_id, articles, authors_coverage, body_coverage, comments_per_article, "
                       "rule_hits_json, problems_json FROM run_health ORDER BY run_id")
    assert [f[1] for f in figures] == [51, 51, 51, 0, 51]  # 50 articles and an edited one's stale copy; run 4: every page answered 304
    assert [f[2] for f in figures] == [1.0, 1.0, 0.0, None, 1.0]
    assert figures[0][4] > 5 and figures[2][4] == 0.0 and figures[4][4] == figures[0][4]
    assert [json.loads(f[5] or "{}").get("body") for f in figures] == [1.0, 1.0, 0.0, None, 1.0]
    assert set(json.loads(figures[2][6])) == {"coverage:authors", "coverage:comments", "rule:body"}

    problems = rows(db, "SELECT kind, opened_run_id, cleared_run_id FROM health_problems ORDER BY kind")
    # Run 4 judged no coverage, so cleared nothing; run 5 did.
    assert problems == [("coverage:authors", 3, 5), ("coverage:comments", 3, 5), ("rule:body", 3, 5)]


def test_one_alert_per_new_problem_and_one_when_it_clears(redesign):
    steps, webhook, smtp = redesign["steps"], redesign["webhook"], redesign["smtp"]
    order = ("first", "second", "redesigned", "unchanged", "restored")
    assert [steps[s]["webhook"] for s in order] == [0, 0, 1, 1, 2]
    assert [steps[s]["smtp"] for s in order] == [0, 0, 1, 1, 2]

    degraded, recovered = webhook.payloads
    assert degraded["type"] == "application/json" and set(degraded) == {"path", "type", "text"}
    assert degraded["text"].startswith("newsdesk: site 'demo' is degraded (run 3)")
    assert "authors coverage 0%" in degraded["text"] and "body rule" in degraded["text"]
    assert recovered["text"].startswith("newsdesk: site 'demo' recovered (run 5)")
    assert "degraded" not in recovered["text"]

    mail_degraded, mail_recovered = smtp.messages
    assert mail_degraded["Subject"] == "newsdesk: site 'demo' is degraded (run 3)"
    assert mail_degraded["To"] == "ops@example.org" and mail_degraded["From"] == "newsdesk@example.org"
    assert "comments per article 0.0" in mail_degraded.get_payload()
    assert mail_recovered["Subject"].startswith("newsdesk: site 'demo' recovered (run 5)")
    assert smtp.logins and set(smtp.logins) == {(SMTP_USER, SMTP_PASSWORD)}

    # Never a credential in a message, the crawl's output or the database.
    seen = [p["text"] for p in webhook.payloads] + [m.as_string() for m in smtp.messages]
    for step in steps.values():
        seen += [step["crawl"].stdout, step["crawl"].stderr, step["health"].stdout, step["health"].stderr]
    seen += [str(r) for r in rows(redesign["db"], "SELECT message FROM crawl_runs UNION ALL "
                                                   "SELECT message FROM health_problems UNION ALL SELECT stats_json FROM crawl_runs")]
    for text in seen:
        assert SMTP_PASSWORD not in text and WEBHOOK_TOKEN not in text


def test_health_command_exits_1_while_degraded_and_runs_and_stats_show_it(redesign):
    steps = redesign["steps"]
    assert steps["second"]["health"].returncode == 0
    during = steps["redesigned"]["health"]
    assert during.returncode == 1, during.stderr
    assert "demo: degraded" in during.stdout and "authors coverage 0% of 51 article pages" in during.stdout
    assert "degraded: demo" in during.stdout
    assert steps["unchanged"]["health"].returncode == 1  # still broken: nothing said otherwise
    after = steps["restored"]["health"]
    assert after.returncode == 0 and "demo: ok" in after.stdout and "problem" not in after.stdout

    assert "Crawl run #3: degraded (finished)" in steps["redesigned"]["crawl"].stdout
    assert "site 'demo' degraded: authors coverage" in steps["redesigned"]["crawl"].stdout
    runs = steps["redesigned"]["runs"].stdout
    assert "degraded" in runs and "authors coverage" in runs
    stats = steps["redesigned"]["stats"].stdout
    assert "degraded" in stats and "authors coverage" in stats


def test_stalled_crawl_trips_the_stall_monitor(tmp_path, receivers):
    from crawler.demosite import DemoSite

    webhook, _ = receivers
    toml = sites_file(tmp_path, "stall_minutes = 0.1")
    db = tmp_path / "news.db"
    before = len(webhook.payloads)
    with DemoSite("demo") as site:
        site.stall(after=4)  # robots.txt, the home page, the feed and one more; then silence
        proc = start_newsdesk("crawl", "demo", "--db", str(db), "--sites", str(toml), "-s", "DOWNLOAD_TIMEOUT=600",
                              log=tmp_path / "crawl.log",
                              env={"NEWSDESK_DEMO_URL": site.url, "NEWSDESK_ALERT_WEBHOOK": webhook.url})
        try:
            alert = webhook.wait_for(lambda p: "stalled" in p["text"] and webhook.payloads.index(p) >= before,
                                     timeout=240)
            assert alert is not None, (tmp_path / "crawl.log").read_text()
            assert site.stall_after is not None  # it came while the site was not answering
            assert alert["text"].startswith("newsdesk: site 'demo' is degraded")
            assert "no page answered and no article stored for" in alert["text"] and "stall_minutes = 0.1" in alert["text"]
        finally:
            site.release_stall()
            code = proc.wait(timeout=300)
    log = (tmp_path / "crawl.log").read_text()
    assert code == 0, log
    (status, message), = rows(db, "SELECT status, message FROM crawl_runs")
    assert status == "degraded" and "crawl stalled" in message
    assert [p["text"] for p in webhook.payloads[before:]].count(alert["text"]) == 1


def test_scheduled_site_that_has_not_run_is_overdue(tmp_path, receivers):
    from datetime import datetime, timedelta, timezone

    from models import repository, runs
    from models.db import resolve_url, session_factory, upgrade

    webhook, _ = receivers
    url = resolve_url(str(tmp_path / "news.db"))
    upgrade(url)
    with session_factory(url).begin() as session:  # one run, three hours ago; the schedule is every 30 min
        site_id = repository.ensure_site(session, "demo", "http://127.0.0.1/")
        run_id = runs.start_run(session, site_id, datetime.now(timezone.utc) - timedelta(hours=3), origin="schedule")
        runs.finish_run(session, run_id, status="finished", finish_reason="finished", counters={})
    toml = sites_file(tmp_path, "overdue_minutes = 60")
    env = {"NEWSDESK_ALERT_WEBHOOK": webhook.url, "NEWSDESK_DEMO_URL": "http://127.0.0.1:9"}
    before = len(webhook.payloads)
    first = run_newsdesk("health", "--db", url, "--sites", str(toml), env=env, timeout=120)
    assert first.returncode == 1 and "demo: degraded" in first.stdout
    assert "min late (overdue_minutes = 60)" in first.stdout
    second = run_newsdesk("health", "--db", url, "--sites", str(toml), env=env, timeout=120)
    assert second.returncode == 1
    alerts = webhook.payloads[before:]
    assert len(alerts) == 1 and "no run since" in alerts[0]["text"]


def test_bad_health_threshold_is_one_line_naming_site_and_field(tmp_path):
    toml = sites_file(tmp_path, "coverage_drop = 2")
    result = run_newsdesk("crawl", "demo", "--db", str(tmp_path / "news.db"), "--sites", str(toml),
                          env={"NEWSDESK_DEMO_URL": "http://127.0.0.1:9"}, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "site 'demo', field 'health.coverage_drop': must be a share between 0 and 1, got 2" in result.stderr
    toml.write_text(toml.read_text().replace("coverage_drop = 2", "stall_minute = 3"))
    result = run_newsdesk("health", "--db", str(tmp_path / "news.db"), "--sites", str(toml), timeout=120)
    assert result.returncode == 2 and "field 'health.stall_minute': unknown field" in result.stderr


def test_health_page_shows_the_drop_in_chromium(redesign, chromium, tmp_path):  # noqa: F811
    browser = Browser(chromium, tmp_path / "chromium-profile")
    for args, path, shot in (((), "/-/health", "health-datasette.png"),
                             (("--app", "builtin"), "/health", "health-builtin.png")):
        server = Server(str(redesign["db"]), *args)
        try:
            page = browser.dom(server.url + path)
            assert 'aria-label="coverage over runs of demo"' in page
            assert 'aria-label="comments per article over runs of demo"' in page
            # Run 3 is red: its band, the authors point, the body rule point and the comments bar.
            assert page.count('class="failed-run"') == 1 and page.count('class="failed"') == 3
            assert "run 3 degraded: authors coverage 0% of 51 article pages" in page
            assert "run 3 · authors: 0% (monitor failed)" in page and "run 5 · authors: 100%</title>" in page
            assert ">ok</span>" in page  # recovered: no open problem
            browser.screenshot(server.url + path, tmp_path / shot, size="1200,1300")
        finally:
            server.stop()


def test_undeliverable_alerts_are_logged_by_host_without_credentials(caplog):
    from crawler.monitors.alerts import Alerts
    from models.health import Change

    closed = _free_port()  # nothing listens there
    alerts = Alerts.from_env({"NEWSDESK_ALERT_WEBHOOK": f"http://127.0.0.1:{closed}/services/{WEBHOOK_TOKEN}",
                              "NEWSDESK_ALERT_SMTP": f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{closed}/"
                                                     "?from=a@example.org&to=b@example.org"})
    with caplog.at_level("WARNING", logger="newsdesk.health"):
        failures = alerts.send(Change("demo", opened=(("coverage:authors", "authors coverage 0%"),), run_id=7))
    assert len(failures) == 2 and all("host 127.0.0.1" in f for f in failures)
    logged = caplog.text + " ".join(failures)
    assert "alert not delivered by webhook (host 127.0.0.1)" in logged
    assert WEBHOOK_TOKEN not in logged and SMTP_PASSWORD not in logged and SMTP_USER not in logged


def test_health_records_and_problems_on_postgresql(pg_url):
    from models import health, repository, runs
    from models.db import session_factory, upgrade

    upgrade(pg_url)
    with session_factory(pg_url).begin() as session:
        site_id = repository.ensure_site(session, "demo", "http://127.0.0.1/")
        run_id = runs.start_run(session, site_id, origin="crawl")
        runs.finish_run(session, run_id, status="degraded", finish_reason="finished", counters={},
                              message="site 'demo' degraded: authors coverage 0%")
        health.record_run_health(session, run_id, site_id, {"articles": 10, "authors_coverage": 0.0, "requests": 40,
                                                            "reasons": {"errors/timeout": 2}, "rules": {"body": 0.5}},
                                 {"coverage:authors": "authors coverage 0%"})
        opened = health.update_problems(session, "demo", {"coverage:authors": "authors coverage 0%"}, run_id=run_id)
    with session_factory(pg_url).begin() as session:
        again = health.update_problems(session, "demo", {"coverage:authors": "authors coverage 0%"}, run_id=run_id)
        (run,) = health.recent_runs(session, "demo")
        cleared = health.update_problems(session, "demo", {}, run_id=run_id)
    assert opened.opened == (("coverage:authors", "authors coverage 0%"),) and not again
    assert cleared.cleared == (("coverage:authors", "authors coverage 0%"),)
    assert run.status == "degraded" and run.figures["authors_coverage"] == 0.0 and run.figures["rules"] == {"body": 0.5}
    assert run.reasons == {"errors/timeout": 2} and set(run.problems) == {"coverage:authors"}
