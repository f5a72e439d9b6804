"""sites.toml: the configured sites, validated once at start.

A bad configuration is refused with a ``ConfigError`` whose message names the file,
the site and the field, never a traceback.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from .extract.rules import SiteRules
from .monitors.thresholds import HealthThresholds, parse_thresholds

DEFAULT_CONFIG = "sites.toml"
COMMENT_SYSTEMS = ("wordpress", "schema", "disqus", "generic", "none")


class ConfigError(ValueError):
    """sites.toml (or a command-line value) cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SiteConfig:
    name: str
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()  # regexes: URLs that are articles (else the extractor decides)
    deny_patterns: tuple[str, ...] = ()  # regexes: URLs never fetched
    robots_sitemaps: bool = True  # read Sitemap: lines of robots.txt
    follow_links: bool = True  # follow in-site links (listings, pagination)
    max_pages: int = 0  # 0 = no limit
    depth_limit: int = 0
    download_delay: float = 0.0
    concurrency: int = 8
    obey_robots: bool = True
    schedule: str | None = None  # cron expression ("*/30 * * * *") or interval ("15m", "2h")
    revisit_days: float = 7.0  # recent articles are re-fetched for new comments within this window
    trailing_slash: str = "keep"  # "strip"/"add" when the site serves /story and /story/ as one page
    archive: bool = False  # keep every page used as WARC records (crawler/extensions/archive.py)
    rules: SiteRules = field(default_factory=SiteRules)
    settings: tuple[tuple[str, object], ...] = ()  # Scrapy settings for this site's crawls ([sites.NAME.settings])
    health: HealthThresholds = field(default_factory=HealthThresholds)  # [sites.NAME.health]: monitor thresholds
    unresolved: str | None = None  # why the site cannot be crawled here (an unset environment variable)

    @property
    def base_url(self) -> str | None:
        urls = self.start_urls or self.feeds or self.sitemaps
        if not urls:
            return None
        parts = urlsplit(urls[0])
        return f"{parts.scheme}://{parts.netloc}/"


_LIST_FIELDS = {"start_urls", "sitemaps", "feeds", "allowed_domains", "article_patterns", "deny_patterns"}
_BOOL_FIELDS = {"robots_sitemaps", "follow_links", "obey_robots", "archive"}
_INT_FIELDS = {"max_pages", "depth_limit", "concurrency"}
_FLOAT_FIELDS = {"download_delay", "revisit_days"}
_STR_FIELDS = {"schedule"}
_CHOICE_FIELDS = {"trailing_slash": ("keep", "strip", "add")}
_RULE_STR_FIELDS = {"timezone", "date_order", "language", "title", "authors", "published", "section",
                    "body", "comment_system"}
_COMMENT_SELECTORS = {"container", "item", "author", "author_url", "time", "text", "id", "parent", "children",
                      "pages"}


def _expand(value: str) -> str:
    # Start URLs may name environment variables (${NEWSDESK_DEMO_URL}); an unset one is an error.
    expanded = os.path.expandvars(value)
    if m := re.search(r"\$\{?(\w+)", expanded):
        hint = (" (the bundled demo sites: `newsdesk demo --serve` keeps one up and prints what to export)"
                if m.group(1).startswith("NEWSDESK_DEMO_") else "")
        raise ValueError(f"environment variable {m.group(1)} in {value!r} is not set{hint}")
    return expanded


def parse_schedule(text: str):
    """A cron expression or an interval ('90s', '15m', '2h', '1d') → an APScheduler trigger."""
    if m := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text):
        seconds = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        if seconds <= 0:
            raise ValueError("interval must be positive")
        return IntervalTrigger(seconds=seconds)
    return CronTrigger.from_crontab(text, timezone="UTC")


def _site(name: str, raw: dict, where: str) -> SiteConfig:
    def bad(fieldname: str, why: str) -> ConfigError:
        return ConfigError(f"{where}: site {name!r}, field {fieldname!r}: {why}")

    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: site {name!r} must be a table ([sites.{name}])")
    values: dict = {"name": name}
    for key, value in raw.items():
        if key in ("rules", "settings", "health"):
            continue
        if key in _LIST_FIELDS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(key, "must be a list of strings")
            if key in ("start_urls", "sitemaps", "feeds", "allowed_domains"):
                try:
                    value = [_expand(v) for v in value]
                except ValueError as exc:
                    # Only an error for the site being crawled: see get_site().
                    values.setdefault("unresolved", f"site {name!r}, field {key!r}: {exc}")
                    continue
            if key in ("article_patterns", "deny_patterns"):
                for pattern in value:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise bad(key, f"invalid regular expression {pattern!r}: {exc}") from None
            if key in ("start_urls", "sitemaps", "feeds"):
                for url in value:
                    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                        raise bad(key, f"not an http(s) URL: {url!r}")
            values[key] = tuple(value)
        elif key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise bad(key, "must be true or false")
            values[key] = value
        elif key in _INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(key, "must be a whole number >= 0")
            values[key] = value
        elif key in _FLOAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise bad(key, "must be a number >= 0")
            values[key] = float(value)
        elif key in _CHOICE_FIELDS:
            if value not in _CHOICE_FIELDS[key]:
                raise bad(key, "must be one of " + ", ".join(f'"{c}"' for c in _CHOICE_FIELDS[key]))
            values[key] = value
        elif key in _STR_FIELDS:
            if not isinstance(value, str):
                raise bad(key, "must be a string")
            try:
                parse_schedule(value)
            except ValueError as exc:
                raise bad(key, f"not a cron expression or interval: {exc}") from None
            values[key] = value
        else:
            raise bad(key, "unknown field")
    if not (values.get("start_urls") or values.get("sitemaps") or values.get("feeds") or values.get("unresolved")):
        raise bad("start_urls", "a site needs at least one of start_urls, sitemaps or feeds")
    if values.get("concurrency") == 0:
        raise bad("concurrency", "must be at least 1")
    values["rules"] = _rules(raw.get("rules", {}), bad)
    values["health"] = parse_thresholds(raw.get("health", {}), bad)
    settings, unresolved = _settings(raw.get("settings", {}), bad)
    values["settings"] = settings
    if unresolved:
        values.setdefault("unresolved", f"site {name!r}, field 'settings': {unresolved}")
    if not values.get("allowed_domains"):
        hosts = {urlsplit(u).hostname for u in values.get("start_urls", ()) + values.get("feeds", ())
                 + values.get("sitemaps", ())}
        values["allowed_domains"] = tuple(sorted(h for h in hosts if h))
    return SiteConfig(**values)


