"""One extraction entry point for the spider, the CLI and the benchmark.

    from crawler.extract import extract_page
    item = extract_page(html_bytes, "https://site/2024/01/02/story/")

Each field has a small function taking the parsed Page; the order of trust is readable
in each: per-site rules → JSON-LD → OpenGraph/article:*/Dublin Core meta → <time> →
bylines in the text → the URL last.
"""
from __future__ import annotations

import re
from copy import copy
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from ..items import ArticleItem
from .body import BOILERPLATE, extract_generic_body
from .dates import parse_date
from .page import NotAnArticle, NotHTML, Page  # noqa: F401 (re-exported)
from .rules import SiteRules



ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle",
                 "OpinionNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "TechArticle", "Report"}

# A byline like the seed page's: "By: Earnest Jones | 12-07-2016 | News".
_BYLINE = re.compile(r"^\s*By:?\s+(?P<authors>[^|\n]{2,120}?)\s*(?:\|\s*(?P<date>[^|\n]{6,40}?)\s*"
                     r"(?:\|\s*(?P<section>[^|\n]{2,60}?))?)?\s*$", re.I)
_ROLE = re.compile(r"\b(staff|senior|chief|correspondent|reporter|editor|writer|columnist|contributor|"
                   r"staff writer|news desk|wire|press)\b.*$", re.I)
_EMAIL = re.compile(r"\S+@\S+")
def _json_ld_article(page: Page) -> dict | None:
    for obj in page.json_ld:
        types = obj.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if types & ARTICLE_TYPES:
            return obj
    return None


def _text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def _css_first(page: Page, selector: str | None):
    if not selector:
        return None
    found = page.tree.cssselect(selector)
    return found[0] if found else None


def _byline(page: Page) -> dict | None:
    for el in page.tree.xpath("//*[contains(@class,'meta') or contains(@class,'byline') or self::p or self::div]"
                              "[starts-with(normalize-space(.), 'By')]"):
        text = _text(el)
        if len(text) > 200:
            continue
        if m := _BYLINE.match(text):
            return m.groupdict()
    return None


def extract_title(page: Page) -> str | None:
    rules = page.rules
    if el := _css_first(page, rules.title):
        return _text(el)
    if (obj := _json_ld_article(page)) and isinstance(obj.get("headline"), str):
        return obj["headline"].strip()
    for xp in ("//h1[contains(@class,'title')]", "//article//h1", "//h1"):
        if found := page.tree.xpath(xp):
            if text := _text(found[0]):
                return text
    if title := page.meta_first("og:title", "twitter:title", "dc.title"):
        return title
    titles = page.tree.xpath("//title/text()")
    return re.split(r"\s[-|–]\s", titles[0].strip())[0] if titles else None


