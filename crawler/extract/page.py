"""A page parsed once: one lxml tree, one JSON-LD read, one meta-tag map.

Every field function in crawler/extract takes this object; none re-parses the bytes.
"""
from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from .rules import SiteRules

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class NotAnArticle(ValueError):
    """The page is not an article (listing, error page, empty, not HTML); .reason says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotHTML(NotAnArticle):
    """The bytes are not an HTML document (empty, binary, PDF, ...)."""


# HTML comments and processing instructions carry no article text; dropping them at parse
# time gives trafilatura the same tree it builds itself, so it can work on ours (no second parse).
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True)
# Every element an HtmlElement, chosen in C: lxml.html's own lookup calls a Python method for each
# element object it makes (~2 million a few hundred pages, every walk of every field function and
# of trafilatura) only to give <form>, <input>, <select>, <textarea> and <label> their form
# classes, which nothing here uses.
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity))


def _walk_json_ld(node, out: list[dict]) -> None:
    # A stack, not recursion: a page may nest lists thousands deep.
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if "@type" in node:
                out.append(node)
            if "@graph" in node:
                stack.append(node["@graph"])


# JSON nested deeper than this is no metadata anyone writes; Python's json module would
# raise RecursionError on it (and every reader of the structure would recurse as deep).
MAX_JSON_DEPTH = 64


def read_json(raw: str | bytes):
    """``json.loads``, or None for what is not JSON or nests deeper than MAX_JSON_DEPTH."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    return data if _depth_within(data, MAX_JSON_DEPTH) else None


def _depth_within(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return True


_ARTICLE_SCOPES = ("//*[@itemscope][contains(@itemtype, 'Article') or contains(@itemtype, 'BlogPosting') "
                   "or contains(@itemtype, 'Report')]")


def _owning_scope(el):
    for parent in el.iterancestors():
        if parent.get("itemscope") is not None:
            return parent
    return None


def _microdata_value(el, prop: str) -> str | None:
    if el.get("itemscope") is not None:  # a nested item (author: Person): its name is the value
        names = el.xpath(".//*[@itemprop='name']")
        if not names:
            return None
        el = names[0]
    for attr in ("content", "datetime"):
        if (value := el.get(attr)) and value.strip():
            return value.strip()
    if el.tag in ("a", "link") and prop == "url":
        return el.get("href")
    if el.tag == "meta":
        return None
    return re.sub(r"\s+", " ", el.text_content()).strip() or None


# One element holding more links than this is a link list (a tag cloud, a sitemap page, a page
# of 100,000 links), never article text, a byline or a comment; every field function walking
# it costs seconds (trafilatura's paragraph handling is quadratic in it: 8,000 links in one
# paragraph took 18 s), so such blocks leave the tree at parse time. Their links are kept in
# Page.link_farm_hrefs for the spider to follow (within its per-page link limit).
MAX_LINKS_PER_BLOCK = 500


def _drop_link_farms(tree) -> list[str]:
    counts: dict = {}
    for a in tree.iter("a"):
        parent = a.getparent()
        counts[parent] = counts.get(parent, 0) + 1
    hrefs: list[str] = []
    for block, n in counts.items():
        if n > MAX_LINKS_PER_BLOCK and block is not None and block.getparent() is not None:
            hrefs += [h for h in block.xpath(".//a/@href")]
            block.drop_tree()
    return hrefs


@dataclass
class Page:
    url: str
    html: str
    tree: lxml.html.HtmlElement
    fetched_at: datetime
    rules: SiteRules = field(default_factory=SiteRules)
    # Values that several field functions read (the byline, the JSON-LD article), computed once.
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    link_farm_hrefs: list[str] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def parse(cls, body: bytes | str, url: str, *, fetched_at: datetime | None = None,
              rules: SiteRules | None = None, encoding: str | None = None) -> "Page":
        if isinstance(body, bytes):
            if not body.strip():
                raise NotHTML("empty document")
            if body.lstrip()[:5] == b"%PDF-":
                raise NotHTML("a PDF document, not HTML")
            # UTF-16 and UTF-32 text is full of NUL bytes; binary content has them without a BOM.
            if b"\x00" in body[:2048] and not body.startswith(_WIDE_BOMS) \
                    and not (encoding or "").lower().replace("_", "-").startswith(("utf-16", "utf-32")):
                raise NotHTML("binary content, not HTML")
            # w3lib applies the HTTP header charset, then BOM, then <meta charset>,
            # then falls back to detection: what browsers do with a wrong or missing charset.
            _, text = html_to_unicode(f"charset={encoding}" if encoding else None, body)
        else:
            text = body
        if not text.strip():
            raise NotHTML("empty document")
        # XHTML's <?xml ... encoding="..."?> is only for bytes: lxml refuses it in decoded text.
        text = _XML_DECLARATION.sub("", text, count=1)
        try:
            tree = lxml.html.document_fromstring(text, parser=_PARSER)
        except (etree.ParserError, ValueError) as exc:
            raise NotHTML(f"unparseable HTML: {exc}") from exc
        page = cls(url=url, html=text, tree=tree, fetched_at=fetched_at or datetime.now(timezone.utc),
                   rules=rules or SiteRules())
        page.link_farm_hrefs = _drop_link_farms(tree)
        return page

    @cached_property
    def json_ld(self) -> list[dict]:
        """Every typed JSON-LD object on the page, ``@graph`` flattened."""
        out: list[dict] = []
        for script in self.tree.xpath('//script[@type="application/ld+json"]'):
            raw = (script.text or "").strip()
            if not raw:
                continue
            data = read_json(raw)
            if data is None:
                # Sites often ship trailing commas or raw newlines in strings.
                data = read_json(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")))
            if data is None:
                continue
            _walk_json_ld(data, out)
        return out

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """``<meta>`` contents by lower-cased name/property/itemprop, in document order."""
        out: dict[str, list[str]] = {}
        for el in self.tree.iter("meta"):
            key = el.get("property") or el.get("name") or el.get("itemprop")
            content = el.get("content")
            if key and content is not None and content.strip():
                out.setdefault(key.strip().lower(), []).append(content.strip())
        return out

    @cached_property
    def microdata(self) -> dict[str, list]:
        """schema.org microdata of the page's article (the *Article/BlogPosting scope with the
        most text), by itemprop.

        Props of nested scopes (comments, images, the publisher) are left out, except that an
        ``author`` scope contributes its ``name``.
        """
        out: dict[str, list] = {}
        scopes = self.tree.xpath(_ARTICLE_SCOPES)
        # Teasers for other posts (related, popular) are Article scopes too: the page's own
        # article is the one holding the most text.
        for scope in sorted(scopes, key=lambda s: len(s.text_content()), reverse=True)[:1]:
            for el in scope.iterdescendants():
                prop = el.get("itemprop") if isinstance(el.tag, str) else None
                if not prop or _owning_scope(el) is not scope:
                    continue
                value = _microdata_value(el, prop)
                if value:
                    for name in prop.split():
                        out.setdefault(name, []).append(value)
        return out

    def cached(self, key: str, compute):
        """A value several field functions need (the byline, the JSON-LD article), computed once."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def meta_first(self, *keys: str) -> str | None:
        for key in keys:
            if values := self.meta.get(key.lower()):
                return values[0]
        return None
