"""Comment threads as structured data: each comment's id, parent, depth, author, time, text.

``extract_comments(page)`` reads the thread on one page and lists the further requests
the spider must make (other comment pages, the post's comment feed, the Disqus embed and
API); ``parse_comment_response`` reads what those requests return; the spider merges every
part with ``merge_threads``. Bad markup never raises: what can be read is returned, with
the reasons the rest could not be read in ``errors``.

Systems, in the order they are tried (``rules.comment_system`` in sites.toml forces one):

1. ``wordpress``: WordPress's own markup, classic and block themes (wordpress.py);
2. ``schema``: schema.org ``Comment`` in JSON-LD, then in microdata (schema.py);
3. ``disqus``: the thread the page's Disqus embed loads (disqus.py);
4. ``generic``: per-site selectors, else repeated comment blocks under a comments
   container (generic.py);
5. a WordPress post whose page shows no thread: its comment feed (wordpress.py).
"""
from __future__ import annotations

from ..page import Page
from ..rules import SiteRules
from . import disqus, generic, schema, wordpress
from .text import comment_text, fragment_text
from .thread import CommentEndpoints, CommentRequest, CommentThread, StableIds, merge_threads

__all__ = ["CommentEndpoints", "CommentRequest", "CommentThread", "StableIds", "comment_text",
           "extract_comments", "fragment_text", "merge_threads", "parse_comment_response"]

SYSTEMS = ("wordpress", "schema", "disqus", "generic")


def _wordpress(page: Page, endpoints: CommentEndpoints) -> CommentThread | None:
    return wordpress.extract_markup(page) if wordpress.has_markup(page) else None


def _schema(page: Page, endpoints: CommentEndpoints) -> CommentThread | None:
    return schema.extract_json_ld(page) or schema.extract_microdata(page)


def _disqus(page: Page, endpoints: CommentEndpoints) -> CommentThread | None:
    return disqus.extract(page, endpoints) if disqus.has_embed(page) else None


def _generic(page: Page, endpoints: CommentEndpoints) -> CommentThread | None:
    return generic.extract(page)


_READERS = {"wordpress": _wordpress, "schema": _schema, "disqus": _disqus, "generic": _generic}


def extract_comments(page: Page, endpoints: CommentEndpoints | None = None) -> CommentThread:
    forced = page.rules.comment_system
    if forced == "none":
        return CommentThread(comments=[], system="none")
    endpoints = endpoints or CommentEndpoints()
    for name in (forced,) if forced else SYSTEMS:
        if (thread := _READERS[name](page, endpoints)) is not None:
            return thread
    if forced in (None, "wordpress") and (thread := wordpress.feed_fallback(page)) is not None:
        return thread
    # No thread found at all: perhaps none, perhaps markup this version cannot read. Comments
    # stored before are not marked deleted on that evidence.
    return CommentThread(comments=[], reported_count=wordpress.reported_count(page), complete=False)


def parse_comment_response(kind: str, body: bytes | str, url: str, *, rules: SiteRules | None = None,
                           fetched_at=None, endpoints: CommentEndpoints | None = None) -> CommentThread:
    """Read one response to a CommentRequest of the given kind."""
    endpoints = endpoints or CommentEndpoints()
    if kind == "page":
        return extract_comments(Page.parse(body, url, rules=rules, fetched_at=fetched_at), endpoints)
    if kind == "wordpress-feed":
        return wordpress.parse_feed(body, url, rules or SiteRules())
    if kind == "disqus-embed":
        return disqus.parse_embed(body, url, endpoints)
    if kind == "disqus-api":
        return disqus.parse_api(body, url, endpoints)
    return CommentThread(comments=[], errors=[f"unsupported comment source {kind!r}"])
