"""When the article was published and last modified, from every place a page says so.

Sources (README "Extraction"): per-site rules, JSON-LD, microdata, the publication meta tags,
the entry's <time datetime>, a byline or dateline in the text, the date shown by the headline
(shown_dates.py), htmldate's markup heuristics, the URL's /YYYY/MM/DD/. A site rule wins outright. Otherwise the sources vote for a calendar
day, each with the weight of how often that kind of source names the right day (measured on
the development set, bench/extraction.py --dev: a byline, the URL and htmldate are right more
often than a JSON-LD datePublished, which CMSs fill with the post's creation or a template's
date). The value returned is the first source's, in the order above, that names the winning
day, so a machine-readable timestamp with its time of day and offset is kept whenever it agrees;
a URL or text date only decides the day, and only fills in the value when nothing else says it.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .bylines import IN_PAGE_FURNITURE
from .bylines import byline as _byline
from .bylines import datelines as _datelines
from .dates import ambiguous_numeric, dotted_numeric, parse_date
from .page import Page
from .shown_dates import shown_date
from .sources import css_first, declared_language, element_text, ld, micro, page_date_order, page_timezone
from .xpaths import MODIFIED_TIME

_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|[-_]|$)")

_PUBLISHED_META = ("article:published_time", "og:article:published_time", "datepublished", "dc.date.issued",
                   "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "pubdate", "publishdate",
                   "publish-date", "parsely-pub-date", "sailthru.date", "date", "og:pubdate", "article.published")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
                  "dcterms.modified", "last-modified", "article.updated")

# How often each kind of source names the right day (dev set, 2,107 pages with a date; a meta
# tag not listed counts _META_WEIGHT). Every meta tag votes on its own: a page that repeats its
# date in several tags says it more firmly than one stray JSON-LD value.
_WEIGHTS = {"ld": 0.87, "ld_created": 0.8, "micro": 0.89, "time_published": 0.86, "time": 0.87, "byline": 0.95,
            "dateline": 0.86, "shown": 0.9, "htmldate": 0.88, "url": 0.94}
_META_WEIGHT = 0.85


def _parse(page: Page, value, order: str | None = None) -> datetime | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    if order is None and ambiguous_numeric(value):
        order = page.rules.date_order or ("DMY" if dotted_numeric(value) else page_date_order(page))
    parsed = parse_date(value, tz=page_timezone(page), date_order=order, fetched_at=page.fetched_at, keep_offset=True,
                        language=declared_language(page))
    try:  # an offset no clock has ("+99:00") only raises once the value is compared or converted
        return parsed if parsed is None or parsed.astimezone(timezone.utc) else None
    except (ValueError, OverflowError):
        return None


def _first_date(page: Page, values) -> datetime | None:
    for value in values:
        if (parsed := _parse(page, value)) is not None and _plausible(page, parsed):
            return parsed
    return None


def _plausible(page: Page, value: datetime) -> bool:
    """Nothing was published after the page was fetched (a day's slack for clocks and zones)."""
    return value <= page.fetched_at + timedelta(days=1)


def _htmldate(page: Page, extensive: bool = False) -> str | None:
    """htmldate's markup heuristics (date classes, abbr, free-text patterns); it works on a
    copy of the tree."""
    from htmldate import find_date  # slow to import (it brings dateparser); imported on first use

    try:
        return find_date(page.tree, url=page.url, original_date=True, extensive_search=extensive,
                         outputformat="%Y-%m-%dT%H:%M:%S", max_date=page.fetched_at.strftime("%Y-%m-%d"))
    except Exception:  # htmldate raises on odd markup; a missing date is not worth a lost article
        return None


def extract_dates(page: Page) -> tuple[datetime | None, datetime | None]:
    """(published, modified), kept apart; the site's time zone is applied to naive values."""
    times = page.tree.xpath(f"//time[@datetime][not({IN_PAGE_FURNITURE})]")
    if el := css_first(page, page.rules.published):
        published = _first_date(page, [el.get("datetime") or el.get("content") or element_text(el)])
    else:
        published = _voted(page, times)
    published = _with_time_of_day(page, published, _timed_published_sources(page, times))
    published = _local_day(page, published, _timed_published_sources(page, times))
    modified = _with_time_of_day(page, _first_date(page, _modified_sources(page, times)),
                                 _modified_sources(page, times))
    if published and modified and modified.astimezone(timezone.utc).date() < published.astimezone(timezone.utc).date():
        modified = None  # an "update" before the publication is a misread (another zone, another date)
    return published, modified


def _voted(page: Page, times: list) -> datetime | None:
    votes = []  # (rank in the order of trust, weight, parsed value)
    url_vote = None
    raws: dict = {}  # rank -> the text of a vote, for those read in a day/month order
    for rank, (kind, value) in enumerate(_published_sources(page, times)):
        if (parsed := _parse(page, value)) is not None and _plausible(page, parsed):
            if kind == "url":
                url_vote = (rank, _WEIGHTS.get(kind, _META_WEIGHT), parsed)
                continue
            votes.append((rank, _WEIGHTS.get(kind, _META_WEIGHT), parsed))
            raws[rank] = value
    # A date in the URL only fills in when nothing on the page says when it was published: the
    # page's own statement (a byline "12-07-2016" on a British page) is never outvoted by it.
    if url_vote is not None and not votes:
        votes.append(url_vote)
    votes = _settle_day_month_order(page, votes, raws)
    votes = _on_publishers_day(page, votes, url_vote)
    # htmldate costs as much as the rest of the date search: ask it only when its vote could
    # change the outcome (most pages say their date in several places that agree).
    score = _scores(votes)
    ranked = sorted(score.values(), reverse=True) + [0.0, 0.0]
    if ranked[0] - ranked[1] <= _WEIGHTS["htmldate"]:
        if (parsed := _parse(page, _htmldate(page))) is not None and _plausible(page, parsed):
            votes.append((_HTMLDATE_RANK, _WEIGHTS["htmldate"], parsed))
            score = _scores(votes)
    if not score:
        # htmldate's search of the text for date patterns, as trafilatura runs it: only when
        # nothing in the markup, the bylines or the URL says when the page was published
        return _first_date(page, [_htmldate(page, extensive=True)])
    first = {}
    for rank, _, parsed in sorted(votes, key=lambda v: v[0]):
        first.setdefault(parsed.date(), (rank, parsed))
    best = max(score, key=lambda day: (score[day], -first[day][0]))
    return first[best][1]


def _utc_instant(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0) and (value.hour, value.minute, value.second) != (0, 0, 0)


def _on_publishers_day(page: Page, votes: list, url_vote) -> list:
    """A timestamp written in UTC ("2019-11-19T04:50:22Z") falls on the publisher's day before or
    after when the page is west or east of Greenwich: where no source names its UTC day but
    the page (a byline, the date shown, a date-only value, the URL) names the day next to it,
    it is that instant on that day, in the page's zone or the nearest whole-hour offset."""
    local_days = {v[2].date() for v in votes if not _utc_instant(v[2])}
    if url_vote is not None:
        local_days.add(url_vote[2].date())
    out = []
    for rank, weight, parsed in votes:
        if _utc_instant(parsed) and parsed.date() not in local_days:
            for day in (parsed.date() - timedelta(days=1), parsed.date() + timedelta(days=1)):
                if day in local_days and (shifted := _instant_on_day(page, parsed, day)) is not None:
                    parsed = shifted
                    break
        out.append((rank, weight, parsed))
    return out


def _instant_on_day(page: Page, instant: datetime, day) -> datetime | None:
    """The instant in the page's zone when that is on ``day``; on a page of no known zone, in the
    nearest whole-hour offset that is (the same instant, so storage in UTC is unchanged)."""
    if zone := page_timezone(page):
        try:
            local = instant.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError, OverflowError):
            return None
        return local if local.date() == day else None
    sign = 1 if day > instant.date() else -1
    for hours in range(1, 12 if sign > 0 else 11):  # UTC+11 to UTC-10 (Hawaii)
        if (local := instant.astimezone(timezone(timedelta(hours=sign * hours)))).date() == day:
            return local
    return None


