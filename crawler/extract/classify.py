"""Is this page an article, or a listing, an error page, a stub? The spider asks this of pages
that no article URL pattern names; parse_article asks it to say why a page has no article."""
from __future__ import annotations

from .metadata import extract_body, extract_title
from .page import Page
from .sources import element_text, json_ld_article
from .xpaths import NOT_FOUND


def looks_like_article(page: Page) -> tuple[bool, str]:
    if page.tree.xpath(NOT_FOUND):
        return False, "an error page (not found)"
    if json_ld_article(page).get("@type") not in (None, "WebPage") or page.meta_first("og:type") == "article":
        return True, "article markup"
    # Listings repeat headline links (teasers); an article page has one headline.
    teasers = page.tree.xpath("//main//h2/a | //main//h3/a | //article//h2/a | //*[contains(@class,'teaser') "
                              "or contains(@class,'post-list') or contains(@class,'entry-summary')]//a[1]")
    if len(teasers) >= 4:
        return False, "a listing page (repeated headline links)"
    paragraphs = [p for p in (element_text(e) for e in page.tree.xpath("//p")) if len(p.split()) >= 12]
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
