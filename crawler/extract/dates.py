"""Date parsing shared by every field function: one place applies time zones and day/month order."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser


def to_utc(value: datetime, tz: str | None) -> datetime:
    """A naive datetime is local time of the site's zone (UTC when unknown)."""
    if value.tzinfo is None:
        try:
            zone = ZoneInfo(tz) if tz else timezone.utc
        except (ZoneInfoNotFoundError, ValueError):
            zone = timezone.utc
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


_NUMERIC = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")


def parse_date(text: str | None, *, tz: str | None = None, date_order: str | None = None,
               fetched_at: datetime | None = None) -> datetime | None:
    """Parse one date string to an aware UTC datetime, or None.

    ``date_order`` ("MDY"/"DMY") settles numeric dates like 12-07-2016; without it a
    number above 12 decides, and US order is the default.
    """
    if not text or not text.strip():
        return None
    text = text.strip()
    dayfirst = False
    if m := _NUMERIC.match(text):
        a, b = int(m.group(1)), int(m.group(2))
        if date_order == "DMY" or (date_order is None and a > 12 >= b):
            dayfirst = True
    try:
        value = dateutil_parser.parse(text, dayfirst=dayfirst, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    return to_utc(value, tz)
