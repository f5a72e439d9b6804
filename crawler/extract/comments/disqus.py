"""Disqus: the thread a page's embed loads, fetched the way the embed fetches it.

The page names its forum in ``disqus_shortname`` (or the script URL
``https://SHORTNAME.disqus.com/embed.js``, or the WordPress plugin's ``embedVars``) and
its thread in ``disqus_identifier``/``disqus_url`` (or ``this.page.identifier``/
``this.page.url`` in ``disqus_config``). The embed page
``EMBED?base=default&f=SHORTNAME&t_i=IDENTIFIER&t_u=PAGE_URL`` carries the first page of
the thread as JSON in ``<script type="text/json" id="disqus-threadData">``: ``cursor``
(``hasNext``, ``next``), ``response.thread`` (``id``, ``posts``) and ``response.posts``;
later pages come from the API's ``threads/listPostsThreaded`` with the thread id and the
cursor. A post's ``parent`` is the post it answers; ``createdAt`` is UTC without an
offset; ``isDeleted`` posts stay in the thread as placeholders.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ...items import CommentItem
from ..dates import parse_date
from ..page import Page, read_json
from .pagination import with_query
from .text import fragment_text
from .thread import CommentEndpoints, CommentRequest, CommentThread

_SHORTNAME = (re.compile(r"""\bdisqus_shortname\s*=\s*['"]([\w-]+)['"]"""),
              re.compile(r"""//([\w-]+)\.disqus\.com/embed\.js"""),
              re.compile(r'"disqusShortname"\s*:\s*"([\w-]+)"'))
_IDENTIFIER = (re.compile(r"""\bdisqus_identifier\s*=\s*(['"])(.+?)\1"""),
               re.compile(r"""\bthis\.page\.identifier\s*=\s*(['"])(.+?)\1"""),
               re.compile(r'"disqusIdentifier"\s*:\s*(")((?:[^"\\]|\\.)*)"'))
_URL = (re.compile(r"""\bdisqus_url\s*=\s*(['"])(.+?)\1"""),
        re.compile(r"""\bthis\.page\.url\s*=\s*(['"])(.+?)\1"""),
        re.compile(r'"disqusUrl"\s*:\s*(")((?:[^"\\]|\\.)*)"'))
PAGE_SIZE = 100


def _first(patterns, text: str, group: int) -> str | None:
    for pattern in patterns:
        if m := pattern.search(text):
            value = m.group(group)
            try:  # the WordPress plugin writes JSON strings ("https:\/\/...")
                value = json.loads(f'"{value}"') if "\\" in value else value
            except json.JSONDecodeError:
                pass
            return value.strip()
    return None


def embed_config(page: Page) -> tuple[str, str | None, str] | None:
    """(shortname, identifier, thread URL) of the page's Disqus embed, or None."""
    scripts = " ".join(s.text or "" for s in page.tree.iter("script"))
    sources = " ".join(page.tree.xpath("//script/@src"))
    shortname = _first(_SHORTNAME, scripts + " " + sources, 1)
    if shortname is None:
        return None
    return shortname, _first(_IDENTIFIER, scripts, 2), _first(_URL, scripts, 2) or page.url


def has_embed(page: Page) -> bool:
    return bool(page.tree.xpath("//*[@id='disqus_thread']")) or embed_config(page) is not None


def extract(page: Page, endpoints: CommentEndpoints) -> CommentThread:
    config = embed_config(page)
    if config is None:
        return CommentThread(comments=[], system="disqus", errors=["disqus embed without a forum shortname"])
    shortname, identifier, thread_url = config
    params = {"base": "default", "f": shortname}
    if identifier:
        params["t_i"] = identifier
    params["t_u"] = thread_url
    url = endpoints.disqus_embed + ("&" if "?" in endpoints.disqus_embed else "?") + urlencode(params)
    return CommentThread(comments=[], system="disqus", requests=[
        CommentRequest(url=url, kind="disqus-embed", headers={"Referer": page.url}, offsite=True)])


