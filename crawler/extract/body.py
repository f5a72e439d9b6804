"""The article body: trafilatura on the page's own tree, then newsdesk's general post-processing.

trafilatura (the best open-source generic extractor) finds the main text block. What it
gets wrong on news pages is page furniture it keeps (headline and standfirst repeated at the
top, hidden microdata, "READ MORE"/newsletter/share lines, teaser links, date lines) and text it
drops (embedded posts such as tweets, bodies split over sibling containers around ads).
Each rule below is general: it names a kind of furniture any news site has, never a site.
"""
from __future__ import annotations

import re
from copy import copy

import trafilatura

from .body_blocks import FURNITURE, FURNITURE_MARK, fill_in, left_out_between, mark_furniture, paragraph_chars
from .body_blocks import norm as _norm
from .furniture_lines import is_furniture
from .page import Page

# Blocks hidden from assistive technology (icon fonts, decorative copies, tooltips) are not
# text for a reader. Blocks hidden by style or the hidden attribute are kept: pages load their
# article hidden and reveal it by script (tabs, "read more" folds, fade-ins), and on the dev set
# dropping them cost more article text than the stray microdata copies they removed.
_HIDDEN = "//*[@aria-hidden='true']"

_WORD = re.compile(r"\w+")

_MONTH = (r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janeiro|fevereiro|março|abril|maio|junho|julho|"
          r"agosto|setembro|outubro|novembro|dezembro|gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|"
          r"settembre|ottobre|dicembre|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|"
          r"avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|junio|julio|septiembre|"
          r"octubre|noviembre|diciembre)\w*")
_DATE = re.compile(r"\b(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|%s\.? \d{1,2},? \d{4}|"
                   r"\d{1,2}\.? (de )?%s( de)? \d{4}|\d{1,2}:\d{2})" % (_MONTH, _MONTH), re.I)
# What makes a short line with a date a dateline rather than a sentence: a weekday, or a word
# such as "Published"/"Updated"/"by" (in the languages the benchmark and the fixtures cover).
_DATELINE_WORD = re.compile(
    r"\b(published|updated|posted|last modified|by|publicado|atualizado|actualizado|pubblicato|aggiornato|"
    r"veröffentlicht|aktualisiert|publié|mis à jour|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.|segunda|terça|quarta|quinta|sexta|sábado|domingo|"
    r"lunedì|martedì|mercoledì|giovedì|venerdì|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|jueves|viernes)\b|"
    r"기사입력|입력|수정|発行|更新", re.I)


def _is_dateline(paragraph: str) -> bool:
    """A short line that is a date with a label, not a sentence that mentions a time:
    "Updated: Tue., Nov. 19, 2019", "05/10/2018 - Publicado por: ...", but not
    "The polls close at 8:00 on Tuesday." """
    if len(paragraph.split()) > 14 or paragraph.startswith(("—", "-—")):
        return False
    date, word = _DATE.search(paragraph), _DATELINE_WORD.search(paragraph)
    if not (date and word):
        return False
    sentence = paragraph.rstrip().endswith(".") and not re.search(r"\b[ap]\.m\.$", paragraph.rstrip(), re.I)
    return not sentence and min(date.start(), word.start()) <= 3


# Embedded posts are quoted by the article (a statement, a reaction) and read as part of it;
# trafilatura drops them with the embed's markup.
_EMBEDDED_POSTS = "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'twitter-video')]"


def _ws(text: str) -> str:
    return " ".join(text.split())


def _post_paragraphs(quote) -> list[str]:
    """An embedded post's text and its attribution line ("— Name (@handle) date")."""
    quote = copy(quote)
    quote.tail = None
    for br in quote.iter("br"):
        br.tail = "\n" + (br.tail or "")
    paragraphs = []
    for p in list(quote.iter("p")):
        paragraphs.extend(_ws(line) for line in p.text_content().split("\n"))
        p.drop_tree()
    paragraphs.append(_ws(quote.text_content()))
    return [p for p in paragraphs if p]


