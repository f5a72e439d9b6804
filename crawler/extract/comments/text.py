"""Comment markup → plain text: links keep their text, <br> and blocks become line breaks,
scripts, styles, forms and reply buttons go. What the commenter typed stays as typed, so
escaped markup in a comment ("&lt;script&gt;") is stored as the literal text it shows.

html-text (the library extruct uses) does the layout: it drops scripts and styles and
turns block elements and <br> into line breaks, as a browser shows them.
"""
from __future__ import annotations

import copy
import html
import re

import html_text
from lxml import etree
from lxml import html as lxml_html

# Page furniture that sits inside comment bodies on real themes: reply/edit links, the
# "awaiting moderation" note, forms, embedded frames.
_FURNITURE = (".//form | .//iframe | .//noscript | .//button | .//textarea"
              " | .//*[contains(concat(' ', normalize-space(@class), ' '), ' reply ')]"
              " | .//*[contains(@class, 'comment-reply-link') or contains(@class, 'comment-edit-link')"
              " or contains(@class, 'wp-block-comment-reply-link') or contains(@class, 'wp-block-comment-edit-link')"
              " or contains(@class, 'comment-awaiting-moderation')]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def comment_text(el, *, exclude: str | None = None) -> str:
    """Text of a comment's element. ``exclude``: an XPath (relative to ``el``) of what is
    not the text (author line, date) on themes that put everything in one box."""
    el = copy.deepcopy(el)  # furniture is cut from a copy, never from the page's tree
    query = _FURNITURE + (f" | {exclude}" if exclude else "")
    for bad in el.xpath(query):
        if bad is not el and bad.getparent() is not None:
            bad.drop_tree()
    return _normalise(html_text.extract_text(el, guess_layout=True))


def fragment_text(markup: str | None) -> str:
    """Text of an HTML fragment (a Disqus message, a feed item, JSON-LD text)."""
    if not markup or not markup.strip():
        return ""
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _normalise(markup)
    return comment_text(root)


_TAG = re.compile(r"<(?:[a-zA-Z][\w-]*(?:\s[^<>]*)?/?|/[a-zA-Z][\w-]*\s*|!--.*?--)>", re.S)


def text_or_markup(value: str | None) -> str:
    """A text field that may hold plain text (line breaks meant) or the comment's HTML
    (JSON-LD ``text`` is either, depending on the site): markup is read as markup, so none
    is ever kept; plain text keeps its line breaks."""
    if not value:
        return ""
    if _TAG.search(value):
        return fragment_text(value)
    return _normalise(html.unescape(value))


def _normalise(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
