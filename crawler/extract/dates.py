"""Date parsing shared by every field function: one place applies time zones, day/month order
and relative dates.

Machine-readable values (ISO 8601 in JSON-LD, meta tags, ``<time datetime>``) take the fast
path; text written for readers goes to dateutil, and what dateutil cannot read (month names
in other languages, "3 hours ago", "vor 2 Stunden", "hace 3 horas") to dateparser, with the
fetch time as the reference for relative dates.
"""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

# Abbreviations dateutil does not know; the common ones in news bylines.
_TZINFOS = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": 3600, "IST": 19800, "CET": 3600, "CEST": 7200, "EET": 7200, "EEST": 10800,
    "WET": 0, "WEST": 3600, "MSK": 10800, "JST": 32400, "KST": 32400, "HKT": 28800, "SGT": 28800, "AEST": 36000,
    "AEDT": 39600, "ACST": 34200, "AWST": 28800, "NZST": 43200, "NZDT": 46800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200, "MDT": -21600, "PST": -28800,
    "PDT": -25200, "AKST": -32400, "AKDT": -28800, "HST": -36000, "ET": -18000, "PT": -28800, "CT": -21600,
}


# The same abbreviations, to spot a zone written in a byline.
ZONE_ABBREVIATION = re.compile(r"\b(?:%s)\b" % "|".join(sorted((k for k in _TZINFOS if len(k) > 1), key=len,
                                                                 reverse=True)))


def localize(value: datetime, tz: str | None) -> datetime:
    """A naive datetime is local time of the site's zone (UTC when unknown); an aware one keeps
    the offset it was written with."""
    if value.tzinfo is None:
        try:
            zone = ZoneInfo(tz) if tz else timezone.utc
        except (ZoneInfoNotFoundError, ValueError):
            zone = timezone.utc
        value = value.replace(tzinfo=zone)
    return value


def to_utc(value: datetime, tz: str | None) -> datetime:
    return localize(value, tz).astimezone(timezone.utc)


_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?![\d/.-])")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_RELATIVE_EN = re.compile(r"^(?:(?P<n>\d+|an?|one)\s+(?P<unit>sec|second|min|minute|hr|hour|day|week|month|year)s?"
                          r"\s+ago|(?P<word>just now|now|today|yesterday))$", re.I)
_UNITS = {"sec": 1, "second": 1, "min": 60, "minute": 60, "hr": 3600, "hour": 3600, "day": 86400,
          "week": 604800, "month": 2592000, "year": 31536000}
_LETTERS = re.compile(r"[^\W\d_]{3,}")
# No date a page writes for readers or machines is longer than this; dateparser's cost grows
# faster than linearly with its input (100 KB of <time datetime> took 7 s), so longer text is
# not a date and is never parsed.
MAX_DATE_TEXT = 200
_DATE_DIGITS = re.compile(r"\d{4}|\d{1,2}[./-]\d{1,2}")
_TIME_ONLY = re.compile(r"^\d{1,2}[:h]\d{2}(:\d{2})?\s*(?i:[ap]\.?m\.?|uhr|h)?\s*([A-Z]{2,5})?$")


def ambiguous_numeric(text: str) -> bool:
    """True for "12-07-2016": both readings (day first, month first) are dates."""
    m = _NUMERIC.search(text or "")
    return bool(m) and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1) != m.group(2)


def dotted_numeric(text: str) -> bool:
    """True for "09.02.2022": dots are how day-first countries write a date; where the month
    comes first (the US) it is written with slashes."""
    m = _NUMERIC.search(text or "")
    return bool(m) and "." in m.group(0)


def _relative(text: str, fetched_at: datetime | None) -> datetime | None:
    if not (m := _RELATIVE_EN.match(text.strip())):
        return None
    base = fetched_at or datetime.now(timezone.utc)
    if word := m.group("word"):
        days = {"yesterday": 1}.get(word.lower(), 0)
        return base - timedelta(days=days)
    n = 1 if m.group("n").lower() in ("a", "an", "one") else int(m.group("n"))
    # "99999999999 days ago" overflows here: parse_date answers None, without asking dateparser.
    return base - timedelta(seconds=n * _UNITS[m.group("unit").lower()])


