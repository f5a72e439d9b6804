"""newsdesk health: each site's extraction health over its recent runs; exit 1 when a site is degraded.

For cron and Nagios-style checks: exit status 0 when every site is healthy, 1 when one has an
open problem (a monitor failed on its last judged run, its crawl stalled, or, for a scheduled
site, its due run has not started). Checking the schedules records and announces an overdue
site like any other problem (NEWSDESK_ALERT_WEBHOOK / NEWSDESK_ALERT_SMTP, once per problem).
"""
from __future__ import annotations

import argparse

from ..cli import CommandError, add_db_argument, require_database

EXIT_DEGRADED = 1


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("health", help="extraction health per site and run; exit 1 when a site is degraded",
                       description="Per site, its recent runs: field coverage of the stored articles, comments "
                                   "per article, threads failed, share of pages that were articles, error and skip "
                                   "rates, pages/s, and the problems monitors found. Scheduled sites that have not "
                                   "run when due are reported (and alerted) too. Exit status 1 when a site is "
                                   "degraded.")
    p.add_argument("--site", help="only this site")
    p.add_argument("--runs", type=int, default=5, metavar="N", help="recent runs shown per site (default 5)")
    p.add_argument("--sites", metavar="FILE", help="sites file, for the schedule check (default: $NEWSDESK_SITES, "
                                                   "else ./sites.toml when it exists)")
    add_db_argument(p)
    return p


COLUMNS = (("title", "title_coverage"), ("authors", "authors_coverage"), ("published", "published_coverage"),
           ("body", "body_coverage"), ("section", "section_coverage"), ("image", "image_coverage"),
           ("lang", "language_coverage"), ("comments/art", "comments_per_article"),
           ("threads failed", "comment_threads_failed"), ("article share", "article_share"),
           ("errors", "error_rate"), ("skipped", "skip_rate"), ("pages/s", "pages_per_second"))


def _scheduled_sites(path: str | None) -> dict:
    from ..sites import config_path, load_sites

    if path is None and not config_path(None).exists():
        return {}  # an analyst's machine without the crawl's configuration: no schedule to check
    return {name: cfg for name, cfg in load_sites(path).items() if cfg.schedule and not cfg.unresolved}


def run(args) -> int:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy.exc import SQLAlchemyError

    from models import health
    from models.db import resolve_url, session_factory

    from ..monitors.alerts import AlertConfigError, Alerts
    from ..monitors.figures import shown
    from ..monitors.overdue import check_schedules

    if args.runs < 1:
        raise CommandError("--runs must be at least 1", code=2)
    url = resolve_url(args.db)
    scheduled = _scheduled_sites(args.sites)  # a bad sites file: one line, before anything else
    require_database(url)
    try:
        alerts = Alerts.from_env()
    except AlertConfigError as exc:
        raise CommandError(str(exc), code=2) from None
    if args.site:
        scheduled = {k: v for k, v in scheduled.items() if k == args.site}
    try:
        overdue = check_schedules(url, scheduled, alerts) if scheduled else {}
    except SQLAlchemyError as exc:  # a read-only copy of the database: judge without recording
        from ..monitors.overdue import overdue_message

        print(f"newsdesk health: the schedule check is not recorded: {exc.orig if hasattr(exc, 'orig') else exc}")
        with session_factory(url)() as session:
            overdue = {n: m for n, c in scheduled.items()
                       if (m := overdue_message(c, health.last_run_started(session, n)))}

    with session_factory(url)() as session:
        names = health.site_names(session)
        if args.site:
            if args.site not in names:
                raise CommandError(f"no site named {args.site!r} in the database")
            names = [args.site]
        per_site = {name: health.recent_runs(session, name, args.runs) for name in names}
        problems = health.all_open_problems(session)

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)  # piped or captured: no wrapping of cells
    degraded = []
    for name in names:
        runs = per_site[name]
        open_ = dict(problems.get(name, {}))
        if name in overdue:
            open_["overdue"] = overdue[name]
        state = "degraded" if open_ else ("never run" if not runs else "ok")
        if open_:
            degraded.append(name)
        color = {"degraded": "red", "ok": "green"}.get(state, "yellow")
        table = Table(title=f"{name}: [{color}]{state}[/{color}] (recent runs, newest first; coverage = share of "
                            f"the run's stored articles with the field)", title_justify="left")
        for label, justify in (("run", "right"), ("started (UTC)", "left"), ("status", "left"),
                               ("articles", "right"), *((c, "right") for c, _ in COLUMNS), ("top reasons", "left")):
            table.add_column(label, justify=justify, overflow="fold", no_wrap=label == "started (UTC)")
        for r in runs:
            f = r.figures
            status = f"[red]{r.status}[/red]" if r.status in ("degraded", "failed") else r.status
            sent = f.get("requests") or 0
            reasons = ", ".join(f"{k} {v}" + (f" ({v / sent:.0%})" if sent else "")
                                for k, v in sorted(r.reasons.items(), key=lambda kv: -kv[1])[:3])
            if not f:
                table.add_row(str(r.run_id), r.started_at.strftime("%Y-%m-%d %H:%M"),
                              status, "–", *["–"] * len(COLUMNS), "no figures recorded")
                continue
            cells = []
            for _, column in COLUMNS:
                value = f.get(column)
                text = str(value) if column == "comment_threads_failed" else shown(column, value)
                failed = any(k == f"coverage:{column.removesuffix('_coverage')}" or
                             (column == "comments_per_article" and k == "coverage:comments") or
                             (column == "error_rate" and k == "error_rate") for k in r.problems)
                cells.append(f"[red]{text}[/red]" if failed else text)
            table.add_row(str(r.run_id), r.started_at.strftime("%Y-%m-%d %H:%M"), status, str(f.get("articles") or 0),
                          *cells, reasons or "")
        if not runs:
            table.add_row("–", "no runs yet", *[""] * (len(COLUMNS) + 3))
        console.print(table)
        for message in open_.values():
            console.print(f"  [red]problem[/red]: {message}")
    if not names:
        print(f"no sites{f' named {args.site!r}' if args.site else ''} in the database yet")
    if degraded:
        console.print(f"degraded: {', '.join(degraded)}")
        return EXIT_DEGRADED
    return 0
