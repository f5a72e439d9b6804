"""One extraction entry point for the spider, the CLI and the benchmark.

    from crawler.extract import extract_page
    item = extract_page(html_bytes, "https://site/2024/01/02/story/")

Each field has a small function taking the parsed Page, and reads the page's sources in one
documented order of trust (README "Extraction"):

    per-site rules → JSON-LD (NewsArticle and friends, @graph) → microdata →
    OpenGraph / article:* / Dublin Core meta → <time datetime> → bylines in the text → the URL

The body comes from per-site rules when present, else from crawler/extract/body.py.
"""
from __future__ import annotations

import html
import re
from copy import copy
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from ..items import ArticleItem
from .authors import clean_author_names
from .body import BOILERPLATE, extract_generic_body
from .bylines import IN_PAGE_FURNITURE
from .bylines import byline as _byline
from .bylines import datelines as _datelines
from .dates import ambiguous_numeric, locale_date_order, locale_timezone, order_from_examples, parse_date
from .page import NotAnArticle, NotHTML, Page  # noqa: F401 (re-exported)
from .rules import SiteRules

__all__ = ["extract_page", "parse_article", "looks_like_article", "NotAnArticle", "NotHTML", "Page", "SiteRules",
           "clean_author_names"]

ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle",
                 "OpinionNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "TechArticle", "Report",
                 "BackgroundNewsArticle", "AskPublicNewsArticle", "SatiricalArticle", "ScholarlyArticle",
                 "SocialMediaPosting", "WebPage"}

_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|[-_]|$)")

def _text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def _css_first(page: Page, selector: str | None):
    if not selector:
        return None
    found = page.tree.cssselect(selector)
    return found[0] if found else None


def _json_ld_article(page: Page) -> dict:
    def find() -> dict:
        best = {}
        for obj in page.json_ld:
            types = obj.get("@type")
            types = {t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}
            if types & ARTICLE_TYPES - {"WebPage"}:
                return obj
            if any(t.endswith("WebPage") for t in types) and not best:
                best = obj  # a WebPage carries dates and authors on some sites; an article wins
        return best
    return page.cached("json_ld_article", find)


def _ld(page: Page, key: str):
    value = _json_ld_article(page).get(key)
    if isinstance(value, str):
        value = html.unescape(value).strip()  # JSON-LD is often HTML-escaped twice ("&amp;#8216;")
    return value if value not in ("", [], None) else None


def _micro(page: Page, key: str) -> str | None:
    values = page.microdata.get(key)
    return values[0] if values else None


def _site_names(page: Page) -> tuple[str, ...]:
    return page.cached("site_names", lambda: _find_site_names(page))


def _find_site_names(page: Page) -> tuple[str, ...]:
    publisher = _ld(page, "publisher")
    names = [page.meta_first("og:site_name", "application-name", "twitter:site") or "",
             publisher.get("name", "") if isinstance(publisher, dict) else "",
             urlsplit(page.url).hostname or ""]
    host = (urlsplit(page.url).hostname or "").removeprefix("www.")
    names += [host, host.split(".")[0]]
    # "The Jerusalem Post | JPost.com" names the site twice
    names += [part for n in names if isinstance(n, str) for part in re.split(r"\s+[|–—-]\s+", n)]
    return tuple(dict.fromkeys(n.strip().lstrip("@") for n in names if isinstance(n, str) and n.strip()))


# --- fields ------------------------------------------------------------------------------------


# An <h1> that is the site's logo: inside a link, linking home, or in the masthead.
_LOGO_H1 = ("ancestor::a or .//a[@href='/' or @href=$home or @href=$home_slash] or ancestor::*[@id='header' or "
            "@id='masthead' or contains(concat(' ', normalize-space(@class), ' '), ' site-header ') or "
            "contains(@class, 'logo') or contains(@class, 'branding') or contains(@class, 'site-title')]")


def _headlines(page: Page) -> list[str]:
    """Text of the page's <h1> elements that are not the site's logo (nor in comments or asides)."""
    return page.cached("headlines", lambda: _find_headlines(page))


def _find_headlines(page: Page) -> list[str]:
    parts = urlsplit(page.url)
    home = f"{parts.scheme}://{parts.netloc}"
    out = []
    for h in page.tree.xpath(f"//h1[not({IN_PAGE_FURNITURE})]")[:4]:
        if (text := _text(h)) and not h.xpath(_LOGO_H1, home=home, home_slash=home + "/"):
            out.append(text)
    return out


