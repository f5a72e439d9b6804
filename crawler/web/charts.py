"""Charts as inline SVG: no JavaScript, no CDN (newsdesk serve runs on closed networks).

Each function takes plain rows and returns one ``<svg>`` element as a string, with every
label escaped; a ``<title>`` on each bar gives the exact number on hover.
"""
from __future__ import annotations

from datetime import date, timedelta
from html import escape

from models import stats

PALETTE = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5",
           "#9c6b4e", "#9498a0"]
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _nice_max(value: int) -> int:
    """The top of the y axis: four whole-number grid steps of 1, 2 or 5 times a power of ten."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if value <= 4 * step * magnitude:
                return 4 * step * magnitude
        magnitude *= 10


def _empty(width: int, height: int, message: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" {FONT}>'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#666">{escape(message)}</text></svg>')


def stacked_bars(days: list[str], series: dict[str, list[int]], *, width: int = 900, height: int = 320,
                 label: str = "articles per day") -> str:
    """One bar per day, stacked by site (``series[site][i]`` belongs to ``days[i]``).

    The x axis is time: a day sits where its date falls between the first and the last, so a
    gap of two years between two runs of articles shows as two years of empty axis.
    """
    if not days:
        return _empty(width, height, "no articles yet")
    dates = [date.fromisoformat(d[:10]) for d in days]
    first, last = min(dates), max(dates)
    span = (last - first).days + 1
    # left: room for the first x label, which is rotated to the left of its tick; the legend
    # sits above the plot, away from the rotated labels under it.
    left, right, top, bottom = 76, 16, 34, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    y_max = _nice_max(max(totals) or 1)
    day_w = plot_w / span
    bar_w = min(max(day_w * 0.8, 2), 48)

    def x_of(d: date) -> float:
        return left + (d - first).days * day_w + day_w / 2

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(label)}" {FONT}>']
    for i in range(5):  # horizontal grid and y labels
        value = y_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{value:.0f}</text>')
    colors = {site: PALETTE[i % len(PALETTE)] for i, site in enumerate(series)}
    for i, (day, d) in enumerate(zip(days, dates, strict=False)):
        x = x_of(d) - bar_w / 2
        base = top + plot_h
        for site, values in series.items():
            n = values[i]
            if not n:
                continue
            h = plot_h * n / y_max
            base -= h
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{colors[site]}"><title>{escape(day)} · {escape(site)}: {n}</title></rect>')
    # Ticks at evenly spaced dates (every day when there are few), labelled under the axis.
    ticks = span if span <= 12 else 8
    tick_days = sorted({first + timedelta(days=round(k * (span - 1) / max(ticks - 1, 1))) for k in range(ticks)})
    label_y = top + plot_h + 14
    for d in tick_days:
        x = x_of(d)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" stroke="#888"/>'
                     f'<text x="{x:.1f}" y="{label_y}" text-anchor="end" fill="#444" '
                     f'transform="rotate(-35 {x:.1f} {label_y})">{d.isoformat()}</text>')
    lx = left
    for site, color in colors.items():  # legend, above the plot
        parts.append(f'<rect x="{lx}" y="6" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="15" fill="#222">{escape(site)}</text>')
        lx += 24 + 7 * len(site)
    parts.append("</svg>")
    return "".join(parts)


def column_chart(rows: list[tuple[str, int]], *, width: int = 900, height: int = 260,
                 label: str = "articles by number of comments", color: str = PALETTE[0]) -> str:
    """Vertical bars with a label under each (a histogram when the labels are buckets)."""
    if not rows or not any(n for _, n in rows):
        return _empty(width, height, "nothing to show yet")
    left, right, top, bottom = 48, 12, 18, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max(n for _, n in rows))
    step = min(plot_w / len(rows), 110)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(label)}" {FONT}>']
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{y_max * i / 4:.0f}</text>')
    for i, (name, n) in enumerate(rows):
        h = plot_h * n / y_max
        x = left + i * step + step * 0.1
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
                     f'fill="{color}"><title>{escape(name)}: {n}</title></rect>')
        parts.append(f'<text x="{x + step * 0.4:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" '
                     f'fill="#222">{n}</text>')
        parts.append(f'<text x="{x + step * 0.4:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'fill="#444">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(rows: list[tuple[str, int]], *, width: int = 900, label: str = "top authors",
              color: str = PALETTE[2]) -> str:
    """Horizontal bars, one row per label, largest first as given."""
    if not rows:
        return _empty(width, 80, "no authors yet")
    row_h, left, right = 24, 200, 60
    height = row_h * len(rows) + 10
    x_max = max(n for _, n in rows) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(label)}" {FONT}>']
    for i, (name, n) in enumerate(rows):
        y = 5 + i * row_h
        w = (width - left - right) * n / x_max
        shown = name if len(name) <= 30 else name[:29] + "…"
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="#222">{escape(shown)}</text>'
                     f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="{color}">'
                     f'<title>{escape(name)}: {n}</title></rect>'
                     f'<text x="{left + w + 6:.1f}" y="{y + 15}" fill="#222">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts_for(session, site: str | None = None, days: int = 60) -> list[dict[str, str]]:
    """The three charts of the charts page: [{"title", "note", "svg"}]."""
    daily = sorted(stats.daily(session, site, days))
    day_list = sorted({d for d, *_ in daily})
    sites = sorted({s for _, s, *_ in daily})
    series = {s: [0] * len(day_list) for s in sites}
    index = {d: i for i, d in enumerate(day_list)}
    for day, name, n_articles, _dups, _comments in daily:
        series[name][index[day]] += n_articles
    authors = stats.top_authors(session, site)
    return [
        {"title": "Articles per day per site",
         "note": f"the last {days} days that have articles, by publication day (UTC), on a time axis "
                 "(days without articles are empty space); hover a bar for its count",
         "svg": stacked_bars(day_list, series)},
        {"title": "Comments per article",
         "note": "how many articles have how many visible comments",
         "svg": column_chart(stats.comment_count_histogram(session, site))},
        {"title": "Top authors",
         "note": "by number of articles (bylines); hover for the count",
         "svg": bar_chart([(name, n) for name, n, _ in authors])},
    ]


# --- the Health page ------------------------------------------------------------------------

FAILED = "#d62728"
COVERAGE_SERIES = (("title", "title_coverage"), ("authors", "authors_coverage"), ("published", "published_coverage"),
                   ("body", "body_coverage"), ("section", "section_coverage"), ("image", "image_coverage"),
                   ("language", "language_coverage"))


def _failed_columns(problems: dict) -> set[str]:
    """The run_health columns (or rule names, as "rule:NAME") a run's failed monitors name."""
    out = set()
    for kind in problems:
        if kind.startswith("coverage:"):
            name = kind.split(":", 1)[1]
            out.add("comments_per_article" if name == "comments" else f"{name}_coverage")
        elif kind.startswith("rule:"):
            out.add(kind)
    return out