def _settle_day_month_order(page: Page, votes: list, raws: dict) -> list:
    """A numeric date both ways readable ("09.10.2024", "11/01/2023") is read the way that names
    the day another source names, when its usual reading names none: first against the
    sources that cannot be misread (ISO values, month names), then a slashed date also
    against the dotted ones (dots are how day-first countries write, so they are read first)."""
    def ambiguous(vote):
        value = raws.get(vote[0])
        return isinstance(value, str) and ambiguous_numeric(value)
    sure = {v[2].date() for v in votes if not ambiguous(v)}
    out = list(votes)
    for dotted in (True, False):
        for i, (rank, weight, parsed) in enumerate(out):
            value = raws.get(rank)
            if not ambiguous(out[i]) or dotted_numeric(value) != dotted or parsed.date() in sure:
                continue
            for order in ("DMY", "MDY"):
                other = _parse(page, value, order)
                if other is not None and other.date() in sure and _plausible(page, other):
                    out[i] = (rank, weight, other)
                    break
        if dotted:
            sure |= {v[2].date() for v in out if ambiguous(v) and dotted_numeric(raws[v[0]])}
    return out


def _scores(votes) -> dict:
    score: dict = {}
    for _, weight, parsed in votes:
        score[parsed.date()] = score.get(parsed.date(), 0.0) + weight
    return score