def _settings(raw, bad) -> tuple[tuple, str | None]:
    """Scrapy settings for one site (e.g. where its comment provider is served); string
    values may name environment variables like start URLs do."""
    if not isinstance(raw, dict):
        raise bad("settings", "must be a table of Scrapy settings (NAME = value)")
    out, unresolved = [], None
    for key, value in raw.items():
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            raise bad(f"settings.{key}", "a Scrapy setting name is in capitals (e.g. NEWSDESK_DISQUS_API_URL)")
        if not isinstance(value, (str, int, float, bool)):
            raise bad(f"settings.{key}", "must be a string, number or true/false")
        if isinstance(value, str):
            try:
                value = _expand(value)
            except ValueError as exc:
                unresolved = unresolved or str(exc)
                continue
        out.append((key, value))
    return tuple(out), unresolved


def _rules(raw, bad) -> SiteRules:
    if not isinstance(raw, dict):
        raise bad("rules", "must be a table")
    values: dict = {}
    for key, value in raw.items():
        fieldname = f"rules.{key}"
        if key in _RULE_STR_FIELDS:
            if not isinstance(value, str):
                raise bad(fieldname, "must be a string")
            values[key] = value
        elif key == "body_exclude":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(fieldname, "must be a list of CSS selectors")
            values[key] = tuple(value)
        elif key == "comments":
            if not isinstance(value, dict):
                raise bad(fieldname, "must be a table of CSS selectors")
            for sel_key, sel in value.items():
                if sel_key not in _COMMENT_SELECTORS:
                    raise bad(f"{fieldname}.{sel_key}", f"unknown field (known: {', '.join(sorted(_COMMENT_SELECTORS))})")
                if not isinstance(sel, str):
                    raise bad(f"{fieldname}.{sel_key}", "must be a CSS selector string")
            values[key] = dict(value)
        else:
            raise bad(fieldname, "unknown field")
    if tz := values.get("timezone"):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad("rules.timezone", f"unknown time zone {tz!r} (use an IANA name like 'Europe/Berlin')") from None
    if (order := values.get("date_order")) and order not in ("MDY", "DMY", "YMD"):
        raise bad("rules.date_order", "must be MDY, DMY or YMD")
    if (system := values.get("comment_system")) and system not in COMMENT_SYSTEMS:
        raise bad("rules.comment_system", f"must be one of {', '.join(COMMENT_SYSTEMS)}")

    selectors = [(k, values[k]) for k in ("title", "authors", "published", "section", "body") if k in values]
    selectors += [("body_exclude", s) for s in values.get("body_exclude", ())]
    selectors += [(f"comments.{k}", s) for k, s in values.get("comments", {}).items()]
    for key, sel in selectors:
        try:
            CSSSelector(sel)
        except SelectorError as exc:
            raise bad(f"rules.{key}", f"invalid CSS selector {sel!r}: {exc}") from None
    return SiteRules(**values)


def config_path(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("NEWSDESK_SITES") or DEFAULT_CONFIG)


def load_sites(path: str | os.PathLike | None = None) -> dict[str, SiteConfig]:
    """Read and validate every site; raises ConfigError naming the site and field."""
    p = config_path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such file (set --sites or NEWSDESK_SITES)")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    unknown = set(data) - {"sites"}
    if unknown:
        raise ConfigError(f"{p}: unknown top-level table(s) {', '.join(sorted(unknown))} (expected [sites.NAME])")
    sites = data.get("sites", {})
    if not isinstance(sites, dict):
        raise ConfigError(f"{p}: 'sites' must be a table of [sites.NAME] tables")
    return {name: _site(name, raw, str(p)) for name, raw in sites.items()}


def get_site(name: str, path: str | os.PathLike | None = None) -> SiteConfig:
    sites = load_sites(path)
    if name not in sites:
        known = ", ".join(sorted(sites)) or "none"
        raise ConfigError(f"no site named {name!r} in {config_path(path)} (configured: {known})")
    if sites[name].unresolved:
        raise ConfigError(f"{config_path(path)}: {sites[name].unresolved}")
    return sites[name]


def adhoc_site(url: str) -> SiteConfig:
    """A site for `-a url=...`: no configuration, everything detected."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"not an http(s) URL: {url!r}")
    return SiteConfig(name=parts.hostname, start_urls=(url,), allowed_domains=(parts.hostname,))
