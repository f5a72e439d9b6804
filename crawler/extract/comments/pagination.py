"""Links to the other pages of a thread, for every system that paginates in HTML.

WordPress names its pages ``/comment-page-N/`` or ``?cpage=N`` and wraps the links in a
comment-navigation block (classic themes) or a comments-pagination block (block themes);
other sites mark the next page with ``rel=next`` or a "next"/"older" link inside the
comments area, or a per-site ``pages`` selector says where the links are. Only links to the
same article count: a "next article" link elsewhere on the page is not part of the thread.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..page import Page
from .thread import CommentRequest

_WP_NAV = ("//*[contains(@class,'comment-navigation') or contains(@class,'comments-pagination')"
           " or contains(@class,'comment-nav') or contains(@class,'wp-block-comments-pagination')"
           " or contains(@class,'comment-pagination')]//a/@href")
_PAGE_IN_PATH = re.compile(r"/comment-page-\d+/?")
_PAGE_PARAMS = ("cpage", "comment_page", "comments_page", "commentpage")
_NEXT_IN_CONTAINER = (".//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')"
                      " or contains(concat(' ', normalize-space(@rel), ' '), ' prev ')"
                      " or contains(@class, 'next') or contains(@class, 'prev') or contains(@class, 'older')"
                      " or contains(@class, 'newer') or contains(@class, 'page-numbers')"
                      " or ancestor::*[contains(@class, 'pagination') or contains(@class, 'pager')]]/@href")


def thread_base(url: str) -> tuple[str, str]:
    """(host, path) of the article a comment page belongs to."""
    parts = urlsplit(url)
    path = _PAGE_IN_PATH.sub("/", parts.path)
    return parts.netloc.lower(), path.rstrip("/") or "/"


def _absolute(base: str, href: str) -> str | None:
    """The link made absolute, without its fragment; None for one urllib cannot read (a broken
    IPv6 host, a port that is not a number): no page of the thread is behind it."""
    try:
        parts = urlsplit(urljoin(base, href.strip()))
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _has_page_marker(url: str | None) -> bool:
    if url is None:
        return False
    parts = urlsplit(url)
    return bool(_PAGE_IN_PATH.search(parts.path)) or any(k in _PAGE_PARAMS for k, _ in parse_qsl(parts.query))


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def comment_page_requests(page: Page, container=None) -> list[CommentRequest]:
    """Other pages of this page's thread, in the order the page links them."""
    base = thread_base(page.url)
    here = _without_fragment(page.url)
    hrefs = list(page.tree.xpath(_WP_NAV))
    # Every page marker (/comment-page-N/, cpage=, comment_page=, ...) has "page" in it: a link
    # without it (or a %-escape) cannot get one from joining, unless the page's own URL has one.
    anywhere = "page" in page.url or "%" in page.url
    hrefs += [h for h in page.tree.xpath("//a/@href")
              if (anywhere or "page" in h or "%" in h) and _has_page_marker(_absolute(page.url, h))]
    hrefs += page.tree.xpath("//link[@rel='next' or @rel='prev']/@href")
    if container is not None:
        hrefs += container.xpath(_NEXT_IN_CONTAINER)
    if selector := page.rules.comments.get("pages"):
        hrefs += [a.get("href") for a in page.tree.cssselect(selector) if a.get("href")]
    out, seen = [], {here}
    for href in hrefs:
        url = _absolute(page.url, href)
        if url is None or url in seen or urlsplit(url).scheme not in ("http", "https") or "replytocom=" in url:
            continue
        if thread_base(url) != base:
            continue
        seen.add(url)
        out.append(CommentRequest(url=url, kind="page"))
    return out


def with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