# htmldate's place in the order of trust: after the text's bylines, before the URL.
_HTMLDATE_RANK = 3 + len(_PUBLISHED_META) + 5 - 0.5


def _published_sources(page: Page, times: list):
    """(kind, value) for every source that says when the page was published, in order of
    trust (htmldate aside, see _voted)."""
    yield "ld", ld(page, "datePublished")
    yield "ld_created", ld(page, "dateCreated")
    yield "micro", micro(page, "datePublished")
    for key in _PUBLISHED_META:
        yield key, page.meta_first(key)
    yield "time_published", next((t.get("datetime") for t in times if t.get("itemprop") == "datePublished"
                                  or t.get("pubdate") is not None or "published" in (t.get("class") or "")), None)
    yield "time", next((t.get("datetime") for t in times if not t.xpath(MODIFIED_TIME)), None)
    yield "byline", (_byline(page) or {}).get("date")
    yield "dateline", _datelines(page).get("published")
    yield "shown", shown_date(page)
    if m := _URL_DATE.search(urlsplit(page.url).path):
        yield "url", "-".join(m.groups())


def _with_time_of_day(page: Page, found: datetime | None, markup) -> datetime | None:
    """A date without a time of day (a meta date, a URL's) gives way to the page's own
    machine-readable timestamp of the same day, which has one ("2016-02-28" ->
    <time datetime="2016-02-28T22:37:52+01:00">)."""
    if found is None or (found.hour, found.minute, found.second) != (0, 0, 0):
        return found
    for value in markup:
        if (isinstance(value, str) and re.search(r"\d[T ]\d{1,2}:\d{2}", value)
                and (timed := _parse(page, value)) is not None and timed.date() == found.date()
                and (timed.hour, timed.minute) != (0, 0)):
            return timed
    return found


_NAIVE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})$")


def _local_day(page: Page, found: datetime | None, markup) -> datetime | None:
    """A timestamp written in UTC ("2023-11-09T03:28:35Z") is, on many pages, the same instant
    as a local time the page also writes ("2023-11-08T22:28:35-05:00", or "2023-11-08 22:28:35"
    without a zone): the same minutes and seconds, a whole number of hours apart. That local
    time is the publisher's, and its day the one readers see: keep the instant in that offset.
    (Exactly midnight UTC is left alone: that is a day written as a timestamp, not an instant.)"""
    if found is None or found.utcoffset() != timedelta(0) or (found.minute, found.second) == (0, 0):
        return found
    for value in markup:
        if not isinstance(value, str) or len(value) > 40:
            continue
        if m := _NAIVE_TIME.match(value.strip()):
            try:
                local = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}:{m.group(3)}:{m.group(4)}")
            except ValueError:
                continue
            shift = local - found.replace(tzinfo=None, microsecond=0)
            if shift and abs(shift) <= timedelta(hours=14) and shift.total_seconds() % 1800 == 0:
                return found.astimezone(timezone(shift))
        elif (other := _parse(page, value)) is not None and other == found and other.utcoffset():
            return other
    # No local time written beside it: a site in a one-zone country (its locale or domain says
    # which) publishes on its own calendar (23:15Z on an Italian paper is 00:15 the next day).
    if zone := page_timezone(page):
        try:
            local = found.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError, OverflowError):
            return found
        # unless the page shows readers the UTC day (its clock is set to UTC)
        if local.date() != found.date() and found.date() in _text_days(page):
            return found
        return local
    return found


def _text_days(page: Page) -> set:
    values = ((_byline(page) or {}).get("date"), _datelines(page).get("published"), shown_date(page))
    return {parsed.date() for value in values if (parsed := _parse(page, value)) is not None}


def _timed_published_sources(page: Page, times: list):
    """The machine-readable publication times (JSON-LD, microdata, meta, the entry's <time>)."""
    yield ld(page, "datePublished")
    yield ld(page, "dateCreated")
    yield micro(page, "datePublished")
    yield from (page.meta_first(k) for k in _PUBLISHED_META)
    yield from (t.get("datetime") for t in times if not t.xpath(MODIFIED_TIME))


def _modified_sources(page: Page, times: list):
    yield ld(page, "dateModified")
    yield micro(page, "dateModified")
    yield from (page.meta_first(k) for k in _MODIFIED_META)
    yield from (t.get("datetime") for t in times if t.xpath(MODIFIED_TIME))
    yield (_byline(page) or {}).get("modified")
    yield _datelines(page).get("modified")
