"""The publication date as the page shows it to readers, for pages whose markup says nothing
or something else: "Dec 30, 2013" under the headline, <time class="entry-time">April 26, 2024</time>
without a datetime, "<div>Published</div><div>October 14, 2025</div>", "<dt>Date:</dt><dd>
December 18, 2023</dd>", "Erstellt am: 01.11.2023". The date shown next to the headline, or in
an element the CMS names as a date, is what a reader takes for the article's date.
"""
from __future__ import annotations

import re
from itertools import chain

from .bylines import IN_PAGE_FURNITURE
from .page import Page

_MONTH = r"[^\W\d_]{3,10}\.?"
# A full date (day, month, year) in the ways pages write one for readers.
_FULL_DATE = re.compile(
    r"(?<![\d.])(?:(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}"                                  # 2024-11-06
    r"|\d{1,2}[./-]\d{1,2}[./-](?:(?:19|20)\d{2}|\d{2})"                                     # 12.12.2025
    rf"|\d{{1,2}}(?:\.|st|nd|rd|th|er)?\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?(?:19|20)\d{{2}}"  # 3 mars 2019
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})(?!\d)")                    # Dec 30, 2013
# Classes and ids that CMSs give the element showing a date.
_DATE_CLASS = re.compile(r"date|time|publish|posted|datum|fecha|byline|meta", re.I)
_UPDATE_CLASS = re.compile(r"updat|modif|comment|event", re.I)
_UPDATE_TEXT = re.compile(r"^\W*(?i:last\s+updated|updated|modified|aktualisiert|actualizado|atualizado|mis à jour|"
                          r"aggiornato|bijgewerkt|reviewed|edited)")
# Blocks whose dates are not the article's: an embedded post or quote, a photo caption, a link
# (a teaser of another article), a list of recent posts, a slider of posts, the sidebar (the
# class itself: "has-sidebar" names a layout), the footer, the site's masthead and navigation
# (today's date).
_NOT_THE_ARTICLES = ("ancestor-or-self::*[self::blockquote or self::figure or self::figcaption or self::iframe or "
                     "self::a or self::nav or @id='footer' or contains(@class, 'recent') or "
                     "contains(@class, 'slider') or contains(concat(' ', @class, ' '), ' sidebar ') or "
                     "((self::header or contains(@class, 'masthead') or contains(@id, 'masthead') or "
                     "contains(@class, 'navbar') or contains(@class, 'topbar') or @id='header') and not(.//h1))]")
# The headline's surroundings: the elements after it (kicker, byline, date, lead image) and the
# few before it (a date above the headline).
_AFTER_HEADLINE, _BEFORE_HEADLINE = 40, 15
# Longer text is a paragraph or a teaser that mentions a date, not a date shown as such.
MAX_SHOWN_DATE = 80


def shown_date(page: Page) -> str | None:
    """The date in the first element, around the headline and then anywhere the CMS marks a
    date, whose short text shows one (a label, a byline or a time of day may be beside it)."""
    return page.cached("shown_date", lambda: _find_shown_date(page))


def _find_shown_date(page: Page) -> str | None:
    body = page.tree.find("body")
    if body is None:
        return None
    h1 = next((h for h in body.iter("h1") if not h.xpath(IN_PAGE_FURNITURE)), None)
    around = []
    if h1 is not None:
        around = [*h1.xpath(f"following::*[position() <= {_AFTER_HEADLINE}]"),
                  *reversed(h1.xpath(f"preceding::*[position() <= {_BEFORE_HEADLINE}]"))]
    marked = (el for el in body.iter() if isinstance(el.tag, str) and (
        el.tag == "time" or _DATE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}")))
    for el in chain(around, marked):  # lazily: the walk over every marked element stops at the first date
        if el.tag in ("script", "style", "a") or len(el) > 6:
            continue
        if (date := _date_in(el)) and not _UPDATE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}") \
                and not el.xpath(IN_PAGE_FURNITURE) and not el.xpath(_NOT_THE_ARTICLES):
            return date
    return None


def _date_in(el) -> str | None:
    text = re.sub(r"\s+", " ", el.text_content()).strip()
    if not text or len(text) > MAX_SHOWN_DATE or _UPDATE_TEXT.match(text):
        return None
    m = _FULL_DATE.search(text)
    return m.group(0) if m else None