def extract_title(page: Page) -> str | None:
    return page.cached("title", lambda: _find_title(page))


def _find_title(page: Page) -> str | None:
    if el := _css_first(page, page.rules.title):
        return _text(el)
    sites = {n.casefold() for n in _site_names(page)}
    for value in (_ld(page, "headline"), _ld(page, "name"), _micro(page, "headline")):
        if isinstance(value, str) and value.strip() and value.strip().casefold() not in sites:
            return _strip_site_name(re.sub(r"\s+", " ", value).strip(), page, known_only=True)
    h1 = _headlines(page)
    meta = page.meta_first("og:title", "twitter:title", "dc.title")
    meta = html.unescape(meta).strip() if meta else None
    if meta and meta.casefold() in sites:
        meta = None  # some sites put their own name in og:title
    if meta and h1 and _same_text(meta, h1):
        return next(t for t in h1 if _same_text(meta, [t]))
    if meta:
        return _strip_site_name(meta, page)
    if h1:
        return h1[0]
    titles = page.tree.xpath("//title/text()")
    return _strip_site_name(html.unescape(titles[0]).strip(), page) if titles and titles[0].strip() else None


def _same_text(a: str, candidates: list[str]) -> bool:
    norm = lambda s: " ".join(re.findall(r"\w+", s)).casefold()  # noqa: E731
    return any(norm(a) == norm(c) or norm(c) and norm(a).startswith(norm(c)) for c in candidates)


def _strip_site_name(title: str, page: Page, known_only: bool = False) -> str:
    """Titles often end with " | Site" or " - Site": drop a last part that names the site
    (or, unless ``known_only``, any short last part after a long title)."""
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1:
        names = {n.casefold() for n in _site_names(page)}
        last = parts[-1].casefold()
        if last in names or last.replace(" ", "") in names or (
                not known_only and len(parts[-1].split()) <= 3 < len(" ".join(parts[:-1]).split())):
            return " - ".join(parts[:-1]).strip()
    return title.strip()


_DEK_CLASSES = ("dek", "standfirst", "subtitle", "subheadline", "sub-headline", "sub-title", "article-subtitle",
                "sub-head", "subhead", "deck", "article-deck",
                "article__dek", "article-dek", "entry-subtitle", "post-subtitle", "article-standfirst", "lede-text",
                "summary", "article-summary", "article__summary", "excerpt", "intro", "article-intro")
_DEK_CLASS_SET = frozenset(_DEK_CLASSES)


def extract_subtitle(page: Page) -> str | None:
    """The standfirst: JSON-LD/microdata alternativeHeadline, then a dek element under the headline."""
    return page.cached("subtitle", lambda: _find_subtitle(page))


def _find_subtitle(page: Page) -> str | None:
    for value in (_ld(page, "alternativeHeadline"), _micro(page, "alternativeHeadline")):
        if isinstance(value, str) and value.strip():
            return re.sub(r"\s+", " ", value).strip()
    # A standfirst sits right under the headline: look at the elements following the first <h1>.
    h1 = next(page.tree.iter("h1"), None)
    if h1 is None:
        return None
    for el in h1.xpath("following::*[@class][position() <= 40]"):
        if _DEK_CLASS_SET.intersection(el.get("class", "").split()):
            text = _text(el)
            if 20 <= len(text) <= 400:
                return text
    return None


def extract_authors(page: Page) -> list[str]:
    rules, sites = page.rules, _site_names(page)
    sources = (
        lambda: [_text(e) for e in page.tree.cssselect(rules.authors)] if rules.authors else None,
        lambda: _ld(page, "author") or _ld(page, "creator"),
        lambda: page.microdata.get("author"),
        lambda: next((page.meta[k] for k in _AUTHOR_META if k in page.meta), None),
        lambda: (_byline(page) or {}).get("authors"),
        lambda: [_text(e) for e in page.tree.xpath(_AUTHOR_ELEMENTS)[:3]],
    )
    for source in sources:
        if names := clean_author_names(source(), site_names=sites):
            return names
    return []


_AUTHOR_META = ("author", "article:author", "dc.creator", "dcterms.creator", "byl", "parsely-author",
                "sailthru.author")
