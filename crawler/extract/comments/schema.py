"""schema.org ``Comment`` in JSON-LD and in microdata.

Sites write threads two ways: nested (an ``Article``/``DiscussionForumPosting`` has
``comment: [...]`` and each ``Comment`` has its replies in its own ``comment``), or flat
with each reply naming its parent in ``parentItem`` (an ``@id``, a URL, or the parent
itself). A comment's id is its ``identifier``, else the fragment or path of its ``@id``/
``url`` (``...#comment-12`` → ``comment-12``), else a stable hash. Microdata is read with
extruct, which nests an ``itemprop="comment"`` item under the item it sits in.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urljoin, urlsplit

from extruct.w3cmicrodata import LxmlMicrodataExtractor

from ...items import CommentItem
from ..dates import parse_date
from ..page import Page
from .pagination import comment_page_requests
from .text import comment_text, text_or_markup
from .thread import CommentThread, StableIds

_MAX_ID = 120


def _is_comment(node) -> bool:
    kind = node.get("@type", node.get("type")) if isinstance(node, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1] == "Comment" for k in kinds)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _id_from_ref(ref, base_url: str) -> str | None:
    """An ``@id``/URL → a short external id: its fragment, else its path and query."""
    if isinstance(ref, dict):
        ref = ref.get("@id") or ref.get("id") or ref.get("url") or ref.get("identifier")
    if isinstance(ref, (int, float)):
        return str(ref)
    if not isinstance(ref, str) or not ref.strip():
        return None
    parts = urlsplit(urljoin(base_url, ref.strip()))
    value = parts.fragment or (parts.path + ("?" + parts.query if parts.query else ""))
    if len(value) > _MAX_ID:
        value = "u" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:19]
    return value or None


class _Reader:
    """Turns comment nodes (JSON-LD dicts or extruct microdata items) into CommentItems."""

    def __init__(self, page: Page, microdata: bool):
        self.page, self.microdata = page, microdata
        self.ids = StableIds()
        self.comments: list[CommentItem] = []
        self.errors: list[str] = []

    def prop(self, node, name):
        props = node.get("properties", {}) if self.microdata else node
        return props.get(name)

    def own_id(self, node) -> str | None:
        ident = self.prop(node, "identifier")
        if isinstance(ident, dict):  # PropertyValue
            ident = ident.get("value") or self.prop(ident, "value")
        if isinstance(ident, (str, int)) and str(ident).strip():
            return str(ident).strip()[:_MAX_ID]
        if self.microdata:
            html_node = node.get("htmlNode")
            ref = node.get("id") or self.prop(node, "url") or (html_node.get("id") if html_node is not None else None)
            if ref and html_node is not None and ref == html_node.get("id"):
                ref = "#" + ref
        else:
            ref = node.get("@id") or node.get("url")
        return _id_from_ref(ref, self.page.url)

    def author(self, node) -> tuple[str | None, str | None]:
        for author in _as_list(self.prop(node, "author")):
            if isinstance(author, str):
                return author.strip() or None, None
            if isinstance(author, dict):
                name = self.prop(author, "name") or self.prop(author, "alternateName")
                url = self.prop(author, "url") or self.prop(author, "sameAs")
                name = name[0] if isinstance(name, list) else name
                url = url[0] if isinstance(url, list) else url
                return (name.strip() if isinstance(name, str) else None,
                        urljoin(self.page.url, url) if isinstance(url, str) else None)
        return None, None

    def text(self, node) -> str:
        if self.microdata:
            html_node = node.get("htmlNode")
            for el in html_node.xpath(".//*[@itemprop='text' or @itemprop='commentText']") if html_node is not None else []:
                if el.xpath("ancestor::*[@itemscope][1]")[0] is html_node:
                    return comment_text(el)
        value = self.prop(node, "text") or self.prop(node, "commentText") or self.prop(node, "articleBody") or ""
        return text_or_markup(value if isinstance(value, str) else " ".join(map(str, _as_list(value))))

    def posted(self, node):
        for key in ("dateCreated", "datePublished", "commentTime", "uploadDate"):
            value = self.prop(node, key)
            value = value[0] if isinstance(value, list) and value else value
            if isinstance(value, str) and (posted := parse_date(value, tz=self.page.rules.timezone,
                                                                date_order=self.page.rules.date_order)):
                return posted
        return None

    def read(self, node, parent: str | None) -> None:
        try:
            author, author_url = self.author(node)
            text = self.text(node)
            posted = self.posted(node)
            parent_ref = self.prop(node, "parentItem")
            if parent is None and parent_ref:
                parent = _id_from_ref(_as_list(parent_ref)[0] if not self.microdata else
                                      self._microdata_ref(_as_list(parent_ref)[0]), self.page.url)
            ext = self.own_id(node) or self.ids(author, posted, text, parent)
            self.comments.append(CommentItem(external_id=ext, body_text=text, parent_external_id=parent,
                                             author=author, author_url=author_url, posted_at=posted))
        except Exception as exc:  # one odd node must not lose the rest
            self.errors.append(f"unreadable comment: {type(exc).__name__}")
            return
        for reply in _as_list(self.prop(node, "comment")):
            if _is_comment(reply):
                self.read(reply, ext)

    def _microdata_ref(self, ref):
        if isinstance(ref, dict):
            return ref.get("id") or self.prop(ref, "url") or self.prop(ref, "identifier")
        return ref


def _roots(nodes, is_comment, children_of) -> list:
    """Comment nodes not nested in another comment, found anywhere in the data."""
    out, stack = [], list(nodes)
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack[:0] = node
        elif isinstance(node, dict):
            if is_comment(node):
                out.append(node)  # its replies are read from it
            else:
                stack[:0] = children_of(node)
    return out


def extract_json_ld(page: Page) -> CommentThread | None:
    roots = _roots(page.json_ld, _is_comment, lambda n: [v for v in n.values() if isinstance(v, (dict, list))])
    if not roots:
        return None
    reader = _Reader(page, microdata=False)
    for node in roots:
        reader.read(node, None)
    return _thread(page, reader, "schema-jsonld")


def extract_microdata(page: Page) -> CommentThread | None:
    if not page.tree.xpath("//*[@itemtype][contains(@itemtype, 'Comment')]"):
        return None
    items = LxmlMicrodataExtractor(add_html_node=True).extract_items(page.tree, page.url)

    def children_of(node):
        return [v for v in node.get("properties", {}).values() if isinstance(v, (dict, list))]

    roots = _roots(items, _is_comment, children_of)
    if not roots:
        return None
    reader = _Reader(page, microdata=True)
    for node in roots:
        reader.read(node, None)
    return _thread(page, reader, "schema-microdata")


def _thread(page: Page, reader: _Reader, system: str) -> CommentThread:
    container = page.tree.xpath("//*[@id='comments' or contains(@class,'comments')]")
    return CommentThread(comments=reader.comments, system=system, errors=reader.errors,
                         reported_count=_reported(page),
                         requests=comment_page_requests(page, container[0] if container else None))


def _reported(page: Page) -> int | None:
    for node in page.json_ld:
        count = node.get("commentCount")
        if isinstance(count, (int, str)) and str(count).strip().isdigit():
            return int(count)
    return None
