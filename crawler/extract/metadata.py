"""The article's fields, one small function each, taking the parsed Page and reading its
sources in one documented order of trust (README "Extraction"):

    per-site rules → JSON-LD (NewsArticle and friends, @graph) → microdata →
    OpenGraph / article:* / Dublin Core meta → <time datetime> → bylines in the text → the URL
"""
from __future__ import annotations

import re
from copy import copy
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from .authors import (
    clean_author_names,  # noqa: F401 (re-exported)
    extract_authors,  # noqa: F401 (re-exported: the field functions are read here)
)
from .body import BOILERPLATE, extract_generic_body
from .bylines import IN_PAGE_FURNITURE
from .bylines import byline as _byline
from .bylines import datelines as _datelines
from .dates import ambiguous_numeric, parse_date
from .page import Page
from .sources import (
    css_first,
    declared_language,
    element_text,
    ld,
    micro,
    page_date_order,
    page_headlines,
    page_timezone,
)
from .titles import extract_title  # noqa: F401 (re-exported: the field functions are read here)
from .xpaths import MODIFIED_TIME

_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|[-_]|$)")


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


def _parse(page: Page, value) -> datetime | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    order = page_date_order(page) if ambiguous_numeric(value) else None
    return parse_date(value, tz=page_timezone(page), date_order=order, fetched_at=page.fetched_at, keep_offset=True,
                      language=declared_language(page))


def _first_date(page: Page, values) -> datetime | None:
    for value in values:
        if (parsed := _parse(page, value)) is not None and _plausible(page, parsed):
            return parsed
    return None


def _plausible(page: Page, value: datetime) -> bool:
    """Nothing was published after the page was fetched (a day's slack for clocks and zones)."""
    return value <= page.fetched_at + timedelta(days=1)


def _htmldate(page: Page, extensive: bool = False) -> str | None:
    """htmldate's markup heuristics (date classes, abbr, free-text patterns), for pages that
    give no date in the sources above; it works on a copy of the tree."""
    from htmldate import find_date  # slow to import (it brings dateparser); most pages never need it

    try:
        return find_date(page.tree, url=page.url, original_date=True, extensive_search=extensive,
                         outputformat="%Y-%m-%dT%H:%M:%S", max_date=page.fetched_at.strftime("%Y-%m-%d"))
    except Exception:  # htmldate raises on odd markup; a missing date is not worth a lost article
        return None


_PUBLISHED_META = ("article:published_time", "og:article:published_time", "datepublished", "dc.date.issued",
                   "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "pubdate", "publishdate",
                   "publish-date", "parsely-pub-date", "sailthru.date", "date", "og:pubdate", "article.published")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
                  "dcterms.modified", "last-modified", "article.updated")


def extract_dates(page: Page) -> tuple[datetime | None, datetime | None]:
    """(published, modified), kept apart; the site's time zone is applied to naive values.

    Sources are tried in the order of trust and only as far as needed (the later ones scan
    the page's text).
    """
    times = page.tree.xpath(f"//time[@datetime][not({IN_PAGE_FURNITURE})]")
    published = _with_time_of_day(page, _first_date(page, _published_sources(page, times)),
                                  _timed_published_sources(page, times))
    modified = _with_time_of_day(page, _first_date(page, _modified_sources(page, times)),
                                 _modified_sources(page, times))
    if published and modified and modified.astimezone(timezone.utc).date() < published.astimezone(timezone.utc).date():
        modified = None  # an "update" before the publication is a misread (another zone, another date)
    return published, modified


def _with_time_of_day(page: Page, found: datetime | None, markup) -> datetime | None:
    """A date without a time of day (a meta date, a URL's) gives way to the page's own
    machine-readable timestamp of the same day, which has one ("2016-02-28" ->
    <time datetime="2016-02-28T22:37:52+01:00">)."""
    if found is None or (found.hour, found.minute, found.second) != (0, 0, 0):
        return found
    for value in markup:
        if (isinstance(value, str) and re.search(r"\d[T ]\d{1,2}:\d{2}", value)
                and (timed := _parse(page, value)) is not None and timed.date() == found.date()
                and (timed.hour, timed.minute) != (0, 0)):
            return timed
    return found


def _timed_published_sources(page: Page, times: list):
    """The machine-readable publication times (JSON-LD, microdata, meta, the entry's <time>)."""
    yield ld(page, "datePublished")
    yield ld(page, "dateCreated")
    yield micro(page, "datePublished")
    yield from (page.meta_first(k) for k in _PUBLISHED_META)
    yield from (t.get("datetime") for t in times if not t.xpath(MODIFIED_TIME))


def _published_sources(page: Page, times: list):
    if el := css_first(page, page.rules.published):
        yield el.get("datetime") or el.get("content") or element_text(el)
    yield ld(page, "datePublished")
    yield ld(page, "dateCreated")
    yield micro(page, "datePublished")
    yield from (page.meta_first(k) for k in _PUBLISHED_META)
    yield from (t.get("datetime") for t in times if t.get("itemprop") == "datePublished" or t.get("pubdate") is not None
                or "published" in (t.get("class") or ""))
    yield from (t.get("datetime") for t in times if not t.xpath(MODIFIED_TIME))
    yield (_byline(page) or {}).get("date")
    yield _datelines(page).get("published")
    yield _htmldate(page)
    if m := _URL_DATE.search(urlsplit(page.url).path):
        yield "-".join(m.groups())
    # htmldate's search of the text for date patterns, as trafilatura runs it: only when
    # nothing in the markup, the bylines or the URL says when the page was published
    yield _htmldate(page, extensive=True)


def _modified_sources(page: Page, times: list):
    yield ld(page, "dateModified")
    yield micro(page, "dateModified")
    yield from (page.meta_first(k) for k in _MODIFIED_META)
    yield from (t.get("datetime") for t in times if t.xpath(MODIFIED_TIME))
    yield (_byline(page) or {}).get("modified")
    yield _datelines(page).get("modified")


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
    # the headline and the standfirst are fields of their own, not body text
    headlines = (title, page.meta_first("og:title"), *page_headlines(page), extract_subtitle(page))
    return extract_generic_body(page, headlines)