_AUTHOR_ELEMENTS = ("//*[@rel='author' or contains(concat(' ', normalize-space(@class), ' '), ' author ') or "
                    "contains(@class, 'author-name') or contains(@class, 'author-link') or "
                    f"contains(@class, 'byline__name')][not({IN_PAGE_FURNITURE})]")


def _date_order(page: Page) -> str:
    """How this page writes numeric dates: the site's rule, other dates on the page, its locale."""
    def infer() -> str:
        if page.rules.date_order:
            return page.rules.date_order
        text = " ".join(page.tree.xpath("//body//text()[not(parent::script or parent::style)]", smart_strings=False))
        return order_from_examples(text) or locale_date_order(_declared_language(page, region=True),
                                                              urlsplit(page.url).hostname)
    return page.cached("date_order", infer)


def _parse(page: Page, value) -> datetime | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    order = _date_order(page) if ambiguous_numeric(value) else None
    return parse_date(value, tz=_timezone(page), date_order=order, fetched_at=page.fetched_at,
                      language=_declared_language(page))


def _timezone(page: Page) -> str | None:
    """The zone for times written without one: the site's rule, else a one-zone country's."""
    return page.rules.timezone or page.cached("timezone", lambda: locale_timezone(
        _declared_language(page, region=True), urlsplit(page.url).hostname))


def _first_date(page: Page, values) -> datetime | None:
    for value in values:
        if (parsed := _parse(page, value)) is not None and _plausible(page, parsed):
            return parsed
    return None


def _plausible(page: Page, value: datetime) -> bool:
    """Nothing was published after the page was fetched (a day's slack for clocks and zones)."""
    return value <= page.fetched_at + timedelta(days=1)


def _htmldate(page: Page) -> str | None:
    """htmldate's markup heuristics (date classes, abbr, free-text patterns), for pages that
    give no date in the sources above; it works on a copy of the tree."""
    from htmldate import find_date

    try:
        return find_date(page.tree, url=page.url, original_date=True, extensive_search=False,
                         outputformat="%Y-%m-%dT%H:%M:%S", max_date=page.fetched_at.strftime("%Y-%m-%d"))
    except Exception:  # htmldate raises on odd markup; a missing date is not worth a lost article
        return None


_PUBLISHED_META = ("article:published_time", "og:article:published_time", "datepublished", "dc.date.issued",
                   "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "pubdate", "publishdate",
                   "publish-date", "parsely-pub-date", "sailthru.date", "date", "og:pubdate", "article.published")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
                  "dcterms.modified", "last-modified", "article.updated")
# A <time> saying when the article was updated, not published.
_MODIFIED_TIME = ("self::*[contains(@class, 'update') or contains(@class, 'modif') or @itemprop='dateModified'] | "
                  "ancestor::*[contains(@class, 'update') or contains(@class, 'modif')]")


def extract_dates(page: Page) -> tuple[datetime | None, datetime | None]:
    """(published, modified), kept apart; the site's time zone is applied to naive values.

    Sources are tried in the order of trust and only as far as needed (the later ones scan
    the page's text).
    """
    times = page.tree.xpath(f"//time[@datetime][not({IN_PAGE_FURNITURE})]")
    published = _first_date(page, _published_sources(page, times))
    modified = _first_date(page, _modified_sources(page, times))
    if published and modified and modified.date() < published.date():
        modified = None  # an "update" before the publication is a misread (another zone, another date)
    return published, modified


def _published_sources(page: Page, times: list):
    if el := _css_first(page, page.rules.published):
        yield el.get("datetime") or el.get("content") or _text(el)
    yield _ld(page, "datePublished")
    yield _ld(page, "dateCreated")
    yield _micro(page, "datePublished")
    yield from (page.meta_first(k) for k in _PUBLISHED_META)
    yield from (t.get("datetime") for t in times if t.get("itemprop") == "datePublished" or t.get("pubdate") is not None)
    yield from (t.get("datetime") for t in times if not t.xpath(_MODIFIED_TIME))
    yield (_byline(page) or {}).get("date")
    yield _datelines(page).get("published")
    yield _htmldate(page)
    if m := _URL_DATE.search(urlsplit(page.url).path):
        yield "-".join(m.groups())


def _modified_sources(page: Page, times: list):
    yield _ld(page, "dateModified")
    yield _micro(page, "dateModified")
    yield from (page.meta_first(k) for k in _MODIFIED_META)
    yield from (t.get("datetime") for t in times if t.xpath(_MODIFIED_TIME))
    yield (_byline(page) or {}).get("modified")
    yield _datelines(page).get("modified")