def _dateparser(text: str, *, dayfirst: bool, fetched_at: datetime | None, language: str | None):
    import dateparser  # slow to import; most dates never need it

    settings = {"PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY" if dayfirst else "MDY",
                "RETURN_AS_TIMEZONE_AWARE": False}
    if fetched_at:
        settings["RELATIVE_BASE"] = fetched_at.astimezone(timezone.utc).replace(tzinfo=None)
    langs = [language] if language and language in _dateparser_languages() else None
    try:
        value = dateparser.parse(text, languages=langs, settings=settings)
    except Exception:  # dateparser raises assorted errors on odd strings
        return None
    if value is not None and fetched_at is not None and value.tzinfo is None and "RELATIVE_BASE" in settings \
            and _looks_relative(text):
        value = value.replace(tzinfo=timezone.utc)  # computed from the UTC fetch time
    return value


def _looks_relative(text: str) -> bool:
    return not re.search(r"\d{4}", text)


_LANGS: set[str] | None = None


def _dateparser_languages() -> set[str]:
    global _LANGS
    if _LANGS is None:
        from dateparser.languages.loader import default_loader

        _LANGS = set(default_loader.get_locale_map().keys())
    return _LANGS


def parse_date(text: str | None, *, tz: str | None = None, date_order: str | None = None,
               fetched_at: datetime | None = None, language: str | None = None,
               keep_offset: bool = False) -> datetime | None:
    """Parse one date string to an aware UTC datetime, or None.

    With ``keep_offset`` the value stays in the offset the page wrote it with (the site's zone
    for a naive one): the same instant, but ``.date()`` is the publisher's calendar day, which
    UTC moves for an evening in America or a date-only value east of Greenwich (a page's
    "2019-11-19" is not 18 November). Storage converts to UTC (models/base.py UTCDateTime).

    ``date_order`` ("MDY"/"DMY") settles numeric dates like 12-07-2016; without it a number
    above 12 decides, and month first is the default. Relative dates count back from
    ``fetched_at``. ``language`` helps with month names and relative phrases in other languages.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_DATE_TEXT:
        return None
    try:
        value = _parse_date(text, tz=tz, date_order=date_order, fetched_at=fetched_at, language=language,
                            keep_offset=keep_offset)
        if value is not None:
            # A parser may hand back a zone of +25:00 that only fails when compared: ask now.
            value.utcoffset()
        return value
    except (ValueError, OverflowError):  # an offset of +99:00, a year past 9999: no date
        return None


def _parse_date(text: str, *, tz: str | None, date_order: str | None, fetched_at: datetime | None,
                language: str | None, keep_offset: bool) -> datetime | None:
    if _ISO.match(text):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if not 1900 < value.year < 2200:
                return None
            return localize(value, tz) if keep_offset else to_utc(value, tz)
        except ValueError:
            pass
    if rel := _relative(text, fetched_at):
        return rel.astimezone(timezone.utc)
    if _TIME_ONLY.match(text) or not (_LETTERS.search(text) or _DATE_DIGITS.search(text)):
        # "10:52" (Blogger's "Posted at 10:52"), "à 0 h 23": a time of some day, not a date;
        # the parsers would put it on the fetch day (no month word, no digits of a date)
        return None
    dayfirst = False
    if m := _NUMERIC.search(text):
        a, b = int(m.group(1)), int(m.group(2))
        if date_order == "DMY" or (date_order is None and a > 12 >= b):
            dayfirst = True
    value = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # a date without a year ("Nov 18") is in the year it was fetched, not the year we run
            default = (fetched_at or datetime.now(timezone.utc)).replace(hour=0, minute=0, second=0, microsecond=0,
                                                                         tzinfo=None)
            value = dateutil_parser.parse(text, dayfirst=dayfirst, fuzzy=False, tzinfos=_TZINFOS, default=default)
    except (ValueError, OverflowError, TypeError):
        if _LETTERS.search(text) or len(text) < 40:
            value = _dateparser(text, dayfirst=dayfirst, fetched_at=fetched_at, language=language)
    if value is None or not 1900 < value.year < 2200:
        return None
    return localize(value, tz) if keep_offset else to_utc(value, tz)


# Regions writing the month first; everywhere else writes the day first.
_MONTH_FIRST_REGIONS = {"US", "PH", "FM", "MH", "PW", "CA"}
# Country codes used as generic domains (.co, .io, .tv, ...): they say nothing of the locale.
_GENERIC_COUNTRY_TLDS = {"co", "io", "tv", "fm", "me", "ai"}
_DAY_FIRST_TLDS = (".uk", ".au", ".nz", ".ie", ".in", ".za", ".ng", ".pk", ".ke", ".gh", ".sg", ".my")


def locale_date_order(lang: str | None, host: str | None) -> str:
    """How a site writes 03-04-2024, from its declared locale ("en-US", "en_GB", "de") and host."""
    lang = (lang or "").replace("_", "-")
    base, _, region = lang.partition("-")
    if region:
        return "MDY" if region.upper() in _MONTH_FIRST_REGIONS else "DMY"
    if base and base.lower() != "en":
        return "DMY"
    # A country-code domain outside the few month-first countries writes the day first.
    tld = (host or "").rsplit(".", 1)[-1].lower()
    if host and (host.endswith(_DAY_FIRST_TLDS) or (len(tld) == 2 and tld not in _GENERIC_COUNTRY_TLDS
                                                      and tld.upper() not in _MONTH_FIRST_REGIONS)):
        return "DMY"
    return "MDY"


# Countries with one time zone, by ISO code (a page's region, a country-code domain): a
# time written without an offset on such a site is that zone's local time.
_SINGLE_ZONE = {
    "KR": "Asia/Seoul", "JP": "Asia/Tokyo", "CN": "Asia/Shanghai", "TW": "Asia/Taipei", "HK": "Asia/Hong_Kong",
    "SG": "Asia/Singapore", "IN": "Asia/Kolkata", "PK": "Asia/Karachi", "IL": "Asia/Jerusalem",
    "AE": "Asia/Dubai", "TR": "Europe/Istanbul", "GB": "Europe/London", "UK": "Europe/London",
    "IE": "Europe/Dublin", "FR": "Europe/Paris", "DE": "Europe/Berlin", "AT": "Europe/Vienna",
    "CH": "Europe/Zurich", "IT": "Europe/Rome", "ES": "Europe/Madrid", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki", "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "HU": "Europe/Budapest",
    "GR": "Europe/Athens", "RO": "Europe/Bucharest", "UA": "Europe/Kyiv", "NG": "Africa/Lagos",
    "ZA": "Africa/Johannesburg", "KE": "Africa/Nairobi", "EG": "Africa/Cairo", "NZ": "Pacific/Auckland",
    "PH": "Asia/Manila", "TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh", "AR": "America/Argentina/Buenos_Aires",
    "CO": "America/Bogota", "PE": "America/Lima", "CL": "America/Santiago",
}


def locale_timezone(lang: str | None, host: str | None) -> str | None:
    """The time zone of a site in a one-zone country, from its locale ("ko-KR") or domain (".kr")."""
    region = (lang or "").replace("_", "-").partition("-")[2].upper()
    if region in _SINGLE_ZONE:
        return _SINGLE_ZONE[region]
    tld = (host or "").rsplit(".", 1)[-1].lower()
    if tld not in _GENERIC_COUNTRY_TLDS and tld.upper() in _SINGLE_ZONE:
        return _SINGLE_ZONE[tld.upper()]
    return None


def order_from_examples(text: str) -> str | None:
    """A numeric date elsewhere on the page with a part above 12 shows the site's order."""
    for m in _NUMERIC.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b >= 1:
            return "DMY"
        if b > 12 >= a >= 1:
            return "MDY"
    return None
