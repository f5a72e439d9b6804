"""Reading a page's metadata sources: the JSON-LD article object, microdata, the site's own
names, the headlines, the declared language and the page's date conventions. Every field
extractor in metadata.py reads through these."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from .bylines import IN_PAGE_FURNITURE
from .dates import locale_date_order, locale_timezone, order_from_examples
from .page import Page
from .xpaths import LOGO_H1

ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle",
                 "OpinionNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "TechArticle", "Report",
                 "BackgroundNewsArticle", "AskPublicNewsArticle", "SatiricalArticle", "ScholarlyArticle",
                 "SocialMediaPosting", "WebPage"}


def element_text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def css_first(page: Page, selector: str | None):
    if not selector:
        return None
    found = page.tree.cssselect(selector)
    return found[0] if found else None


def json_ld_article(page: Page) -> dict:
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


def ld(page: Page, key: str):
    value = json_ld_article(page).get(key)
    if isinstance(value, str):
        value = html.unescape(value).strip()  # JSON-LD is often HTML-escaped twice ("&amp;#8216;")
    return value if value not in ("", [], None) else None


def micro(page: Page, key: str) -> str | None:
    values = page.microdata.get(key)
    return values[0] if values else None


def site_names(page: Page) -> tuple[str, ...]:
    return page.cached("site_names", lambda: _find_site_names(page))


def _find_site_names(page: Page) -> tuple[str, ...]:
    publisher = ld(page, "publisher")
    names = [page.meta_first("og:site_name", "application-name", "twitter:site") or "",
             publisher.get("name", "") if isinstance(publisher, dict) else "",
             urlsplit(page.url).hostname or ""]
    host = (urlsplit(page.url).hostname or "").removeprefix("www.")
    names += [host, host.split(".")[0]]
    # "The Jerusalem Post | JPost.com" names the site twice
    names += [part for n in names if isinstance(n, str) for part in re.split(r"\s+[|–—-]\s+", n)]
    return tuple(dict.fromkeys(n.strip().lstrip("@") for n in names if isinstance(n, str) and n.strip()))


def page_headlines(page: Page) -> list[str]:
    """Text of the page's <h1> elements that are not the site's logo (nor in comments or asides)."""
    return page.cached("headlines", lambda: _find_headlines(page))


def _find_headlines(page: Page) -> list[str]:
    parts = urlsplit(page.url)
    home = f"{parts.scheme}://{parts.netloc}"
    out = []
    for h in page.tree.xpath(f"//h1[not({IN_PAGE_FURNITURE})]")[:4]:
        if (text := element_text(h)) and not h.xpath(LOGO_H1, home=home, home_slash=home + "/"):
            out.append(text)
    return out


def declared_language(page: Page, region: bool = False) -> str | None:
    """The language the page declares: <html lang>, then og:locale, content-language, dc.language, JSON-LD."""
    lang = (page.rules.language or page.tree.get("lang") or page.tree.get("xml:lang")
            or page.meta_first("og:locale", "content-language", "dc.language", "language") or ld(page, "inLanguage"))
    if not isinstance(lang, str) or not lang.strip():
        return None
    lang = lang.strip().replace("_", "-")
    return lang if region else lang.split("-")[0].lower()


def page_date_order(page: Page) -> str:
    """How this page writes numeric dates: the site's rule, other dates on the page, its locale."""
    def infer() -> str:
        if page.rules.date_order:
            return page.rules.date_order
        text = " ".join(page.tree.xpath("//body//text()[not(parent::script or parent::style)]", smart_strings=False))
        return order_from_examples(text) or locale_date_order(declared_language(page, region=True),
                                                              urlsplit(page.url).hostname)
    return page.cached("date_order", infer)


def page_timezone(page: Page) -> str | None:
    """The zone for times written without one: the site's rule, else a one-zone country's."""
    return page.rules.timezone or page.cached("timezone", lambda: locale_timezone(
        declared_language(page, region=True), urlsplit(page.url).hostname))