def extract_section(page: Page) -> str | None:
    if el := _css_first(page, page.rules.section):
        return _text(el)
    value = _ld(page, "articleSection") or _micro(page, "articleSection")
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
    kw = _ld(page, "keywords") or _micro(page, "keywords")
    if not tags and kw:
        tags = kw if isinstance(kw, list) else [t.strip() for t in str(kw).split(",")]
        # schema.org allows keywords as DefinedTerm objects: their name is the tag.
        tags = [t.get("name") if isinstance(t, dict) else t for t in tags]
    if not tags:
        tags = [_text(a) for a in page.tree.xpath("//a[@rel='tag']")]
    return list(dict.fromkeys(t for t in tags if isinstance(t, str) and t))


def extract_image(page: Page) -> str | None:
    image = _ld(page, "image")
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


def _declared_language(page: Page, region: bool = False) -> str | None:
    """The language the page declares: <html lang>, then og:locale, content-language, dc.language, JSON-LD."""
    lang = (page.rules.language or page.tree.get("lang") or page.tree.get("xml:lang")
            or page.meta_first("og:locale", "content-language", "dc.language", "language") or _ld(page, "inLanguage"))
    if not isinstance(lang, str) or not lang.strip():
        return None
    lang = lang.strip().replace("_", "-")
    return lang if region else lang.split("-")[0].lower()


def extract_language(page: Page, body: str | None) -> str | None:
    """The body's language as detected by py3langid; the declared one when the body is short or
    the detector is unsure (templates often keep lang="en" on pages in other languages)."""
    if page.rules.language:
        return page.rules.language
    declared = _declared_language(page)
    if body and len(body) >= 200:
        detected, confidence = _language_identifier().classify(body[:600])
        if confidence >= 0.9 or not declared:
            return detected
    return declared


_IDENTIFIER = None


def _language_identifier():
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def extract_lead(page: Page, body: str | None) -> str | None:
    value = _ld(page, "description") or page.meta_first("description", "og:description", "twitter:description")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return body.split("\n\n")[0] if body else None


def _paragraphs_from(container) -> str:
    blocks = []
    for el in container.xpath(".//p | .//h2 | .//h3 | .//blockquote[not(.//p)] | .//li"):
        text = _text(el)
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
    headlines = (title, page.meta_first("og:title"), *_headlines(page), extract_subtitle(page))
    return extract_generic_body(page, headlines)


# "Page not found", "404 Error", "Error 404 - Site" (but not "Route 404 reopens").
_NOT_FOUND = ("//title[contains(translate(., 'NOTFUD', 'notfud'), 'not found') or "
              "(contains(., '404') and (contains(translate(., 'ERO', 'ero'), 'error') or "
              "contains(translate(., 'PAGE', 'page'), 'page')))]")


def looks_like_article(page: Page) -> tuple[bool, str]:
    if page.tree.xpath(_NOT_FOUND):
        return False, "an error page (not found)"
    if _json_ld_article(page).get("@type") not in (None, "WebPage") or page.meta_first("og:type") == "article":
        return True, "article markup"
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
    # Running text outside <p> elements (<br>-separated text, <div>s): what the body extractor finds.
    body = extract_body(page, extract_title(page)) or ""
    blocks = [b for b in body.split("\n\n") if len(b.split()) >= 12 or len(b) >= 60]
    words_in_body = sum(len(b.split()) for b in blocks)
    if words_in_body >= 150 or sum(len(b) for b in blocks) >= 1500 or (
            words_in_body >= 60 and any(len(b.split()) >= 40 for b in blocks)):
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
        title=title, subtitle=extract_subtitle(page), authors=extract_authors(page), published_at=published, modified_at=modified,
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
                 with_comments: bool = True, require_article: bool = False) -> ArticleItem:
    """Bytes (or text) of one page and its URL → the article item (comments included by default).

    Raises NotAnArticle (with ``.reason``) for empty or non-HTML input and error pages; with
    ``require_article`` also for pages that do not look like an article (listings), as the
    spider decides for a page that no article URL pattern names.
    """
    page = Page.parse(body, url, fetched_at=fetched_at, rules=rules, encoding=encoding)
    if require_article:
        is_article, reason = looks_like_article(page)
        if not is_article:
            raise NotAnArticle(reason)
    return parse_article(page, site=site, with_comments=with_comments)
