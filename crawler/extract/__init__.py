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

from datetime import datetime
from urllib.parse import urljoin, urlsplit

from .. import settings as defaults
from ..items import ArticleItem
from ..urls import canonical_url
from .authors import clean_author_names
from .classify import looks_like_article
from .comments import extract_comments
from .comments.assembly import ThreadAssembly
from .metadata import (
    extract_authors,
    extract_body,
    extract_dates,
    extract_image,
    extract_language,
    extract_lead,
    extract_section,
    extract_subtitle,
    extract_tags,
    extract_title,
)
from .page import NotAnArticle, NotHTML, Page
from .rules import SiteRules

__all__ = ["extract_page", "parse_article", "looks_like_article", "NotAnArticle", "NotHTML", "Page", "SiteRules",
           "clean_author_names", "extract_authors", "extract_body", "extract_dates", "extract_image",
           "extract_language", "extract_lead", "extract_section", "extract_subtitle", "extract_tags",
           "extract_title"]


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
        # The thread as this one page shows it: further pages it needs leave it incomplete
        # (the spider and `newsdesk extract` go on with the same ThreadAssembly).
        assembly = ThreadAssembly(page.url, defaults.NEWSDESK_MAX_COMMENT_PAGES)
        assembly.read(lambda: extract_comments(page))
        thread = assembly.result()
        item.comments = thread.comments
        item.comment_count_reported = thread.reported_count
        item.comment_errors = thread.errors
        item.comments_complete = thread.complete
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
