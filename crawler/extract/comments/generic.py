"""Server-rendered threads of any other kind: repeated comment blocks under a comments
container, with author, time and text, nesting from the markup.

With per-site selectors (``[sites.NAME.rules.comments]`` in sites.toml) the site says where
things are: ``container`` (the thread), ``item`` (one comment), and inside an item
``author``, ``author_url``, ``time``, ``text``, ``id``, ``parent`` (an element naming the
parent's id) and ``children`` (the element holding an item's replies, inside the item or
right after it); ``pages`` marks links to the thread's other pages. Without selectors the
container is the element whose id/class says "comments" and the items are the blocks with
a comment-like class that carry an author or a time and a text.

No library reads arbitrary comment markup (trafilatura flattens threads into one text);
the heuristics are a few dozen lines and every guess can be overridden by a selector.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urljoin

from lxml import etree

from ...items import CommentItem
from ..dates import parse_date
from ..page import Page
from ..sources import declared_language
from .pagination import comment_page_requests
from .text import comment_text
from .thread import CommentThread, StableIds

_CONTAINER_WORD = re.compile(r"(^|[-_])(comments|comment-?(area|section|list|thread|wrapper|container|box|block)"
                             r"|discussion|responses|reactions|replies)($|[-_])", re.I)
_ITEM_CLASS = re.compile(r"^(?:[\w]+[-_])?(comment|reply|response|message|post|entry)"
                         r"(?:[-_](item|entry|wrap|wrapper|block|container|box|card|node|single))?$", re.I)
_AUTHOR_CLASS = re.compile(r"author|user|name|nick|byline|commenter|poster", re.I)
_TIME_CLASS = re.compile(r"date|time|posted|when", re.I)
_TEXT_CLASS = re.compile(r"text|body|content|message|msg", re.I)
_REPLIES_CLASS = re.compile(r"repl(y|ies)|children|sub-?comments|nested|answers|indented", re.I)
_ACTIONS_CLASS = re.compile(r"actions|buttons|vote|like|report|share|reply-link|toolbar|avatar", re.I)
_COUNT = re.compile(r"(\d[\d,.]*)\s+(comment|thought|response|repl|reaction)|comments?\D{0,3}\((\d+)\)", re.I)
_TIME_ATTRS = ("datetime", "data-comment-timestamp", "data-ts", "data-time", "data-timestamp", "data-date", "content", "title")
_ID_ATTRS = ("data-comment-id", "data-commentid", "data-id", "id")
_PARENT_ATTRS = ("data-parent-id", "data-parent", "data-reply-to", "data-in-reply-to", "href")


def _tokens(el) -> list[str]:
    return (el.get("class") or "").split() if isinstance(el.tag, str) else []


def _matches(el, pattern) -> bool:
    return any(pattern.search(t) for t in _tokens(el))


def _short_id(value: str | None) -> str | None:
    """"comment-123", "c123", "#m-123" → "123": one form for an item's id and a reply's reference."""
    if not value or not value.strip():
        return None
    value = value.strip().split("#")[-1]
    m = re.fullmatch(r"\D*?(\d+)", value)
    return m.group(1) if m else value[:120]


class _Items:
    """The chosen comment elements, and which of them an element belongs to."""

    def __init__(self, container, elements: list, selectors: dict):
        self.elements = elements
        self.members = set(elements)
        self.selectors = selectors
        children = selectors.get("children")
        self.reply_blocks = set(container.cssselect(children)) if children else None
        # Each element's nearest enclosing item, in one pass (parents come before children).
        self.owner_of: dict = {}
        self.owned: dict = {el: [] for el in elements}
        for el in container.iterdescendants():
            parent = el.getparent()
            owner = parent if parent in self.members else self.owner_of.get(parent)
            self.owner_of[el] = owner
            if owner is not None and isinstance(el.tag, str):
                self.owned[owner].append(el)

    def owner(self, el):
        return self.owner_of.get(el)

    def find(self, item, key: str, fallback=None) -> list:
        """Elements of ``item`` (not of a reply nested in it) for one field."""
        if selector := self.selectors.get(key):
            return [el for el in item.cssselect(selector) if el is item or self.owner_of.get(el) is item]
        if fallback is not None:
            return [el for el in self.owned.get(item, ()) if fallback(el)]
        return []

    def is_replies(self, el) -> bool:
        if self.reply_blocks is not None:
            return el in self.reply_blocks
        return _matches(el, _REPLIES_CLASS)

    def parent(self, item):
        if (owner := self.owner(item)) is not None:
            return owner
        # Replies in a block right after their comment: <div class=comment/><div class=replies>...
        el = item.getparent()
        while el is not None:
            if self.is_replies(el) and (prev := el.getprevious()) is not None and prev in self.members:
                return prev
            el = el.getparent()
        return None


def _is_author(el) -> bool:
    if el.tag == "img" or any("avatar" in t for t in _tokens(el)):
        return False
    return _matches(el, _AUTHOR_CLASS) or el.get("itemprop") == "author" or el.tag == "cite"


def _is_time(el) -> bool:
    return el.tag == "time" or el.get("data-comment-timestamp") is not None or (_matches(el, _TIME_CLASS) and not _matches(el, _TEXT_CLASS))


def _is_text(el) -> bool:
    return _matches(el, _TEXT_CLASS) and not _matches(el, _ITEM_CLASS) and el.tag not in ("a", "span", "time")


def _candidate_groups(container) -> dict[tuple, list]:
    groups: dict[tuple, list] = {}
    in_forms = set(container.xpath(".//form//* | .//*[@id='respond']//*"))
    for el in container.iterdescendants():
        if not isinstance(el.tag, str) or el.tag in ("a", "span", "time", "form", "p", "img") or el in in_forms:
            continue
        for token in _tokens(el):
            if _ITEM_CLASS.match(token):
                groups.setdefault((el.tag, token.lower()), []).append(el)
    return groups


def _choose_items(container) -> list:
    best, best_score = [], 0
    for (_tag, _token), elements in _candidate_groups(container).items():
        items = _Items(container, elements, {})
        score = sum(1 for el in elements
                    if items.find(el, "author", _is_author) and items.find(el, "text", _is_text))
        # Tie: the outer blocks (a comment, not its body) win.
        if score > best_score or (score == best_score and score and
                                  len(elements[0].xpath("ancestor::*")) < len(best[0].xpath("ancestor::*"))):
            best, best_score = elements, score
    return best


def _containers(page: Page) -> list:
    """The outermost elements whose id or class says they hold the comments."""
    out: list = []
    for el in page.tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "head", "script", "style", "form", "a"):
            continue
        if not (_CONTAINER_WORD.search(el.get("id") or "") or any(_CONTAINER_WORD.search(t) for t in _tokens(el))):
            continue
        if any(a in out for a in el.iterancestors()):
            continue
        # A wrapper around the article itself (its headline inside) is not the thread.
        if not el.xpath(".//h1"):
            out.append(el)
    return out


def _time_of(el, rules, language: str | None = None):
    for attr in _TIME_ATTRS:
        value = (el.get(attr) or "").strip()
        if re.fullmatch(r"\d{9,13}", value):  # Unix time, seconds or milliseconds
            stamp = int(value) / (1000 if len(value) > 11 else 1)
            return datetime.fromtimestamp(stamp, tz=timezone.utc)
        if value and (posted := parse_date(value, tz=rules.timezone, date_order=rules.date_order)):
            return posted
    # The page's declared language: without one, dateparser tries every locale it has on the
    # text, which costs seconds per page until each locale's patterns are compiled.
    return parse_date(" ".join(el.text_content().split()), tz=rules.timezone, date_order=rules.date_order,
                      language=language)


def _id_of(el, attrs=_ID_ATTRS) -> str | None:
    for attr in attrs:
        if value := _short_id(el.get(attr)):
            return value
    return None


def _read(page: Page, container, elements: list, selectors: dict, system: str) -> CommentThread:
    items = _Items(container, elements, selectors)
    ids = StableIds()
    id_of: dict = {}
    comments, errors = [], []
    for item in elements:
        try:
            comment = _comment(page, item, items, selectors, ids, id_of)
        except (etree.LxmlError, ValueError, TypeError) as exc:  # one odd block must not lose the rest
            errors.append(f"unreadable comment: {type(exc).__name__}")
            continue
        if not comment.body_text:
            errors.append("comment without text")
            continue
        comments.append(comment)
    return CommentThread(comments=comments, system=system, errors=errors, reported_count=_reported(container),
                         requests=comment_page_requests(page, container))


def _comment(page: Page, item, items: _Items, selectors: dict, ids: StableIds, id_of: dict) -> CommentItem:
    rules = page.rules
    authors = items.find(item, "author", _is_author)
    author = (" ".join(authors[0].text_content().split()) or None) if authors else None
    links = items.find(item, "author_url") if selectors.get("author_url") else authors[:1]
    hrefs = [h for el in links for h in ([el.get("href")] if el.tag == "a" else el.xpath(".//a/@href")) if h]
    author_url = urljoin(page.url, hrefs[0]) if hrefs else None
    times = items.find(item, "time", _is_time)
    language = page.cached("comment_language", lambda: declared_language(page))
    posted = next((p for p in (_time_of(t, rules, language) for t in times) if p), None)
    texts = items.find(item, "text", _is_text)
    if not selectors.get("text"):
        # The innermost of nested text boxes (Drupal: div.comment__content > div.field--name-comment-body).
        texts = [t for t in texts if not any(t in o.iterancestors() for o in texts)] or texts
    text = comment_text(texts[0]) if texts else _own_text(item, items)
    if selectors.get("parent"):
        parent = next((_id_of(r, _PARENT_ATTRS) or _short_id(r.text_content())
                       for r in items.find(item, "parent")), None)
    else:
        parent = id_of.get(items.parent(item))
    if selectors.get("id"):
        own = next((_id_of(r) or _short_id(r.text_content()) for r in items.find(item, "id")), None)
    else:
        own = _id_of(item)
    ext = id_of[item] = own or ids(author, posted, text, parent)
    return CommentItem(external_id=ext, body_text=text, parent_external_id=parent,
                       author=author, author_url=author_url, posted_at=posted)


def _own_text(item, items: _Items) -> str:
    """The item's text when no element is marked as the text: everything but its author,
    time, action buttons and replies."""
    parts = []
    for el in item:
        if not isinstance(el.tag, str) or el in items.members or items.is_replies(el):
            continue
        if any(_matches(el, p) for p in (_ACTIONS_CLASS, _AUTHOR_CLASS, _TIME_CLASS)) or el.tag == "time":
            continue
        if any(d in items.members for d in el.iterdescendants()):
            continue
        parts.append(comment_text(el))
    return "\n\n".join(p for p in parts if p)


def _reported(container) -> int | None:
    for heading in container.xpath(".//h1 | .//h2 | .//h3 | .//h4"):
        if m := _COUNT.search(heading.text_content()):
            return int(re.sub(r"[,.]", "", m.group(1) or m.group(3)))
    return None


def extract(page: Page) -> CommentThread | None:
    selectors = page.rules.comments
    containers = page.tree.cssselect(selectors["container"]) if selectors.get("container") else [page.tree]
    if selectors.get("item"):
        # The site's own layout when this page has it; any other layout is detected.
        for container in containers[:1]:
            if elements := container.cssselect(selectors["item"]):
                return _read(page, container, elements, selectors, "generic-selectors")
        containers = []
    for container in (containers if selectors.get("container") else []) or _containers(page):
        if elements := _choose_items(container):
            return _read(page, container, elements, {}, "generic")
    return None
