"""Blocks of the page around trafilatura's reading of it: the boxes it should not read, and the
subheadings, lists and tables between the paragraphs it kept that its precise pass leaves out.

Both name kinds of markup (CMS class conventions, the shape of trafilatura's two passes), never
a site. crawler/extract/body.py calls them around its trafilatura passes.
"""
from __future__ import annotations

import re

from .page import Page

_WORD = re.compile(r"\w+")


def norm(text: str) -> str:
    """Words only, case-folded: how a line of trafilatura's text is matched to the page's."""
    return " ".join(_WORD.findall(text)).casefold()


def paragraph_chars(page: Page) -> int:
    """How much text the page's own <p> elements hold: what a reader sees as running text."""
    return sum(len(" ".join(p.text_content().split())) for p in page.tree.iter("p"))


# Boxes that CMSs and themes name by what they are, beside or inside the article: the author's
# bio (WordPress's Simple Author Box "saboxplugin", "author-bio", "about-the-author"), affiliate
# and editorial disclosures, newsletter sign-ups, donation appeals and calls to action. trafilatura
# knows some of these names, not these spellings. Such a box is short: a block of that name
# holding more text than this wraps the article itself ("newsletter-content" on a newsletter's
# own page, "above-cta").
_FURNITURE_CLASS = re.compile(
    r"(author|writer|contributor)s?[-_]*(bio|box|info|description|details|card|profile)|"
    r"about[-_]*(the[-_]*)?author|saboxplugin|bio[-_]*box|"
    r"disclosure|disclaimer|affiliate|newsletter|donat(e|ion)|(^|[-_ ])cta([-_ ]|$)")
_FURNITURE_MAX_CHARS = 2000
# Reader comments under any widget's prefix ("xenforo-comments-list", "wpd-comment-list"), not
# a commentary ("live-match-comment-body") or a code comment ("hljs-comment").
_COMMENTS_CLASS = re.compile(r"(^|[-_ ])comments([-_ ]|$)|comment[-_]?(list|section|area|thread|widget)")
_ARTICLE_IN_PARAGRAPHS = 500
FURNITURE_MARK = "data-newsdesk-furniture"
FURNITURE = f"//*[@{FURNITURE_MARK}]"


def mark_furniture(page: Page) -> list:
    """Mark the page's furniture boxes for trafilatura's prune_xpath (FURNITURE); the caller
    removes the marks (FURNITURE_MARK) afterwards. Returns the marked elements."""
    marked = []
    page_chars = None
    named: dict[str, str | None] = {}  # class attribute -> "comments", "furniture" or None
    for el in page.tree.xpath("//body//*[@class][not(self::article or self::main)]"):
        klass = el.get("class", "")
        if klass not in named:  # pages repeat a few class strings over hundreds of elements
            lowered = klass.lower()
            named[klass] = ("comments" if _COMMENTS_CLASS.search(lowered)
                            else "furniture" if _FURNITURE_CLASS.search(lowered) else None)
        kind = named[klass]
        if kind is None:
            continue
        if kind == "comments":
            # Readers' comments sit under an article that is set in paragraphs; "comments" on a
            # page without such text are its own text (a live match's commentary).
            if page_chars is None:
                page_chars = paragraph_chars(page)
            furniture = page_chars >= _ARTICLE_IN_PARAGRAPHS
        else:
            furniture = len(el.text_content()) <= _FURNITURE_MAX_CHARS
        if furniture and not el.xpath(".//h1"):
            el.set(FURNITURE_MARK, "")
            marked.append(el)
    return marked


# A run of lines between two kept paragraphs reads as body text when its lines average this
# many words; menus, breadcrumbs and "level 1"/"Reply" lines average fewer.
_FILL_IN_WORDS = 4
# The recall pass must hold (almost) all of the precise pass's lines to be the same article.
_FILL_IN_COVERS = 0.8


_INNER_BLOCKS = ("li", "h2", "h3", "h4", "h5", "h6", "td", "dd", "dt")


def left_out_between(page: Page, text: str) -> bool:
    """Whether the page has list items, subheadings or table cells that read as text, between
    the first and the last of its paragraphs the text kept, and that the text lacks."""
    kept = {norm(line) for line in text.split("\n") if line.strip()}
    # One string to search instead of every kept line in turn: a candidate has no newline, so it
    # is a substring of the joined lines exactly when it is one of some single line.
    kept_lines = "\n".join(kept)
    missing = pending = 0
    seen_kept = False
    for el in page.tree.iter("p", *_INNER_BLOCKS):
        if el.tag != "p" and not seen_kept:
            continue  # blocks above the first kept paragraph are never counted
        words = norm(el.text_content())
        if el.tag == "p":
            if words in kept:
                seen_kept = True
                missing += pending
                pending = 0
        elif seen_kept and len(words.split()) >= _FILL_IN_WORDS and words not in kept \
                and words not in kept_lines:
            pending += len(words)
    return missing > 0


def fill_in(precise: str, recall: str) -> str:
    """The precise text with what trafilatura's recall pass finds *between* its paragraphs.

    The precise pass drops subheadings, lists and tables inside the article (a guide's
    "- Principle of regularity: ..." items, a post's <h5> subheads); the recall pass keeps them,
    and also the page furniture around the article (breadcrumbs above, related stories and
    disclaimers below). Only runs of lines that sit between two lines of the precise text, and
    read as sentences rather than menu entries, are taken in.
    """
    precise_lines = [line for line in precise.split("\n") if line.strip()]
    recall_lines = [line for line in recall.split("\n") if line.strip()]
    have = {norm(line) for line in precise_lines}
    hits = [i for i, line in enumerate(recall_lines) if norm(line) in have]
    if not hits or len({norm(recall_lines[i]) for i in hits}) < _FILL_IN_COVERS * len(have):
        return precise
    out: list[str] = []
    run: list[str] = []
    for line in recall_lines[hits[0]:hits[-1] + 1]:
        if norm(line) not in have:
            run.append(line)
            continue
        if run and sum(len(r.split()) for r in run) >= _FILL_IN_WORDS * len(run):
            out.extend(run)
        run = []
        out.append(line)
    return "\n".join(out) if len(out) > len(hits) else precise
