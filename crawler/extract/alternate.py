"""The article's own machine-readable representation, which the page links to.

WordPress (4.7 and later) links every post page to its REST representation:
``<link rel="alternate" type="application/json" href=".../wp-json/wp/v2/posts/52">``. That
document holds the times the CMS itself keeps, in UTC (``date_gmt``, ``modified_gmt``), where
the page often shows only the publication day and never the modification time (stock themes
print neither; WordPress core writes no ``article:modified_time``). The spider fetches it with
the article, like its comment pages, and these times win over what the HTML shows.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from .page import Page

# The REST route of one post, page or custom post: /wp-json/wp/v2/<type>/<id> (or ?rest_route=).
_WP_ROUTE = ("/wp/v2/",)


def alternate_json_url(page: Page) -> str | None:
    """The same-site JSON representation of this one post, when the page links one."""
    for href in page.tree.xpath("//link[@rel='alternate'][@type='application/json']/@href"):
        url = urljoin(page.url, href.strip())
        same_site = urlsplit(url).netloc == urlsplit(page.url).netloc
        if same_site and any(route in url for route in _WP_ROUTE) and url.rstrip("/").rsplit("/", 1)[-1].isdigit():
            return url
    return None


def times_from_alternate(body: bytes) -> tuple[datetime | None, datetime | None]:
    """(published, modified) in UTC from a WordPress REST post; (None, None) when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    return _gmt(data.get("date_gmt")), _gmt(data.get("modified_gmt"))


def _gmt(value) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith("0000"):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