def restore_embedded_posts(page: Page, paragraphs: list[str]) -> list[str]:
    """Put back embedded posts after the body paragraph that precedes them on the page."""
    quotes = page.tree.xpath(_EMBEDDED_POSTS)
    if not quotes or not paragraphs:
        return paragraphs
    where = {_norm(p): i for i, p in enumerate(paragraphs)}
    present = _norm(" ".join(paragraphs))
    inserts: dict[int, list[str]] = {}
    for quote in quotes:
        post = _post_paragraphs(quote)
        if not post or _norm(post[0]) in present or _norm(post[-1]) in present:
            continue
        for before in quote.xpath("preceding::p[position() <= 8]")[::-1]:
            if (i := where.get(_norm(before.text_content()))) is not None:
                inserts.setdefault(i, []).extend(post)
                break
    if not inserts:
        return paragraphs
    out = []
    for i, p in enumerate(paragraphs):
        out.append(p)
        out.extend(inserts.get(i, ()))
    return out


# trafilatura's fast pass is as good as its full cascade (readability and justext as second
# opinions) on all but odd pages, at two thirds of the cost. The cascade is worth running when
# the fast pass found almost nothing, or fell back to dumping the page's menus (many one- or
# two-word lines), as it does when the article is short and the navigation long.
_SECOND_OPINION_BELOW = 300


_MOST_OF_THE_TEXT = 3


def _menu_dump(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) >= 15 and sum(len(line.split()) <= 3 for line in lines) >= 0.6 * len(lines)


def trafilatura_text(page: Page) -> str:
    # The furniture marks live only for the extraction: the comment extractor reads the same tree.
    marked = mark_furniture(page)
    try:
        return _trafilatura_text(page)
    finally:
        for el in marked:
            del el.attrib[FURNITURE_MARK]


def _trafilatura_text(page: Page) -> str:
    # trafilatura copies the tree it is given, so the page's own tree stays intact for the
    # other field functions and the comment extractor.
    options = dict(url=page.url, include_comments=False, include_tables=True, prune_xpath=[_HIDDEN, FURNITURE])
    text = trafilatura.extract(page.tree, fast=True, **options) or ""
    if text and left_out_between(page, text):
        recall = trafilatura.extract(page.tree, fast=True, favor_recall=True, **options) or ""
        text = fill_in(text, recall)
    if len(text) < _SECOND_OPINION_BELOW:
        second = trafilatura.extract(page.tree, fast=False, **options) or ""
        return second if len(second) > len(text) else text
    if _menu_dump(text):
        second = trafilatura.extract(page.tree, fast=False, **options) or ""
        return second if second and not _menu_dump(second) else text
    if len(text) * _MOST_OF_THE_TEXT < paragraph_chars(page):
        # The fast pass kept one block of a page whose paragraphs hold several times as much
        # text (a guide split into sections, an intro above a long list): the cascade's
        # second opinions read the whole article.
        second = trafilatura.extract(page.tree, fast=False, **options) or ""
        # (Whether the cascade also keeps what the fast pass found does not matter: on the dev
        # set it reads the article another way as often as it loses it.)
        return second if len(second) > 1.5 * len(text) and not _menu_dump(second) else text
    return text


def _link_texts(page: Page) -> set[str]:
    """Normalised text of every link on the page: a paragraph that is nothing but one of them
    is a teaser for another page ("READ MORE", related stories), not article text."""
    out = set()
    for a in page.tree.iter("a"):
        href = (a.get("href") or "").strip().lower()
        if href.startswith(("#", "mailto:", "tel:")):
            # a table of contents repeats the article's own subheadings; an address to write to
            # or call is the article's own information, not a teaser for another page
            continue
        text = _norm(a.text_content())
        if text:
            out.add(text)
    return out


_URL_TEXT = re.compile(r"https?://|www\.", re.I)


