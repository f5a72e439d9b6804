"""The article's title: the visible headline (<h1>) when the page's metadata backs it, else
the metadata's own title (JSON-LD headline, og:title, <title> without the site's name).

Why the headline first: on the dev set the <h1> is the title a reader sees (and the one the
truth records) far more often than og:title or JSON-LD, which sites write for search engines
and social cards ("Best X in 2023 | Top 10 Reviewed") and leave stale when the headline is
edited. But an <h1> can be page furniture too (a section name, "Post navigation", a logo
missed by LOGO_H1): it is taken only when it shares words with the metadata's titles.
"""
from __future__ import annotations

import html
import re

from .page import Page
from .sources import css_first, element_text, ld, micro, page_headlines, site_names

# An <h1> is the headline when this share of its words appears in the page's metadata titles.
_H1_BACKED = 0.3


def extract_title(page: Page) -> str | None:
    return page.cached("title", lambda: _find_title(page))


def _find_title(page: Page) -> str | None:
    if el := css_first(page, page.rules.title):
        return element_text(el)
    meta = _metadata_title(page)
    headline = _backed_headline(page)
    if not headline:
        return meta
    # A headline whose end is a metadata title carries a kicker or a section label set in the
    # same <h1> ("Opinion What I'll be praying for..." / "What I'll be praying for...").
    plain = _norm(headline)
    for other in (meta, ld(page, "headline"), page.meta_first("og:title")):
        if not isinstance(other, str):
            continue
        short = _norm(html.unescape(other))
        if short != plain and len(short.split()) >= 3 and plain.endswith(short) \
                and not plain[-len(short) - 1].isalnum():
            return re.sub(r"\s+", " ", html.unescape(other)).strip()
    return headline


def _words(text: str | None) -> set[str]:
    return set(re.findall(r"\w+", text.casefold())) if isinstance(text, str) else set()


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _backed_headline(page: Page) -> str | None:
    """The page's <h1> that shares enough words with its metadata titles, and most of them;
    the only <h1> when the page has no metadata title at all."""
    headlines = [strip_site_name(html.unescape(h), page, known_only=True) for h in page_headlines(page)]
    if not headlines:
        return None
    titles = page.tree.xpath("//title/text()")
    meta = set().union(*(_words(v) for v in (ld(page, "headline"), page.meta_first("og:title"),
                                             page.meta_first("twitter:title"), titles[0] if titles else None)))
    if not meta:
        return headlines[0] if len(headlines) == 1 else None
    # Of the backed <h1>s, the one that repeats most of the metadata's words: a section name
    # set as an <h1> above the headline ("Anglophenia") is backed too, by one word.
    best, matched = None, 0
    for h in headlines:
        words = _words(h)
        if words and len(words & meta) >= _H1_BACKED * len(words) and len(words & meta) > matched:
            best, matched = h, len(words & meta)
    return best


def _metadata_title(page: Page) -> str | None:
    sites = {n.casefold() for n in site_names(page)}
    for value in (ld(page, "headline"), ld(page, "name"), micro(page, "headline")):
        if isinstance(value, str) and value.strip() and value.strip().casefold() not in sites:
            return strip_site_name(re.sub(r"\s+", " ", html.unescape(value)).strip(), page, known_only=True)
    h1 = page_headlines(page)
    meta = page.meta_first("og:title", "twitter:title", "dc.title")
    meta = html.unescape(meta).strip() if meta else None
    if meta and meta.casefold() in sites:
        meta = None  # some sites put their own name in og:title
    if meta and h1 and _same_text(meta, h1):
        return next(t for t in h1 if _same_text(meta, [t]))
    if meta:
        return strip_site_name(meta, page)
    if h1:
        return h1[0]
    titles = page.tree.xpath("//title/text()")
    return strip_site_name(html.unescape(titles[0]).strip(), page) if titles and titles[0].strip() else None


def _same_text(a: str, candidates: list[str]) -> bool:
    norm = lambda s: " ".join(re.findall(r"\w+", s)).casefold()  # noqa: E731
    return any(norm(a) == norm(c) or norm(c) and norm(a).startswith(norm(c)) for c in candidates)


def strip_site_name(title: str, page: Page, known_only: bool = False) -> str:
    """Titles often end with " | Site" or " - Site": drop a last part that names the site
    (or, unless ``known_only``, any short last part after a long title)."""
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1:
        names = {n.casefold() for n in site_names(page)}
        if parts[0].casefold() in names or parts[0].casefold().replace(" ", "") in names:
            parts = parts[1:]  # "Site | Title" puts the name first
            if len(parts) == 1:
                return parts[0].strip()
        last = parts[-1].casefold()
        if last in names or last.replace(" ", "") in names or (
                not known_only and len(parts[-1].split()) <= 3 < len(" ".join(parts[:-1]).split())):
            return " - ".join(parts[:-1]).strip()
    return title.strip()