def clean_author_names(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = raw.get("name")
    if isinstance(raw, list):
        names = []
        for r in raw:
            names.extend(clean_author_names(r))
        return list(dict.fromkeys(names))
    if not isinstance(raw, str):
        return []
    text = _EMAIL.sub("", raw)
    text = re.sub(r"^\s*by:?\s+", "", text, flags=re.I)
    parts = re.split(r"\s*(?:,|&|\band\b|\bund\b|\bet\b|\by\b|;)\s*", text)
    names = []
    for part in parts:
        part = _ROLE.sub("", part).strip(" .,-|")
        if part and not re.search(r"\d", part) and len(part.split()) <= 5 and part.lower() != "staff":
            names.append(part)
    return list(dict.fromkeys(names))


def extract_authors(page: Page) -> list[str]:
    rules = page.rules
    sources = []
    if rules.authors:
        sources.append([_text(e) for e in page.tree.cssselect(rules.authors)])
    if obj := _json_ld_article(page):
        sources.append(obj.get("author"))
    sources.append(page.meta.get("author") or page.meta.get("article:author") or page.meta.get("dc.creator"))
    if byline := _byline(page):
        sources.append(byline["authors"])
    sources.append([_text(e) for e in page.tree.xpath("//*[@rel='author' or contains(@class,'author')]")[:3]])
    for source in sources:
        if names := clean_author_names(source):
            return names
    return []


def extract_dates(page: Page) -> tuple[datetime | None, datetime | None]:
    """(published, modified), kept apart; the site's time zone is applied to naive values."""
    r = page.rules
    kw = {"tz": r.timezone, "date_order": r.date_order, "fetched_at": page.fetched_at}
    published = modified = None
    if el := _css_first(page, r.published):
        published = parse_date(el.get("datetime") or _text(el), **kw)
    obj = _json_ld_article(page) or {}
    published = published or parse_date(obj.get("datePublished"), **kw)
    modified = parse_date(obj.get("dateModified"), **kw)
    published = published or parse_date(page.meta_first("article:published_time", "datePublished",
                                                         "dc.date", "dc.date.issued", "pubdate"), **kw)
    modified = modified or parse_date(page.meta_first("article:modified_time", "dateModified",
                                                      "og:updated_time"), **kw)
    if published is None:
        for value in page.tree.xpath("//article//time/@datetime | //time[@itemprop='datePublished']/@datetime"):
            if published := parse_date(value, **kw):
                break
    if published is None and (byline := _byline(page)) and byline.get("date"):
        published = parse_date(byline["date"], **kw)
    if published is None and (m := re.search(r"/(20\d{2}|19\d{2})/(\d{2})/(\d{2})/", urlsplit(page.url).path)):
        published = parse_date("-".join(m.groups()), **kw)
    return published, modified


def extract_section(page: Page) -> str | None:
    if el := _css_first(page, page.rules.section):
        return _text(el)
    obj = _json_ld_article(page) or {}
    if isinstance(obj.get("articleSection"), str):
        return obj["articleSection"]
    if section := page.meta_first("article:section"):
        return section
    if (byline := _byline(page)) and byline.get("section"):
        return byline["section"].strip()
    return None


def extract_tags(page: Page) -> list[str]:
    tags = page.meta.get("article:tag") or []
    obj = _json_ld_article(page) or {}
    if not tags and obj.get("keywords"):
        kw = obj["keywords"]
        tags = kw if isinstance(kw, list) else [t.strip() for t in str(kw).split(",")]
    if not tags:
        tags = [_text(a) for a in page.tree.xpath("//a[@rel='tag']")]
    return list(dict.fromkeys(t for t in tags if t))


def extract_image(page: Page) -> str | None:
    if image := page.meta_first("og:image", "twitter:image"):
        return urljoin(page.url, image)
    for src in page.tree.xpath("//article//img/@src | //figure//img/@src"):
        return urljoin(page.url, src)
    return None


def extract_language(page: Page, body: str | None) -> str | None:
    if page.rules.language:
        return page.rules.language
    lang = (page.tree.get("lang") or page.meta_first("og:locale", "content-language", "dc.language") or "")
    lang = lang.replace("_", "-").split("-")[0].lower()
    if lang:
        return lang
    if body:
        import py3langid

        return py3langid.classify(body[:2000])[0]
    return None


def extract_lead(page: Page, body: str | None) -> str | None:
    if description := page.meta_first("description", "og:description"):
        return description
    return body.split("\n\n")[0] if body else None


def _paragraphs_from(container) -> str:
    blocks = []
    for el in container.xpath(".//p | .//h2 | .//h3 | .//blockquote[not(.//p)] | .//li"):
        text = _text(el)
        if text and not BOILERPLATE.match(text):
            blocks.append(text)
    return "\n\n".join(blocks)


def extract_body(page: Page, title: str | None = None) -> str | None:
    """Per-site body selectors win; otherwise the generic extractor (crawler/extract/body.py)."""
    rules = page.rules
    if rules.body and (found := page.tree.cssselect(rules.body)):
        container = copy(found[0])  # the page's tree is shared with the comment extractor
        for sel in rules.body_exclude:
            for el in container.cssselect(sel):
                el.drop_tree()
        return _paragraphs_from(container) or None
    return extract_generic_body(page, title)


def looks_like_article(page: Page) -> tuple[bool, str]:
    if _json_ld_article(page) or page.meta_first("og:type") == "article":
        return True, "article markup"
    if page.tree.xpath("//title[contains(translate(., 'NOTFUD', 'notfud'), 'not found')]"):
        return False, "an error page (not found)"
    # Listings repeat headline links (teasers); an article page has one headline.
    teasers = page.tree.xpath("//main//h2/a | //main//h3/a | //article//h2/a | //*[contains(@class,'teaser') "
                              "or contains(@class,'post-list') or contains(@class,'entry-summary')]//a[1]")
    if len(teasers) >= 4:
        return False, "a listing page (repeated headline links)"
    paragraphs = [p for p in (_text(e) for e in page.tree.xpath("//p")) if len(p.split()) >= 12]
    words = sum(len(p.split()) for p in paragraphs)
    links = len(page.tree.xpath("//a[@href]"))
    if words >= 150 and words / max(links, 1) > 2 and len(page.tree.xpath("//h1")) <= 1:
        return True, "running text"
    if links > 20 and words < 150:
        return False, "a listing page (many links, little running text)"
    return False, "too little running text for an article"


def parse_article(page: Page, *, site: str | None = None, with_comments: bool = True) -> ArticleItem:
    if page.tree.xpath("//title[contains(translate(., 'NOTFUD', 'notfud'), 'page not found')]"):
        raise NotAnArticle("an error page (not found)")
    title = extract_title(page)
    body = extract_body(page, title)
    if not body or not title:
        ok, reason = looks_like_article(page)
        raise NotAnArticle("no article body found" if ok else reason)
    published, modified = extract_dates(page)
    canonical = page.tree.xpath("//link[@rel='canonical']/@href")
    from ..urls import canonical_url

    item = ArticleItem(
        url=page.url,
        canonical_url=canonical_url(urljoin(page.url, canonical[0]) if canonical else page.url),
        site=site or urlsplit(page.url).hostname or "",
        title=title, authors=extract_authors(page), published_at=published, modified_at=modified,
        section=extract_section(page), tags=extract_tags(page), image_url=extract_image(page),
        language=extract_language(page, body), lead=extract_lead(page, body), body_text=body,
        fetched_at=page.fetched_at,
    )
    if with_comments:
        from .comments import extract_comments, merge_threads

        try:
            thread = extract_comments(page)
            item.comments = merge_threads([thread])
            item.comment_count_reported = thread.reported_count
            item.comment_errors = list(thread.errors)
            item.comments_complete = not thread.errors and not thread.requests
        except Exception as exc:  # never lose the article for its thread
            item.comment_errors = [f"parser error: {type(exc).__name__}"]
            item.comments_complete = False
    return item


def extract_page(body: bytes | str, url: str, *, rules: SiteRules | None = None, site: str | None = None,
                 fetched_at: datetime | None = None, encoding: str | None = None,
                 with_comments: bool = True) -> ArticleItem:
    page = Page.parse(body, url, fetched_at=fetched_at, rules=rules, encoding=encoding)
    return parse_article(page, site=site, with_comments=with_comments)