def _is_teaser(paragraph: str, links: set[str]) -> bool:
    text = paragraph[2:] if paragraph.startswith("- ") else paragraph
    norm = _norm(text)
    if len(norm.split()) >= 3 and norm in links and not _URL_TEXT.search(text):
        return True
    # A list item made of a headline link and then its summary, a new sentence: a "more stories"
    # box ("- Pats place Olszewski on IR New England's roster is re-shuffling"), unlike a linked
    # phrase that the sentence goes on from ("- T-Mobile CEO John Legere is stepping down in May").
    if paragraph.startswith("- "):
        words = norm.split()
        spans = list(_WORD.finditer(text))
        for n in range(3, min(len(words), 16)):
            if " ".join(words[:n]) in links:
                between = text[spans[n - 1].end():spans[n].start()] if n < len(spans) else "."
                return (n >= 0.3 * len(words) and spans[n].group()[:1].isupper()
                        and not re.search(r"[.!?:;]", between))
    return False


_SPLIT_BLOCKS = ("./p | ./h2 | ./h3 | ./ul/li | ./ol/li | ./blockquote | ./div/p | ./div/h2 | ./div/h3")


def _same_kind(a, b) -> bool:
    return a is not None and b is not None and a.tag == b.tag and a.get("class") == b.get("class") and a is not b


def restore_split_body(page: Page, paragraphs: list[str]) -> list[str]:
    """Some CMSs cut the body into several containers of one class around ads and embeds;
    trafilatura keeps one of them. Put the paragraphs of the others back, in page order."""
    if len(paragraphs) < 2:
        return paragraphs
    have = {_norm(p) for p in paragraphs}
    counts: dict = {}
    for p in page.tree.iter("p"):
        if _norm(p.text_content()) in have and (parent := p.getparent()) is not None:
            counts[parent] = counts.get(parent, 0) + 1
    if not counts:
        return paragraphs
    container = max(counts, key=counts.get)
    klass = container.get("class")
    if not klass or counts[container] < 2:
        return paragraphs
    parent = container.getparent()
    parts = [part for part in page.tree.xpath(f"//{container.tag}[@class=$klass]", klass=klass)
             if part is container or _same_kind(part.getparent(), parent)]
    if len(parts) < 2:
        return paragraphs
    before, after, seen_container = [], [], False
    for part in parts:
        if part is container:
            seen_container = True
            continue
        found = [t for t in (_ws(b.text_content()) for b in part.xpath(_SPLIT_BLOCKS)) if t and _norm(t) not in have]
        (after if seen_container else before).extend(found)
    restored = before + after
    # the other parts must read as running text (10 words a block at least), not as link lists
    if not restored or sum(len(t.split()) for t in restored) < 10 * len(restored):
        return paragraphs
    return before + paragraphs + after


def extract_generic_body(page: Page, headlines: tuple[str, ...] = ()) -> str | None:
    """The body as paragraphs separated by one blank line, or None when there is none.

    ``headlines`` are the page's title(s): repeated at the top of the text, they are dropped
    (the headline is a field of its own, not body text).
    """
    text = trafilatura_text(page)
    if not text:
        return None
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    links = _link_texts(page)
    urls = (page.url, *page.tree.xpath("//link[@rel='canonical']/@href"))
    paragraphs = [p for p in paragraphs if not (is_furniture(p, urls) or _is_teaser(p, links) or _is_dateline(p))]
    paragraphs = restore_split_body(page, paragraphs)
    paragraphs = restore_embedded_posts(page, paragraphs)
    heads = {_norm(h) for h in headlines if h}
    paragraphs = [p for i, p in enumerate(paragraphs) if not (i < 3 and _norm(p) in heads)]
    if paragraphs and _is_standfirst(page, paragraphs[0]):
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs) or None


def set_as_heading(page: Page, text: str) -> bool:
    """Whether the page sets this text as a subheading (<h2>-<h4>). A standfirst so set is a
    second headline, not body text; one set as a paragraph (``<p class="intro">``, a German
    Vorspann, a French chapeau) is the article's opening paragraph and stays in the body."""
    norm = _norm(text)
    return bool(norm) and any(_norm(h.text_content()) == norm for h in page.tree.iter("h2", "h3", "h4"))


def _is_standfirst(page: Page, paragraph: str) -> bool:
    """A subheading at the top of the text that repeats the page's description is the standfirst
    (the summary under the headline), not the first paragraph, which is set as text."""
    text = _norm(paragraph)
    described = {_norm(page.meta_first(k) or "") for k in ("description", "og:description", "twitter:description")}
    return text in described and set_as_heading(page, paragraph)
