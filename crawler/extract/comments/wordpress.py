"""WordPress's own comment markup, and the post's comment feed as a fallback.

Markup variants seen on real themes (all produced by ``wp_list_comments`` or the block
editor's Comment Template):

- html5 walker (Twenty Thirteen onwards, most themes): ``li#comment-N.comment`` >
  ``article.comment-body`` with ``.comment-author .fn``, ``.comment-metadata time`` and
  ``.comment-content``; replies in ``ol.children`` (``ul.children``) inside the ``li``;
- xhtml walker (older themes): ``li#comment-N`` > ``div#div-comment-N.comment-body`` with
  ``cite.fn``, ``.commentmetadata a`` (a date without a machine form) and the text as
  bare paragraphs in the body;
- Twenty Ten/Eleven: ``li#li-comment-N`` > ``article#comment-N`` (or ``div#comment-N``);
- block themes: ``ol.wp-block-comment-template`` > ``li#comment-N`` with
  ``.wp-block-comment-author-name``, ``.wp-block-comment-date time`` and
  ``.wp-block-comment-content``;
- ``style => div`` lists: ``div#comment-N.comment`` with ``div.children``.

Lists are ``ol.commentlist`` (old themes) or ``ol.comment-list``; pagination is
``/comment-page-N/`` or ``?cpage=N`` (see pagination.py). Pingbacks and trackbacks are
notices about other sites linking here, not reader comments, and are left out.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ...items import CommentItem
from ..dates import parse_date
from ..page import Page
from .pagination import comment_page_requests, thread_base
from .text import comment_text, fragment_text
from .thread import CommentRequest, CommentThread

_NODE_ID = re.compile(r"^(?:li-)?comment-(\d+)$")
_COUNT = re.compile(r"(\d[\d,.]*)\s+(comment|thought|response|repl|reaction)", re.I)
_LISTS = ("//ol[contains(@class,'commentlist') or contains(@class,'comment-list')"
          " or contains(@class,'wp-block-comment-template')]"
          " | //ul[contains(@class,'commentlist') or contains(@class,'comment-list')]")
_AUTHOR = ("descendant::*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')"
           " or contains(@class, 'wp-block-comment-author-name')]")
_AUTHOR_FALLBACK = "descendant::*[contains(@class, 'comment-author')]"
_TIME = "descendant::time[@datetime]"
_DATE_TEXT = ("descendant::*[contains(@class, 'comment-metadata') or contains(@class, 'commentmetadata')"
              " or contains(@class, 'comment-meta') or contains(@class, 'wp-block-comment-date')]")
_CONTENT = ("descendant::*[contains(@class, 'comment-content') or contains(@class, 'wp-block-comment-content')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' comment-text ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' comment-entry ')]")
_WP_TEXT = ("descendant::*[contains(concat(' ', normalize-space(@class), ' '), ' comment-content ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' comment-body ')"
            " or contains(@class, 'wp-block-comment-content')]")
_BODY = "descendant::*[contains(concat(' ', normalize-space(@class), ' '), ' comment-body ')]"
_NOT_TEXT = ("./*[contains(@class, 'comment-author') or contains(@class, 'comment-meta')"
             " or contains(@class, 'commentmetadata') or contains(@class, 'comment-metadata')"
             " or contains(@class, 'vcard') or contains(@class, 'children')]")


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def comment_nodes(page: Page) -> dict[etree._Element, str]:
    """Each comment's outermost element → its WordPress comment id, in page order."""
    nodes: dict = {}
    numbers: set[str] = set()
    for el in page.tree.iter("li", "div", "article"):
        m = _NODE_ID.match(el.get("id") or "")
        if not m:
            continue
        if _classes(el) & {"pingback", "trackback"}:
            continue
        if not (_classes(el) & {"comment"} or el.tag == "li"):
            continue
        # WordPress lists its comments (ol/ul) or wraps the text in its own classes; other
        # CMSs also say comment-N (Drupal) and are read by the generic extractor.
        if not el.xpath("ancestor::ol | ancestor::ul") and not el.xpath(_WP_TEXT):
            continue
        if m.group(1) in numbers:  # Twenty Eleven: li#li-comment-N > article#comment-N
            continue
        numbers.add(m.group(1))
        nodes[el] = m.group(1)
    return nodes


def has_markup(page: Page) -> bool:
    return bool(comment_nodes(page))


class _Owners(dict):
    """Each element's comment (the nearest enclosing comment node), found in one pass."""

    def __init__(self, page: Page, nodes: dict):
        super().__init__()
        for el in page.tree.iter():
            parent = el.getparent()
            self[el] = el if el in nodes else self.get(parent)


def _owned(node, xpath: str, owners: _Owners) -> list:
    """Matches inside ``node`` that belong to it, not to a reply nested in it."""
    return [el for el in node.xpath(xpath) if owners.get(el) is node]


def _posted(node, owners, rules):
    for value in _owned(node, _TIME, owners):
        if posted := parse_date(value.get("datetime"), tz=rules.timezone, date_order=rules.date_order):
            return posted
    for meta in _owned(node, _DATE_TEXT, owners):
        text = " ".join(meta.text_content().split())
        # "January 12, 2023 at 10:11 am" (the theme's date and time formats joined by "at")
        text = re.sub(r"\s+(at|um|à|a las|alle|om)\s+", " ", text)
        if posted := parse_date(text, tz=rules.timezone, date_order=rules.date_order):
            return posted
    return None