def coverage_over_runs(site: str, runs: list, *, width: int = 900, height: int = 300) -> str:
    """One line per field (share of the run's stored articles that have it), one point per
    run, oldest left; a run that failed a monitor has a red band, and the point of each
    field it failed on is red (hover: the monitor's message)."""
    runs = [r for r in runs if r.figures and r.figures.get("articles")]
    if not runs:
        return _empty(width, 120, f"no runs of {site} with articles yet")
    left, right, top, bottom = 48, 110, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(runs) - 1, 1)
    x_of = (lambda i: left + i * step) if len(runs) > 1 else (lambda i: left + plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="coverage over runs of {escape(site)}" {FONT}>']
    for i, r in enumerate(runs):  # red bands first, under the lines
        if r.problems:
            band = max(min(step, 40), 14)
            parts.append(f'<rect class="failed-run" x="{x_of(i) - band / 2:.1f}" y="{top}" width="{band:.1f}" '
                         f'height="{plot_h}" fill="{FAILED}" fill-opacity="0.15"><title>run {r.run_id} '
                         f'{escape(r.status)}: {escape("; ".join(r.problems.values()))}</title></rect>')
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{k * 25}%</text>')
    series = list(COVERAGE_SERIES) + [(f"{name} rule", f"rule:{name}")
                                      for name in sorted({n for r in runs for n in (r.figures.get("rules") or {})})]
    for index, (label, column) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = []
        for i, r in enumerate(runs):
            value = (r.figures.get("rules") or {}).get(column[5:]) if column.startswith("rule:") else r.figures.get(column)
            if value is not None:
                points.append((i, value, column in _failed_columns(r.problems), r))
        if not points:
            continue
        dash = ' stroke-dasharray="5 3"' if column.startswith("rule:") else ""
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="'
                     + " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v, _, _ in points) + '"/>')
        for i, v, failed, r in points:
            tip = f"run {r.run_id} · {label}: {v:.0%}" + (" (monitor failed)" if failed else "")
            mark = ' class="failed"' if failed else ""
            parts.append(f'<circle{mark} cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" '
                         f'r="{5 if failed else 3}" fill="{FAILED if failed else color}"><title>{escape(tip)}</title></circle>')
        ly = top + 12 + index * 16  # legend on the right
        parts.append(f'<line x1="{left + plot_w + 10}" x2="{left + plot_w + 28}" y1="{ly - 4}" y2="{ly - 4}" '
                     f'stroke="{color}" stroke-width="2"{dash}/><text x="{left + plot_w + 32}" y="{ly}" fill="#222">'
                     f'{escape(label)}</text>')
    for i, r in enumerate(runs):  # name what failed beside the red points (lines that fall together overlap)
        failed = [label for label, column in series if column in _failed_columns(r.problems)]
        for k, label in enumerate(failed):
            parts.append(f'<text x="{x_of(i) + 9:.1f}" y="{top + plot_h - 6 - 14 * k:.1f}" fill="{FAILED}">'
                         f'{escape(label)}</text>')
    every = max(1, round(len(runs) / 15))
    for i, r in enumerate(runs):
        if i % every == 0 or i == len(runs) - 1:
            parts.append(f'<text x="{x_of(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                         f'fill="{FAILED if r.problems else "#444"}">{r.run_id}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="#666">run</text>')
    parts.append("</svg>")
    return "".join(parts)


def comments_over_runs(site: str, runs: list, *, width: int = 900, height: int = 200) -> str:
    """Comments per stored article, one bar per run, red where that monitor failed."""
    runs = [r for r in runs if r.figures and r.figures.get("comments_per_article") is not None]
    if not runs:
        return _empty(width, 80, f"no runs of {site} with articles yet")
    left, right, top, bottom = 48, 110, 16, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [r.figures["comments_per_article"] for r in runs]
    y_max = max(max(values), 1e-9)
    step = plot_w / len(runs)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="comments per article over runs of {escape(site)}" {FONT}>']
    for k in range(3):
        y = top + plot_h - plot_h * k / 2
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{y_max * k / 2:.1f}</text>')
    for i, (r, v) in enumerate(zip(runs, values, strict=False)):
        failed = "comments_per_article" in _failed_columns(r.problems)
        h = max(plot_h * v / y_max, 3 if failed else 0)  # a failed 0 still shows red
        x = left + i * step + step * 0.15
        mark = ' class="failed"' if failed else ""
        parts.append(f'<rect{mark} x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{FAILED if failed else PALETTE[0]}">'
                     f'<title>run {r.run_id}: {v:.1f} comments per article</title></rect>')
        if failed:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h - h - 5:.1f}" text-anchor="middle" '
                         f'fill="{FAILED}">{v:.1f}</text>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'fill="{FAILED if r.problems else "#444"}">{r.run_id}</text>')
    parts.append("</svg>")
    return "".join(parts)


def health_for(session, site: str | None = None, runs: int = 30) -> list[dict]:
    """The Health page, per site: its state, open problems, the two charts and its runs (newest first)."""
    from models import health

    from ..monitors.figures import shown

    names = [site] if site else health.site_names(session)
    problems = health.all_open_problems(session)
    out = []
    for name in names:
        recent = health.recent_runs(session, name, runs)
        oldest_first = list(reversed(recent))
        rows = []
        for r in recent[:10]:
            f = r.figures
            rows.append({"run": r.run_id, "started": r.started_at, "status": r.status, "articles": f.get("articles"),
                         "cells": [shown(c, f.get(c)) for _, c in COVERAGE_SERIES]
                         + [shown("comments_per_article", f.get("comments_per_article")),
                            str(f.get("comment_threads_failed", "–")), shown("article_share", f.get("article_share")),
                            shown("error_rate", f.get("error_rate")), shown("skip_rate", f.get("skip_rate")),
                            shown("pages_per_second", f.get("pages_per_second"))],
                         "failed": _failed_columns(r.problems), "message": r.message if r.problems else None})
        open_ = problems.get(name, {})
        out.append({"site": name, "state": "degraded" if open_ else ("ok" if recent else "never run"),
                    "problems": list(open_.values()), "rows": rows,
                    "columns": [label for label, _ in COVERAGE_SERIES] + ["comments/art", "threads failed",
                                                                          "article share", "errors", "skipped", "pages/s"],
                    "coverage_svg": coverage_over_runs(name, oldest_first),
                    "comments_svg": comments_over_runs(name, oldest_first)})
    return out
