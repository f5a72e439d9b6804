"""Charts as inline SVG: no JavaScript, no CDN (newsdesk serve runs on closed networks).

Each function takes plain rows and returns one ``<svg>`` element as a string, with every
label escaped; a ``<title>`` on each bar gives the exact number on hover.
"""
from __future__ import annotations

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
    """One bar per day, stacked by site (``series[site][i]`` belongs to ``days[i]``)."""
    if not days:
        return _empty(width, height, "no articles yet")
    left, right, top, bottom = 48, 12, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    y_max = _nice_max(max(totals) or 1)
    step = plot_w / len(days)
    bar_w = min(max(step * 0.8, 1), 48)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(label)}" {FONT}>']
    for i in range(5):  # horizontal grid and y labels
        value = y_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{value:.0f}</text>')
    colors = {site: PALETTE[i % len(PALETTE)] for i, site in enumerate(series)}
    for i, day in enumerate(days):
        x = left + i * step + (step - bar_w) / 2
        base = top + plot_h
        for site, values in series.items():
            n = values[i]
            if not n:
                continue
            h = plot_h * n / y_max
            base -= h
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{colors[site]}"><title>{escape(day)} · {escape(site)}: {n}</title></rect>')
    every = max(1, round(len(days) / 12))
    for i, day in enumerate(days):
        if i % every == 0 or i == len(days) - 1:
            x = left + i * step + step / 2
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="end" fill="#444" '
                         f'transform="rotate(-35 {x:.1f} {top + plot_h + 14})">{escape(day)}</text>')
    lx = left
    for site, color in colors.items():  # legend
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{height - 5}" fill="#222">{escape(site)}</text>')
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
         "note": f"the last {days} days that have articles, by publication day (UTC); hover a bar for its count",
         "svg": stacked_bars(day_list, series)},
        {"title": "Comments per article",
         "note": "how many articles have how many visible comments",
         "svg": column_chart(stats.comment_count_histogram(session, site))},
        {"title": "Top authors",
         "note": "by number of articles (bylines); hover for the count",
         "svg": bar_chart([(name, n) for name, n, _ in authors])},
    ]