def _author(node, owners, page):
    found = _owned(node, _AUTHOR, owners) or _owned(node, _AUTHOR_FALLBACK, owners)
    if not found:
        return None, None
    el = found[0]
    name = " ".join(el.text_content().split())
    name = re.sub(r"\s+(says|said|dit|sagt|dice):?$", "", name) or None
    links = el.xpath("self::a/@href | .//a/@href")
    return name, urljoin(page.url, links[0]) if links else None


def _text(node, owners):
    if content := _owned(node, _CONTENT, owners):
        return comment_text(content[0])
    if body := _owned(node, _BODY, owners):  # xhtml walker: the text is bare paragraphs in the body
        return comment_text(body[0], exclude=_NOT_TEXT)
    return None


def extract_markup(page: Page) -> CommentThread:
    nodes = comment_nodes(page)
    owners = _Owners(page, nodes)
    comments, errors = [], []
    for node, ext in nodes.items():
        try:
            parent = owners.get(node.getparent())
            text = _text(node, owners)
            if text is None:
                errors.append("comment without text")
                continue
            author, author_url = _author(node, owners, page)
            comments.append(CommentItem(
                external_id=ext, body_text=text, parent_external_id=nodes[parent] if parent is not None else None,
                author=author, author_url=author_url, posted_at=_posted(node, owners, page.rules)))
        except Exception as exc:  # one broken comment must not lose the rest
            errors.append(f"unreadable comment: {type(exc).__name__}")
    lists = page.tree.xpath(_LISTS)
    return CommentThread(comments=comments, system="wordpress", reported_count=reported_count(page),
                         requests=comment_page_requests(page, lists[0].getparent() if lists else None),
                         errors=errors)


def reported_count(page: Page) -> int | None:
    for el in page.tree.xpath("//*[contains(@class,'comments-title') or @id='comments-title'"
                              " or contains(@class,'wp-block-comments-title')]"
                              " | //*[@id='comments']/h2 | //*[@id='comments']/h3"):
        if m := _COUNT.search(el.text_content()):
            return int(re.sub(r"[,.]", "", m.group(1)))
    return None


# --- the post's comment feed -----------------------------------------------------------------

def comment_feed_url(page: Page) -> str | None:
    """The post's own comment feed (``/post/feed/`` or ``?feed=rss2&p=N``) that WordPress
    advertises in the head of every single post, or None."""
    base = thread_base(page.url)
    for href in page.tree.xpath("//link[@rel='alternate'][contains(@type,'rss') or contains(@type,'atom')]/@href"):
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if parts.netloc.lower() != base[0]:
            continue
        if re.search(r"/feed/?(?:rss2?/?|atom/?)?$", parts.path) and \
                (parts.path.rsplit("/feed", 1)[0].rstrip("/") or "/") == base[1] and base[1] != "/":
            return url
        if "feed=" in parts.query and re.search(r"(?:^|&)p=\d+", parts.query):
            return url
    return None


def feed_fallback(page: Page) -> CommentThread | None:
    """A WordPress post whose page shows no thread (comments rendered by a script, or a
    theme that hides them) still has its comment feed; a page that says it has no
    comments is not worth a request."""
    url = comment_feed_url(page)
    if url is None:
        return None
    count = reported_count(page)
    if count == 0:
        return None
    return CommentThread(comments=[], system="wordpress-feed", reported_count=count,
                         requests=[CommentRequest(url=url, kind="wordpress-feed")])


_NS = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}
_COMMENT_LINK = re.compile(r"#comment-(\d+)$")


def parse_feed(body: bytes | str, url: str, rules) -> CommentThread:
    """RSS 2.0 comment feed: item link ``...#comment-N``, ``dc:creator``, ``pubDate``, and
    ``content:encoded``; a reply's content starts with a paragraph "In reply to
    <a href="...#comment-M">NAME</a>." (in the site's language), which names its parent."""
    try:
        root = etree.fromstring(body if isinstance(body, bytes) else body.encode("utf-8"),
                                parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None or not root.xpath("//channel"):
        return CommentThread(comments=[], system="wordpress-feed", errors=["comment feed is not RSS"], complete=False)
    comments, errors = [], []
    for item in root.xpath("//channel/item"):
        link = (item.findtext("link") or item.findtext("guid") or "").strip()
        m = _COMMENT_LINK.search(link) or _COMMENT_LINK.search((item.findtext("guid") or "").strip())
        if not m:
            errors.append("feed item without a comment id")
            continue
        markup = item.findtext("content:encoded", namespaces=_NS) or item.findtext("description") or ""
        parent, markup = _reply_prefix(markup)
        author = (item.findtext("dc:creator", namespaces=_NS) or "").strip() or None
        comments.append(CommentItem(
            external_id=m.group(1), body_text=fragment_text(markup), parent_external_id=parent, author=author,
            posted_at=parse_date(item.findtext("pubDate"), tz=rules.timezone if rules else None)))
    # WordPress puts only the newest comments (posts_per_rss, 10 by default) in the feed.
    return CommentThread(comments=comments, system="wordpress-feed", errors=errors, complete=False)


def _reply_prefix(markup: str) -> tuple[str | None, str]:
    if not markup.strip():
        return None, markup
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None, markup
    first = next(iter(root), None)
    if first is not None and first.tag == "p":
        links = first.xpath(".//a[@href]")
        if len(links) == 1 and (m := _COMMENT_LINK.search(links[0].get("href"))) and len(first.text_content()) < 200:
            first.drop_tree()
            return m.group(1), lxml_html.tostring(root, encoding="unicode")
    return None, markup
