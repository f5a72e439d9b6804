"""``newsdesk schedule``: every site with a ``schedule`` in sites.toml, re-crawled on it, unattended.

An APScheduler 3 ``BackgroundScheduler`` keeps one job per site in the newsdesk database
(``SQLAlchemyJobStore``, table ``apscheduler_jobs`` from migration 0004), so jobs and their
next run times survive restarts. On start the jobs are brought in line with sites.toml: a
site whose schedule is unchanged keeps its job and next run time, a changed schedule is
rescheduled, a site that lost its schedule loses its job. Runs missed while the scheduler
was down are coalesced into one, if it is less than the misfire grace late.

Each run is a child process running ``newsdesk crawl SITE`` (Twisted's reactor cannot be
restarted inside one process), the same crawl as ``scrapy crawl news -a site=SITE``. The
scheduler opens the run's ``crawl_runs`` row first and hands its id to the crawl, which
fills it from its stats; if the process dies without closing it, the scheduler records
why. A failed run stays failed; the site's next scheduled run is the retry.

A site never crawls twice at once: ``max_instances=1`` (and a per-site guard across the
``--now`` run and the scheduled one) inside one scheduler, and the crawl lock in the
database (crawler/extensions/crawllock.py) across schedulers, cron lines and manual crawls.

SIGTERM/SIGINT: no new runs start; each running crawl gets one SIGTERM, which is Scrapy's
graceful stop (in-flight pages finish, the run is recorded as cancelled/shutdown), and the
scheduler exits when they have. A second signal forces them.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import datetime, timezone

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from models import runs
from models.db import get_engine, session_factory

from .contracts import EXIT_SKIPPED  # another process holds the site's lock
from .schedules import (
    JOB_PREFIX,
    NOW_PREFIX,
    ScheduleOptions,
    StoppableScheduler,
    ensure_schema_racing,
    scheduled_sites,
)
from .sites import ConfigError, SiteConfig, config_path, parse_schedule

logger = logging.getLogger("newsdesk.schedule")

# Stored in the job store by name: this path must stay importable across versions.
JOB_FUNC = "crawler.scheduler:run_scheduled_crawl"
OVERDUE_CHECK_MINUTES = 5  # how often the scheduler looks for scheduled sites that have not run


def _utc(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "paused"


class SiteScheduler:
    def __init__(self, options: ScheduleOptions):
        self.options = options
        self.sessions = session_factory(options.db_url)
        self.sites: dict[str, SiteConfig] = {}
        self.children: dict[str, subprocess.Popen] = {}
        self.guard = threading.Lock()
        self.stopping = threading.Event()
        self.scheduler = StoppableScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=get_engine(options.db_url)),
                       "startup": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max(1, options.max_parallel))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": options.misfire_grace},
            timezone=timezone.utc,
        )

    # --- jobs ----------------------------------------------------------------------------

    def start(self) -> None:
        unschedulable: dict[str, str] = {}
        self.sites = scheduled_sites(self.options.sites_file, unschedulable)
        if not self.sites and unschedulable:
            raise ConfigError("no site can be scheduled: " + "; ".join(unschedulable.values()))
        if not self.sites:
            raise ConfigError(f"no site in {config_path(self.options.sites_file)} has a schedule "
                              "(add schedule = \"*/30 * * * *\" or \"1h\" to a site)")
        ensure_schema_racing(self.options.db_url)
        global _active
        _active = self
        self.scheduler.add_listener(self.on_max_instances, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.add_listener(self.on_missed, EVENT_JOB_MISSED)
        # Paused until the stored jobs match sites.toml: nothing runs on a stale schedule.
        self.scheduler.start(paused=True)
        self.sync_jobs()
        if self.options.run_now:
            for name in self.sites:
                self.scheduler.add_job(JOB_FUNC, "date", run_date=datetime.now(timezone.utc), id=NOW_PREFIX + name,
                                       name=name, kwargs={"site": name}, jobstore="startup",
                                       misfire_grace_time=None)
        # Site health: a scheduled site whose due run has not started (crawler/monitors/overdue.py).
        self.scheduler.add_job(self.check_schedules, "interval", minutes=OVERDUE_CHECK_MINUTES, id="health:overdue",
                               jobstore="startup", next_run_time=datetime.now(timezone.utc))
        self.scheduler.resume()

    def check_schedules(self) -> None:
        from .monitors.alerts import AlertConfigError, Alerts
        from .monitors.overdue import check_schedules

        try:
            alerts = Alerts.from_env()
        except AlertConfigError as exc:
            logger.error("alerts off: %s", exc)
            alerts = None
        try:
            for site, message in check_schedules(self.options.db_url, self.sites, alerts).items():
                logger.warning("site %s: overdue: %s", site, message)
        except Exception as exc:  # noqa: BLE001 - a busy database: the next check tries again
            logger.warning("schedule health check failed: %s", exc)

    def sync_jobs(self) -> None:
        stored = {job.id: job for job in self.scheduler.get_jobs(jobstore="default") if job.id.startswith(JOB_PREFIX)}
        for name, cfg in self.sites.items():
            job = stored.pop(JOB_PREFIX + name, None)
            kwargs = {"site": name, "schedule": cfg.schedule}
            if job is not None and job.kwargs.get("schedule") == cfg.schedule:
                if job.misfire_grace_time != self.options.misfire_grace:
                    job.modify(misfire_grace_time=self.options.misfire_grace)
                how = "kept"
            else:
                self.scheduler.add_job(JOB_FUNC, parse_schedule(cfg.schedule), id=JOB_PREFIX + name, name=name,
                                       kwargs=kwargs, jobstore="default", replace_existing=True)
                how = "new" if job is None else f"rescheduled from {job.kwargs.get('schedule')!r}"
            logger.info("site %s: schedule %r, next run %s (%s)", name, cfg.schedule,
                        _utc(self.scheduler.get_job(JOB_PREFIX + name).next_run_time), how)
        for job_id in stored:  # sites that are gone from sites.toml, or lost their schedule
            self.scheduler.remove_job(job_id, jobstore="default")
            logger.info("site %s: no schedule in the sites file any more, job removed", job_id[len(JOB_PREFIX):])

    def on_max_instances(self, event) -> None:
        site = event.job_id.split(":", 1)[1]
        self.record_skipped(site, "the previous run is still going")

    def on_missed(self, event) -> None:
        logger.warning("site %s: the run due at %s was missed by more than the misfire grace (%ss); "
                       "the next one is on schedule", event.job_id.split(":", 1)[1], _utc(event.scheduled_run_time),
                       self.options.misfire_grace)

    def record_skipped(self, site: str, why: str) -> None:
        cfg = self.sites.get(site)
        message = f"site {site!r}: {why}; this scheduled run is skipped"
        with self.sessions.begin() as session:
            run_id = runs.record_skipped(session, site, cfg.base_url if cfg else None, origin="schedule",
                                         reason="still_running", message=message)
        logger.warning("run %d: %s", run_id, message)

    # --- runs ----------------------------------------------------------------------------

    def crawl_command(self, site: str, run_id: int) -> list[str]:
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", site]
        if self.options.sites_file:
            cmd += ["--sites", os.path.abspath(self.options.sites_file)]
        settings = {"LOG_LEVEL": "WARNING", **self.options.crawl_settings,
                    "NEWSDESK_RUN_ID": str(run_id), "NEWSDESK_RUN_ORIGIN": "schedule"}
        for key, value in settings.items():
            cmd += ["-s", f"{key}={value}"]
        return cmd

    def run_site(self, site: str) -> None:
        cfg = self.sites.get(site)
        with self.guard:
            if self.stopping.is_set():
                return
            if site in self.children:
                running = self.children[site].pid
            else:
                running = None
                with self.sessions.begin() as session:
                    run_id = runs.open_run(session, site, cfg.base_url if cfg else None, "schedule")
                # The database URL goes through the environment: a password in it would be
                # visible to every user in `ps` on the command line.
                env = {**os.environ, "NEWSDESK_DATABASE_URL": self.options.db_url}
                # Its own session: a Ctrl-C in the scheduler's terminal must not reach the
                # crawl too (two signals would force it); the scheduler sends exactly one.
                proc = subprocess.Popen(self.crawl_command(site, run_id), env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        errors="replace", start_new_session=True)
                self.children[site] = proc
        if running is not None:
            self.record_skipped(site, f"its previous run (pid {running}) is still going")
            return
        started = time.monotonic()
        logger.info("site %s: run %d started (pid %d)", site, run_id, proc.pid)
        tail: deque[str] = deque(maxlen=20)
        for line in proc.stderr:  # the crawl's warnings and errors, under the site's name
            line = line.rstrip()
            if line:
                tail.append(line)
                logger.info("site %s | %s", site, line)
        code = proc.wait()
        with self.guard:
            self.children.pop(site, None)
        self.record_outcome(site, run_id, code, list(tail), time.monotonic() - started)

    def record_outcome(self, site: str, run_id: int, code: int, tail: list[str], seconds: float) -> None:
        last = tail[-1] if tail else ""
        with self.sessions.begin() as session:
            if code == -signal.SIGTERM and self.stopping.is_set():
                # Stopped by us before Scrapy had installed its graceful handler.
                runs.close_if_unfinished(session, run_id, reason="shutdown",
                                         message="the scheduler stopped before the crawl had started")
            elif code < 0:
                name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
                runs.close_if_unfinished(session, run_id, reason="killed",
                                         message=f"the crawl process was killed by {name}")
            elif code not in (0, EXIT_SKIPPED):
                died = runs.close_if_unfinished(session, run_id, reason="process_exit",
                                                message=f"the crawl process exited with code {code}: {last}")
                if not died and last:  # the crawl recorded a failure; its last words say why
                    runs.add_message(session, run_id, last)
            else:
                runs.close_if_unfinished(session, run_id, reason="process_exit",
                                         message="the crawl process ended without recording its run")
            run = runs.get_run(session, run_id)
        if run.status == "finished":
            logger.info("site %s: run %d finished in %.1fs: %d pages, %d new, %d updated, %d unchanged articles, "
                        "%d new comments, %d errors", site, run_id, seconds, run.pages_fetched, run.articles_new,
                        run.articles_updated, run.articles_unchanged, run.comments_new, run.errors)
        elif run.status == "skipped":
            logger.warning("site %s: run %d skipped: %s", site, run_id, run.message)
        else:
            logger.warning("site %s: run %d %s (%s) after %.1fs%s", site, run_id, run.status, run.finish_reason,
                           seconds, f": {run.message}" if run.message else "")

    # --- stopping ------------------------------------------------------------------------

    def stop(self) -> None:
        """No new runs; ask each running crawl to stop cleanly; wait for them (and for
        their rows to be recorded)."""
        with self.guard:
            self.stopping.set()
            children = dict(self.children)
        if self.scheduler.running:
            self.scheduler.pause()
        for site, proc in children.items():
            logger.info("site %s: asking the running crawl (pid %d) to stop", site, proc.pid)
            _signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + self.options.stop_timeout
        while any(p.poll() is None for p in children.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for site, proc in children.items():
            if proc.poll() is None:
                logger.warning("site %s: the crawl did not stop within %gs; forcing it", site, self.options.stop_timeout)
                self.force(proc)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def force(self, proc: subprocess.Popen) -> None:
        _signal(proc, signal.SIGTERM)  # Scrapy's second signal: unclean, immediate stop
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()

    def force_all(self) -> None:
        with self.guard:
            children = list(self.children.values())
        for proc in children:
            _signal(proc, signal.SIGTERM)

    def serve(self) -> None:
        """Run until SIGTERM or SIGINT."""
        requested = threading.Event()

        def on_signal(signum, _frame):
            if requested.is_set():
                logger.warning("%s again: forcing the running crawls to stop", signal.Signals(signum).name)
                self.force_all()
                return
            logger.info("%s: no new runs; waiting for running crawls to stop cleanly", signal.Signals(signum).name)
            requested.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        logger.info("scheduler running (%d sites); stop with SIGTERM or Ctrl-C", len(self.sites))
        while not requested.wait(0.5):
            pass
        self.stop()
        logger.info("scheduler stopped")


def _signal(proc: subprocess.Popen, signum: int) -> None:
    try:
        proc.send_signal(signum)
    except ProcessLookupError:
        pass


# The scheduler of this process, for the stored jobs (which hold only a reference to
# run_scheduled_crawl and the site's name, so they can be unpickled after a restart).
_active: SiteScheduler | None = None


def run_scheduled_crawl(site: str, schedule: str | None = None) -> None:
    if _active is None:  # pragma: no cover - a job can only run inside a started scheduler
        raise RuntimeError("no scheduler is running in this process")
    _active.run_site(site)
