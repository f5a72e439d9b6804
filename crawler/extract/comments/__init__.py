"""Comment threads as structured data: each comment's id, parent, depth, author, time, text.

``extract_comments(page)`` reads the thread on one page and lists the further pages the
spider must fetch (WordPress comment pagination); the spider merges every page's thread
with ``merge_threads``. Bad markup never raises: what can be read is returned, with the
reasons the rest could not be read in ``errors``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Iterable
from urllib.parse import urljoin

from lxml import html as lxml_html

from ...items import CommentItem
from ..dates import parse_date
from ..page import Page
from ..rules import SiteRules


@dataclass
class CommentRequest:
    url: str
    kind: str  # "page": another HTML comment page
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CommentThread:
    comments: list[CommentItem]
    system: str | None = None
    reported_count: int | None = None
    requests: list[CommentRequest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_COUNT = re.compile(r"(\d[\d,.]*)\s+(comment|thought|response|repl)", re.I)
_DROP = ("script", "style", "iframe", "form", "noscript")


def comment_text(el) -> str:
    """Comment HTML → plain text: blocks and <br> become line breaks, links keep their text,
    scripts, styles and forms go; text the commenter typed stays as typed (escaped markup too)."""
    el = lxml_html.fromstring(lxml_html.tostring(el))
    for bad in el.xpath(".//" + " | .//".join(_DROP) + " | .//*[contains(@class,'reply')]"):
        bad.drop_tree()
    for br in el.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    blocks = el.xpath(".//p | .//blockquote | .//li | .//pre")
    if blocks:
        parts = [b.text_content().strip() for b in blocks if not b.xpath("ancestor::p | ancestor::blockquote"
                                                                           " | ancestor::li")]
        text = "\n\n".join(p for p in parts if p)
    else:
        text = el.text_content()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _reported_count(page: Page) -> int | None:
    for el in page.tree.xpath("//*[contains(@class,'comments-title') or @id='comments-title']"
                              " | //*[@id='comments']/h2 | //*[@id='comments']/h3"):
        if m := _COUNT.search(el.text_content()):
            return int(re.sub(r"[,.]", "", m.group(1)))
    return None


def _wordpress(page: Page, errors: list[str]) -> list[CommentItem]:
    r = page.rules
    out: list[CommentItem] = []
    items = page.tree.xpath("//li[starts-with(@id,'comment-')][contains(concat(' ',@class,' '),' comment ')]")
    for li in items:
        ext = li.get("id").removeprefix("comment-")
        try:
            parent_li = li.xpath("ancestor::li[starts-with(@id,'comment-')][1]")
            author_el = li.xpath("./*[contains(@class,'comment-body')]//*[contains(@class,'fn')]"
                                 " | ./article//*[contains(@class,'fn')]"
                                 " | ./*[contains(@class,'comment-author') or contains(@class,'wp-block-comment-author-name')]")
            author = author_el[0].text_content().strip() if author_el else None
            link = author_el[0].xpath(".//a/@href | self::a/@href") if author_el else []
            times = li.xpath("./*//time[1]/@datetime")
            posted = parse_date(times[0], tz=r.timezone, date_order=r.date_order) if times else None
            if posted is None:
                meta = li.xpath("./*//*[contains(@class,'comment-metadata') or contains(@class,'comment-meta')]//a")
                if meta:
                    posted = parse_date(meta[0].text_content().replace(" at ", " "), tz=r.timezone,
                                        date_order=r.date_order)
            content = li.xpath("./*//*[contains(@class,'comment-content') or "
                               "contains(@class,'wp-block-comment-content')][1]")
            if not content:
                errors.append("comment without content")
                continue
            out.append(CommentItem(
                external_id=ext, body_text=comment_text(content[0]),
                parent_external_id=parent_li[0].get("id").removeprefix("comment-") if parent_li else None,
                depth=len(li.xpath("ancestor::li[starts-with(@id,'comment-')]")),
                author=author, author_url=urljoin(page.url, link[0]) if link else None, posted_at=posted,
            ))
        except Exception as exc:  # one broken comment must not lose the rest
            errors.append(f"unreadable comment: {type(exc).__name__}")
    return out


def _pagination(page: Page) -> list[CommentRequest]:
    urls = page.tree.xpath("//*[contains(@class,'comment-navigation') or contains(@class,'comments-pagination')"
                           " or contains(@class,'comment-nav')]//a/@href")
    seen, out = set(), []
    for href in urls:
        url = urljoin(page.url, href).split("#")[0]
        if url not in seen and url != page.url:
            seen.add(url)
            out.append(CommentRequest(url=url, kind="page"))
    return out


def extract_comments(page: Page) -> CommentThread:
    system = page.rules.comment_system
    if system == "none":
        return CommentThread(comments=[], system="none")
    errors: list[str] = []
    comments = _wordpress(page, errors)
    return CommentThread(comments=comments, system="wordpress" if comments else None,
                         reported_count=_reported_count(page), requests=_pagination(page), errors=errors)


def parse_comment_response(kind: str, body: bytes | str, url: str, *, rules: SiteRules | None = None,
                           fetched_at=None) -> CommentThread:
    if kind == "page":
        return extract_comments(Page.parse(body, url, rules=rules, fetched_at=fetched_at))
    return CommentThread(comments=[], errors=[f"unsupported comment source {kind!r}"])


def merge_threads(threads: Iterable[CommentThread]) -> list[CommentItem]:
    """Union by external id (first seen wins), parents before children, depth from the chain."""
    by_id: dict[str, CommentItem] = {}
    for thread in threads:
        for c in thread.comments:
            by_id.setdefault(c.external_id, c)
    children: dict[str | None, list[CommentItem]] = {}
    for c in by_id.values():
        parent = c.parent_external_id if c.parent_external_id in by_id else None
        children.setdefault(parent, []).append(c)
    out: list[CommentItem] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append(replace(c, depth=depth, parent_external_id=parent))
            walk(c.external_id, depth + 1)

    walk(None, 0)
    return out


def stable_id(*parts: str | None) -> str:
    return hashlib.sha1("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:16]
