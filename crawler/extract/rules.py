"""Per-site extraction rules: the few selectors a site may need beyond the generic extractor.

They come from a site's ``[sites.NAME.rules]`` table in sites.toml (see crawler/sites.py)
and win over every generic source. Every field is optional.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteRules:
    timezone: str | None = None  # IANA name applied to naive dates, e.g. "America/New_York"
    date_order: str | None = None  # "MDY" or "DMY": how the site writes numeric dates
    language: str | None = None
    title: str | None = None  # CSS selectors (text of the first match)
    authors: str | None = None  # CSS selector: every match is one author (or a byline to split)
    published: str | None = None
    section: str | None = None
    body: str | None = None  # CSS selector of the body container
    body_exclude: tuple[str, ...] = ()  # CSS selectors removed from the body container
    comment_system: str | None = None  # "wordpress", "schema", "disqus", "generic", "none"; None = detect
    comments: dict[str, str] = field(default_factory=dict)  # generic comment selectors (container, item, author, time, text, id, parent)
