"""A site's health thresholds: ``[sites.NAME.health]`` in sites.toml, defaults here.

Validated when sites.toml is read (crawler/sites.py): a bad value is refused with one line
naming the site and the field.
"""
from __future__ import annotations

from dataclasses import dataclass

COVERAGE_FIELDS = ("title", "authors", "published", "body", "section", "image", "language")
MONITORED_FIELDS = (*COVERAGE_FIELDS, "comments")  # "comments": comments per article


@dataclass(frozen=True)
class HealthThresholds:
    enabled: bool = True  # false: no monitors for this site (figures are still recorded)
    fields: tuple[str, ...] = MONITORED_FIELDS  # fields whose drop makes a run degraded
    coverage_drop: float = 0.5  # a field fails below (1 - this) x its recent level
    history_runs: int = 5  # recent healthy runs that make a site's recent level (their median)
    min_history: int = 2  # runs with enough articles needed before coverage is judged
    min_articles: int = 5  # a run extracting fewer articles is not judged on coverage
    new_articles_share: float = 0.8  # no new article fails when this share of recent runs had some; 0 = off
    error_rate_rise: float = 0.1  # error rate (per request) above the recent level by more than this fails
    stall_minutes: float = 10.0  # no page and no item for this long during a crawl: stalled; 0 = off
    overdue_minutes: float = 60.0  # a scheduled site whose due run has not started this long after: overdue; 0 = off


_BOUNDS = {  # name: (type, low, high, description)
    "coverage_drop": (float, 0.0, 1.0, "a share between 0 and 1"),
    "history_runs": (int, 1, 1000, "a whole number >= 1"),
    "min_history": (int, 1, 1000, "a whole number >= 1"),
    "min_articles": (int, 1, 10**6, "a whole number >= 1"),
    "new_articles_share": (float, 0.0, 1.0, "a share between 0 and 1 (0 turns the monitor off)"),
    "error_rate_rise": (float, 0.0, 1.0, "a share between 0 and 1"),
    "stall_minutes": (float, 0.0, 10.0**6, "a number of minutes >= 0 (0 turns the monitor off)"),
    "overdue_minutes": (float, 0.0, 10.0**6, "a number of minutes >= 0 (0 turns the check off)"),
}


def parse_thresholds(raw, bad) -> HealthThresholds:
    """``bad(field, why)`` makes the ConfigError naming the site and the field."""
    if not isinstance(raw, dict):
        raise bad("health", "must be a table ([sites.NAME.health])")
    values: dict = {}
    for key, value in raw.items():
        name = f"health.{key}"
        if key == "enabled":
            if not isinstance(value, bool):
                raise bad(name, "must be true or false")
            values[key] = value
        elif key == "fields":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(name, "must be a list of field names")
            unknown = [v for v in value if v not in MONITORED_FIELDS]
            if unknown:
                raise bad(name, f"unknown field {unknown[0]!r} (known: {', '.join(MONITORED_FIELDS)})")
            values[key] = tuple(value)
        elif key in _BOUNDS:
            kind, low, high, what = _BOUNDS[key]
            ok_type = (isinstance(value, int) if kind is int else isinstance(value, (int, float)))
            if isinstance(value, bool) or not ok_type or not (low <= value <= high):
                raise bad(name, f"must be {what}, got {value!r}")
            values[key] = kind(value)
        else:
            raise bad(name, f"unknown field (known: enabled, fields, {', '.join(_BOUNDS)})")
    return HealthThresholds(**values)
