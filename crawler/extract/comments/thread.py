"""What every comment system module returns: a thread read from one response, the further
requests that thread needs, and the merge of all of them into one ordered thread."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Iterable

from ... import settings as defaults
from ...items import CommentItem


@dataclass
class CommentRequest:
    url: str
    # "page": another HTML page of the thread; "wordpress-feed": the post's comment feed;
    # "disqus-embed" / "disqus-api": the Disqus embed page and its API.
    kind: str
    headers: dict[str, str] = field(default_factory=dict)
    # Served by a comment provider, not by the news site: outside the site's allowed
    # domains, and a resource the page loads (as a browser does), not a page the crawl
    # discovers, so the news site's robots.txt does not apply to it.
    offsite: bool = False


@dataclass
class CommentThread:
    comments: list[CommentItem]
    system: str | None = None
    reported_count: int | None = None  # what the page says ("12 comments")
    requests: list[CommentRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # False when the source can never show the whole thread (WordPress's comment feed
    # holds only the newest few): a comment missing from it proves nothing.
    complete: bool = True


@dataclass(frozen=True)
class CommentEndpoints:
    """Where third-party comment services are fetched from (settings, so tests can point
    them at 127.0.0.1)."""

    # Outside a crawl (newsdesk extract, tests), the defaults of crawler/settings.py.
    disqus_embed: str = defaults.NEWSDESK_DISQUS_EMBED_URL
    disqus_api: str = defaults.NEWSDESK_DISQUS_API_URL
    disqus_api_key: str = defaults.NEWSDESK_DISQUS_API_KEY

    @classmethod
    def from_settings(cls, settings) -> "CommentEndpoints":
        return cls(disqus_embed=settings.get("NEWSDESK_DISQUS_EMBED_URL"), disqus_api=settings.get("NEWSDESK_DISQUS_API_URL"),
                   disqus_api_key=settings.get("NEWSDESK_DISQUS_API_KEY"))


class StableIds:
    """Ids for comments whose source gives none: a hash of author, time, text and the
    parent's id (itself derived from its parent: the path), so the same comment gets the
    same id on every crawl and a re-crawl never makes a second row. Identical siblings
    (two "+1" by one reader) are told apart by their order."""

    def __init__(self):
        self.seen: dict[str, int] = {}

    def __call__(self, author: str | None, posted_at: datetime | None, text: str,
                 parent_id: str | None) -> str:
        words = " ".join(re.findall(r"\w+", text.casefold()))
        when = posted_at.astimezone(timezone.utc).isoformat() if posted_at else ""
        key = "\x1f".join((author or "", when, words, parent_id or ""))
        digest = "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:19]
        n = self.seen[digest] = self.seen.get(digest, 0) + 1
        return digest if n == 1 else f"{digest}-{n}"


def merge_threads(threads: Iterable[CommentThread]) -> list[CommentItem]:
    """Union by external id (first seen wins), parents before children, depth from the chain.

    Siblings are put in posting order when every one of them has a time: sites that show
    the newest first (WordPress's "newest" comment order, Disqus) are read oldest first,
    as the thread was written. A reply whose parent is missing, or a loop of parents in
    broken data, starts a thread of its own.
    """
    by_id: dict[str, CommentItem] = {}
    for thread in threads:
        for c in thread.comments:
            by_id.setdefault(c.external_id, c)
    children: dict[str | None, list[CommentItem]] = {}
    for c in by_id.values():
        parent = c.parent_external_id if c.parent_external_id in by_id and c.parent_external_id != c.external_id \
            else None
        children.setdefault(parent, []).append(c)
    for siblings in children.values():
        if all(c.posted_at is not None for c in siblings):
            siblings.sort(key=lambda c: c.posted_at)
    out: list[CommentItem] = []
    placed: set[str] = set()

    def walk(root: CommentItem) -> None:
        stack = [(root, None, 0)]
        while stack:
            c, parent, depth = stack.pop()
            if c.external_id in placed:
                continue
            placed.add(c.external_id)
            out.append(replace(c, depth=depth, parent_external_id=parent))
            stack.extend((k, c.external_id, depth + 1) for k in reversed(children.get(c.external_id, [])))

    for root in children.get(None, []):
        walk(root)
    for c in by_id.values():  # only members of a parent loop are left
        if c.external_id not in placed:
            walk(c)
    return out