def _post(post: dict) -> CommentItem:
    author = post.get("author") or {}
    deleted = bool(post.get("isDeleted"))
    return CommentItem(
        external_id=str(post["id"]),
        parent_external_id=str(post["parent"]) if post.get("parent") not in (None, "", 0) else None,
        author=None if deleted else (author.get("name") or author.get("username")),
        author_url=None if deleted else (author.get("profileUrl") or author.get("url") or None),
        # createdAt is UTC written without an offset: never the site's time zone.
        posted_at=parse_date(post.get("createdAt"), tz="UTC"),
        body_text="" if deleted else fragment_text(post.get("message") or post.get("raw_message") or ""),
        deleted=deleted,
    )


def _posts(posts, errors: list[str]) -> list[CommentItem]:
    out = []
    for post in posts if isinstance(posts, list) else []:
        try:
            out.append(_post(post))
        except (KeyError, TypeError, AttributeError) as exc:
            errors.append(f"unreadable disqus post: {type(exc).__name__}")
    return out


def _next_page(cursor, thread_id: str, forum: str, endpoints: CommentEndpoints, order: str) -> list[CommentRequest]:
    if not isinstance(cursor, dict) or not cursor.get("hasNext") or not cursor.get("next"):
        return []
    params = {"thread": thread_id, "forum": forum, "cursor": cursor["next"], "limit": PAGE_SIZE, "order": order}
    if endpoints.disqus_api_key:
        params["api_key"] = endpoints.disqus_api_key
    url = endpoints.disqus_api.rstrip("/") + "/threads/listPostsThreaded.json?" + urlencode(params)
    return [CommentRequest(url=url, kind="disqus-api", offsite=True)]


def parse_embed(body: bytes | str, url: str, endpoints: CommentEndpoints) -> CommentThread:
    try:
        tree = lxml_html.document_fromstring(body)
    except (etree.ParserError, ValueError):  # an empty or binary body
        return CommentThread(comments=[], system="disqus", errors=["disqus embed page is not HTML"])
    scripts = tree.xpath("//script[@id='disqus-threadData']")
    if not scripts:
        return CommentThread(comments=[], system="disqus", errors=["disqus embed without thread data"])
    data = read_json(scripts[0].text or "")
    if data is None:
        return CommentThread(comments=[], system="disqus", errors=["disqus thread data is not JSON"])
    response = data.get("response") if isinstance(data, dict) else None
    if not isinstance(response, dict) or not isinstance(response.get("thread"), dict):
        return CommentThread(comments=[], system="disqus", errors=["disqus thread data without a thread"])
    thread = response["thread"]
    errors: list[str] = []
    comments = _posts(response.get("posts"), errors)
    forum = thread.get("forum") or (parse_qs(urlsplit(url).query).get("f") or [""])[0]
    order = response.get("order") if response.get("order") in ("asc", "desc", "popular") else "desc"
    total = thread.get("posts")
    return CommentThread(comments=comments, system="disqus", errors=errors,
                         reported_count=total if isinstance(total, int) else None,
                         requests=_next_page(data.get("cursor"), str(thread.get("id")), forum, endpoints, order))


def parse_api(body: bytes | str, url: str, endpoints: CommentEndpoints) -> CommentThread:
    data = read_json(body)
    if data is None:
        return CommentThread(comments=[], system="disqus", errors=["disqus api response is not JSON"])
    if not isinstance(data, dict) or data.get("code") != 0:
        code = data.get("code") if isinstance(data, dict) else None
        return CommentThread(comments=[], system="disqus", errors=[f"disqus api error {code}"])
    errors: list[str] = []
    comments = _posts(data.get("response"), errors)
    cursor = data.get("cursor")
    requests = []
    if isinstance(cursor, dict) and cursor.get("hasNext") and cursor.get("next"):
        requests = [CommentRequest(url=with_query(url, cursor=cursor["next"]), kind="disqus-api", offsite=True)]
    return CommentThread(comments=comments, system="disqus", errors=errors, requests=requests)
