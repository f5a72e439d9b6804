"""The article's fields, one small function each, taking the parsed Page and reading its
sources in one documented order of trust (README "Extraction"):

    per-site rules → JSON-LD (NewsArticle and friends, @graph) → microdata →
    OpenGraph / article:* / Dublin Core meta → <time datetime> → bylines in the text → the URL
"""
from __future__ import annotations

import re
from copy import copy
from urllib.parse import urljoin

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from .authors import (
    clean_author_names,  # noqa: F401 (re-exported)
    extract_authors,  # noqa: F401 (re-exported: the field functions are read here)
)
from .body import extract_generic_body, set_as_heading
from .bylines import byline as _byline
from .furniture_lines import BOILERPLATE
from .page import Page
from .published import extract_dates  # noqa: F401 (re-exported: the field functions are read here)
from .sources import (
    css_first,
    declared_language,
    element_text,
    ld,
    micro,
    page_headlines,
)
from .titles import extract_title  # noqa: F401 (re-exported: the field functions are read here)

_DEK_CLASSES = ("dek", "standfirst", "subtitle", "subheadline", "sub-headline", "sub-title", "article-subtitle",
                "sub-head", "subhead", "deck", "article-deck",
                "article__dek", "article-dek", "entry-subtitle", "post-subtitle", "article-standfirst", "lede-text",
                "summary", "article-summary", "article__summary", "excerpt", "intro", "article-intro")
_DEK_CLASS_SET = frozenset(_DEK_CLASSES)


def extract_subtitle(page: Page) -> str | None:
    """The standfirst: JSON-LD/microdata alternativeHeadline, then a dek element under the headline."""
    return page.cached("subtitle", lambda: _find_subtitle(page))


def _find_subtitle(page: Page) -> str | None:
    for value in (ld(page, "alternativeHeadline"), micro(page, "alternativeHeadline")):
        if isinstance(value, str) and value.strip():
            return re.sub(r"\s+", " ", value).strip()
    # A standfirst sits right under the headline: look at the elements following the first <h1>.
    h1 = next(page.tree.iter("h1"), None)
    if h1 is None:
        return None
    for el in h1.xpath("following::*[@class][position() <= 40]"):
        if _DEK_CLASS_SET.intersection(el.get("class", "").split()):
            text = element_text(el)
            if 20 <= len(text) <= 400:
                return text
    return None


def extract_section(page: Page) -> str | None:
    if el := css_first(page, page.rules.section):
        return element_text(el)
    value = ld(page, "articleSection") or micro(page, "articleSection")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    if section := page.meta_first("article:section", "section", "parsely-section"):
        return section
    if (byline := _byline(page)) and byline.get("section"):
        return byline["section"].strip()
    return None


def extract_tags(page: Page) -> list[str]:
    tags = page.meta.get("article:tag") or []
    kw = ld(page, "keywords") or micro(page, "keywords")
    if not tags and kw:
        tags = kw if isinstance(kw, list) else [t.strip() for t in str(kw).split(",")]
        # schema.org allows keywords as DefinedTerm objects: their name is the tag.
        tags = [t.get("name") if isinstance(t, dict) else t for t in tags]
    if not tags:
        tags = [element_text(a) for a in page.tree.xpath("//a[@rel='tag']")]
    return list(dict.fromkeys(t for t in tags if isinstance(t, str) and t))


def extract_image(page: Page) -> str | None:
    image = ld(page, "image")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, dict):
        image = image.get("url")
    if isinstance(image, str) and image.strip():
        return urljoin(page.url, image.strip())
    if image := page.meta_first("og:image", "twitter:image", "twitter:image:src"):
        return urljoin(page.url, image)
    for src in page.tree.xpath("//article//img/@src | //figure//img/@src"):
        return urljoin(page.url, src)
    return None


def extract_language(page: Page, body: str | None) -> str | None:
    """The body's language as detected by py3langid; the declared one when the body is short or
    the detector is unsure (templates often keep lang="en" on pages in other languages)."""
    if page.rules.language:
        return page.rules.language
    declared = declared_language(page)
    if body and len(body) >= 200:
        detected, confidence = _language_identifier().classify(body[:600])
        if confidence >= 0.9 or not declared:
            return detected
    return declared


_IDENTIFIER = None


def _language_identifier():
    global _IDENTIFIER
    if _IDENTIFIER is None:
        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def extract_lead(page: Page, body: str | None) -> str | None:
    value = ld(page, "description") or page.meta_first("description", "og:description", "twitter:description")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return body.split("\n\n")[0] if body else None


def _paragraphs_from(container) -> str:
    blocks = []
    for el in container.xpath(".//p | .//h2 | .//h3 | .//blockquote[not(.//p)] | .//li"):
        text = element_text(el)
        if text and not BOILERPLATE.match(text):
            blocks.append(text)
    return "\n\n".join(blocks)


def extract_body(page: Page, title: str | None = None) -> str | None:
    """Per-site body selectors win; otherwise the generic extractor (crawler/extract/body.py).

    Computed once per page: looks_like_article() may need it before parse_article() does."""
    return page.cached(f"body:{title}", lambda: _find_body(page, title))


def _find_body(page: Page, title: str | None) -> str | None:
    rules = page.rules
    if rules.body and (found := page.tree.cssselect(rules.body)):
        container = copy(found[0])  # the page's tree is shared with the comment extractor
        for sel in rules.body_exclude:
            for el in container.cssselect(sel):
                el.drop_tree()
        return _paragraphs_from(container) or None
    # the headline and a standfirst set as a subheading are fields of their own, not body text
    standfirst = extract_subtitle(page)
    headlines = (title, page.meta_first("og:title"), *page_headlines(page),
                 *([standfirst] if standfirst and set_as_heading(page, standfirst) else []))
    return extract_generic_body(page, headlines)
