"""Is this page an article, or a listing, an archive, a home, tag, author, search or error page?

The spider asks this of every page that no article URL pattern names (an ad-hoc crawl asks it
of every page); parse_article asks it to say why a page has no article. The answer comes from
evidence the page carries, strongest first, and the first kind that speaks decides:

1. what the page says it is not: an error page, a password form instead of the content;
2. what the CMS says in the ``<body>`` classes (WordPress ``single``/``archive``/``category``/
   ``tag``/``author``/``date``/``search``/``home``/``blog``/``page``/``attachment``, and the
   same for Ghost, Drupal and Joomla);
3. schema.org types in JSON-LD: an article type, or a CollectionPage/SearchResultsPage/
   ProfilePage (or several articles listed, none of them this page);
4. a title or headline of an archive ("Category: Politics", "Archives", "Search results for");
5. the URL's shape (the page's canonical URL when it has one): the site's root, a date with
   no slug (/2016/01/), pagination (/page/3/), a search (?s=), a tag/category/author path;
6. OpenGraph ``og:type=article`` and ``article:published_time``, microdata ``articleBody``;
7. the page's structure: repeated entry blocks with headline links and pagination against
   the running text that is not theirs; a comment form is an article's.

No word count decides: a brief item of two sentences is an article when its markup says so,
and a date archive that shows whole posts is a listing. The reason names the evidence;
``kind_of(reason)`` is the short name the crawl counts it under
(``newsdesk/skipped/not_an_article/<kind>``).
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from .bylines import IN_PAGE_FURNITURE, byline
from .metadata import extract_authors, extract_body, extract_title
from .page import Page
from .sources import ARTICLE_TYPES, element_text
from .xpaths import NOT_FOUND

# --- 2. CMS body classes ------------------------------------------------------------------
# WordPress (body_class()), Ghost ({{body_class}}), Drupal (html.html.twig), Joomla (templates'
# "view-*" and "layout-*"): classes naming what the page shows.
_ARTICLE_CLASSES = {"single-post", "post-template", "page-node-type-article", "node-type-article",
                    "page-node-type-story", "node-type-story", "node-type-blog", "view-article", "single-format-standard"}
_ARTICLE_CLASS_PREFIXES = ("postid-", "single-format-")
_LISTING_CLASSES = {
    # the most specific first: WordPress's category page is "archive category", its page 2 "archive paged category"
    "category": "a category page", "tag": "a tag page", "author": "an author page",
    "date": "a date archive", "search": "a search page", "search-results": "a search page",
    "search-no-results": "a search page", "home-template": "the home page", "tag-template": "a tag page",
    "author-template": "an author page", "path-frontpage": "the home page", "page-taxonomy": "a category page",
    "path-taxonomy": "a category page", "page-search": "a search page", "view-category": "a category page",
    "view-featured": "the home page", "view-archive": "an archive", "view-tag": "a tag page",
    "view-search": "a search page", "view-categories": "a category page", "tax-": "a category page",
    "archive": "an archive", "paged": "a page of a listing",
}
_OTHER_CLASSES = {"attachment": "an attachment page", "error404": "an error page (not found)",
                  "post-password-required": "password-protected content"}

# --- 3. schema.org ---------------------------------------------------------------------------
_LISTING_TYPES = {"CollectionPage": "a listing (CollectionPage)", "SearchResultsPage": "a search page",
                  "ProfilePage": "an author page"}
_ARTICLE_ONLY_TYPES = ARTICLE_TYPES - {"WebPage"}

# --- 4. titles -----------------------------------------------------------------------------
# WordPress's get_the_archive_title() prefixes and their translations, "Posts by", "Search results".
_ARCHIVE_TITLE = re.compile(
    r"^\s*(?:(?:category|tag|tags|topic|author|archives?|month|year|day|kategorie|schlagwort|schlagwörter|archiv|"
    r"autor|autorin|monat|jahr|tag|catégorie|étiquette|mot-clé|auteur|mois|année|jour|categoría|etiqueta|archivo|"
    r"mes|año|día|categoria|arquivo|tag archive|category archive|categorie|archief|kategoria|archiwum)\s*[:：]"
    r"|(?:archives?|archiv|archivo|archivio|archief)\s*$|(?:archives?|archivio) (?:de|des|du|di|del)\b"
    r"|(?:search results?|results|suchergebnisse|résultats de (?:la )?recherche|resultados de (?:la )?búsqueda)"
    r"(?: for| für| pour| para)?\b|(?:all )?(?:posts|stories|articles|entries|beiträge|artikel) "
    r"(?:by|tagged|in|from|about|von|zu|mit dem schlagwort)\b)", re.IGNORECASE)

# --- 5. URL shape ----------------------------------------------------------------------------
_DATE_ONLY_PATH = re.compile(r"^/(?:[^/]+/)?(?:19|20)\d{2}/(?:\d{1,2}/){0,2}$")
_PAGINATED_PATH = re.compile(r"/page/\d+/?$|/seite/\d+/?$|/pagina/\d+/?$")
_TAXONOMY_PATH = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?:tag|tags|category|categories|author|authors|"
                            r"topic|topics|archive|archives|search|schlagwort|kategorie|thema|themen|autor|"
                            r"categoria|categorie|etiqueta|tema|auteur|rubrique)(?:/[^/]+){0,2}/?$", re.IGNORECASE)
# The site's own furniture pages, in the languages the sets have.
_SITE_PAGES = {"about", "about-us", "contact", "contact-us", "contacts", "kontakt", "impressum", "imprint", "privacy",
               "privacy-policy", "datenschutz", "datenschutzerklaerung", "terms", "terms-of-use", "terms-of-service",
               "legal", "cookies", "cookie-policy", "disclaimer", "agb", "sitemap", "newsletter", "subscribe",
               "login", "register", "mentions-legales", "aviso-legal", "contacto", "chi-siamo", "contatti",
               "ueber-uns", "uber-uns", "qui-sommes-nous", "nous-contacter", "quienes-somos", "advertise", "jobs",
               "careers"}
_SEARCH_QUERY = re.compile(r"(?:^|&)(?:s|q|search|query)=")
_HOME_PATH = re.compile(r"^/(?:index\.(?:html?|php|aspx?))?$")

# --- 6., 7. markup and structure --------------------------------------------------------------
# Blocks of links beside the content: other stories, not entries of this page. A block that holds
# the page's own <h1> is the content's wrapper ("has-sidebar", "main-nav-open"), not furniture.
_FURNITURE_TAGS = {"nav", "aside", "footer"}
_FURNITURE_WORDS = re.compile(
    r"related|recommend|popular|trending|sidebar|widget|more|also|promo|outbrain|taboola|rail|newsletter|"
    r"comment|footer|menu|nav|read-?next|next-?up|carousel|slider|mega|dropdown|share|breadcrumb|masthead|"
    r"site-header|banner|sponsor|partner", re.IGNORECASE)
_HEADLINE_LINKS = ("//h2//a[@href] | //h3//a[@href] | //h4//a[@href] | //a[@href][.//h2 or .//h3 or .//h4] | "
                   "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-title ') or "
                   "contains(@class, 'post-title') or contains(@class, 'wp-block-post-title')]//a[@href]")
_ENTRY = re.compile(r"\b(?:post|entry|teaser|card|story|item|article|result|hentry|type-post)\b", re.IGNORECASE)
_PAGINATION = ("//link[@rel='next'] | //a[@rel='next'] | //*[contains(@class, 'pagination') or "
               "contains(@class, 'page-numbers') or contains(@class, 'nav-links') or "
               "contains(@class, 'wp-block-query-pagination') or contains(@class, 'pager')]//a[@href]")
_COMMENT_FORM = ("//form[contains(@action, 'wp-comments-post') or @id='commentform' or contains(@class, 'comment-form')]"
                 " | //*[@id='respond' or @id='disqus_thread' or contains(@class, 'comment-respond')]")
_WORDS = re.compile(r"\w+")
# A story's URL: a slug of several words, or a long numeric id (/2024/05/09/night-bus-routes-cut/,
# /politics/article-123456.html), not a word or two (/about/, /section/politics/).
_STORY_ID = re.compile(r"(?:^|&)(?:(?:p|id|idx|no|nid|aid|sid|article(?:_?id)?|story(?:_?id)?|news_?id|artikel)=\d+"
                       r"|article\d+)", re.IGNORECASE)  # ?p=123 (WordPress), ?article123 (SPIP)
_STORY_SLUG = re.compile(r"/[^/?#]*\w+[-_]\w+[-_]\w+[^/]*/?$|\d{5,}[^/]*/?$", re.UNICODE)


def looks_like_article(page: Page) -> tuple[bool, str]:
    return page.cached("looks_like_article", lambda: _classify(page))


def kind_of(reason: str) -> str:
    """The short name a reason is counted under: "a tag page (...)" -> "tag_page"."""
    text = re.sub(r"\s*\(.*", "", reason).lower()
    text = re.sub(r"^(?:an?|the)\s+", "", text)
    text = re.sub(r"\bthe site's\b|\bthe blog's\b", "", text)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:40] or "unknown"


def _classify(page: Page) -> tuple[bool, str]:
    for rule in (_says_not_an_article, _body_classes, _schema_org, _archive_title, _url_shape, _article_markup,
                 _structure):
        if (verdict := rule(page)) is not None:
            return verdict
    return True, "running text"  # not reached: _structure always decides


def _says_not_an_article(page: Page):
    if page.tree.xpath(NOT_FOUND):
        return False, "an error page (not found)"
    if page.tree.xpath("//form[contains(@class, 'post-password-form') or contains(@action, 'postpass')]"):
        return False, "password-protected content (a password form)"
    return None


def _body_tokens(page: Page) -> set[str]:
    return {t.lower() for c in page.tree.xpath("//body/@class") for t in c.split()}


def _body_classes(page: Page):
    tokens = _body_tokens(page)
    if not tokens:
        return None
    for token, reason in _OTHER_CLASSES.items():
        if token in tokens:
            return False, f"{reason} (body class {token})"
    if tokens & _ARTICLE_CLASSES or any(t.startswith(_ARTICLE_CLASS_PREFIXES) for t in tokens):
        return True, "article (CMS body class)"
    # WordPress's posts index; "home" or "blog" alone are also other themes' names for anything.
    if {"home", "blog"} <= tokens:
        return False, "the home page (body classes home blog)"
    for token, reason in _LISTING_CLASSES.items():
        if token in tokens or (token.endswith("-") and any(t.startswith(token) for t in tokens)):
            return False, f"{reason} (body class {token})"
    return None


def _ld_types(page: Page) -> list[tuple[set[str], dict]]:
    out = []
    for obj in page.json_ld:
        types = obj.get("@type")
        types = {t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}
        out.append((types, obj))
    return out


def _schema_org(page: Page):
    typed = _ld_types(page)
    articles = [obj for types, obj in typed if types & _ARTICLE_ONLY_TYPES]
    if articles:
        # A home or section page may describe the stories it lists, none of them itself.
        here = {_same(page, page.url), *(_same(page, c) for c in page.tree.xpath("//link[@rel='canonical']/@href"))}
        urls = {_same(page, u) for a in articles if isinstance(u := a.get("url") or a.get("mainEntityOfPage"), str)}
        if len(urls) >= 3 and not urls & here:
            return False, f"a listing (JSON-LD lists {len(urls)} articles)"
        return True, "article markup (JSON-LD)"
    for types, _ in typed:
        for t, reason in _LISTING_TYPES.items():
            if t in types:
                return False, f"{reason} (JSON-LD {t})"
    return None


def _same(page: Page, url: str) -> str:
    parts = urlsplit(urljoin(page.url, url.strip()))
    return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}"


def _archive_title(page: Page):
    for h1 in page.tree.xpath("//h1"):
        text = element_text(h1)
        if text and _ARCHIVE_TITLE.match(text):
            return False, f"an archive (headline {text[:40]!r})"
    title = " ".join(page.tree.xpath("//title//text()")).strip()
    if title and _ARCHIVE_TITLE.match(title):
        return False, f"an archive (title {title[:40]!r})"
    return None


def _url_shape(page: Page):
    parts = urlsplit(page.url)
    path = parts.path or "/"
    if _SEARCH_QUERY.search(parts.query) and _HOME_PATH.match(path):
        return False, "a search page (URL)"
    if _HOME_PATH.match(path) and not _STORY_ID.search(parts.query):
        return False, "the home page (URL)"
    # The canonical URL too, unless it is the site's root: many sites point every page there.
    canonical = page.tree.xpath("//link[@rel='canonical']/@href")
    paths = [path]
    if canonical and (c := urlsplit(urljoin(page.url, canonical[0].strip()))).netloc.lower().removeprefix("www.") \
            == parts.netloc.lower().removeprefix("www.") and not _HOME_PATH.match(c.path or "/"):
        paths.append(c.path)
    for path in paths:
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if _PAGINATED_PATH.search(path):
            return False, "a page of a listing (URL)"
        if _DATE_ONLY_PATH.match(path if path.endswith("/") else path + "/"):
            return False, "a date archive (URL)"
        if _TAXONOMY_PATH.match(path) and not _STORY_SLUG.search(path):
            return False, "a category page (URL)"
        if last.lower().split(".")[0] in _SITE_PAGES:
            return False, f"a site page (URL /{last})"
    return None


def _article_markup(page: Page):
    if page.meta_first("og:type") == "article" or page.meta_first("article:published_time"):
        return True, "article markup (OpenGraph)"
    if page.microdata.get("articleBody"):
        return True, "article markup (microdata)"
    return None


def _structure(page: Page):
    """Repeated entries with headline links vs the page's own running text."""
    home = urlsplit(page.url)
    entries = {}
    for a in page.tree.xpath(_HEADLINE_LINKS):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")) or _in_furniture(a):
            continue
        target = urlsplit(urljoin(page.url, href))
        if target.netloc and target.netloc != home.netloc or (target.path.rstrip("/") == home.path.rstrip("/")):
            continue
        entry = _entry_of(a)
        entries.setdefault(target.path + "?" + target.query, entry)
    body = extract_body(page, extract_title(page)) or ""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    if entries:
        entry_text = " ".join(element_text(e) for e in dict.fromkeys(entries.values()))
        entry_words = len(_WORDS.findall(entry_text))
        own_words = sum(len(_WORDS.findall(p)) for p in paragraphs if p[:80] not in entry_text)
        paginated = bool(page.tree.xpath(_PAGINATION))
        # Three entries or more, or fewer on a paginated page (the last page of a section),
        # and less running text of the page's own than in them.
        if (len(entries) >= 3 or paginated) and own_words < entry_words:
            return False, f"a listing ({len(entries)} entries with headline links{', paginated' if paginated else ''})"
    if not paragraphs:
        return False, "no running text (a page of links)"
    # Running text alone is also what an about, contact or empty calendar page has: an article
    # is also dated, signed, open to comments or under a story's URL.
    if page.tree.xpath(_COMMENT_FORM):
        return True, "running text and a comment form"
    if page.tree.xpath(f"//time[@datetime][not({IN_PAGE_FURNITURE})] | //*[@itemprop='datePublished']") \
            or (byline(page) or {}).get("date"):
        return True, "running text and a publication date"
    if extract_authors(page, signed_by_anyone=False):
        return True, "running text and a byline"
    parts = urlsplit(page.url)
    segments = [s for s in parts.path.split("/") if s]
    if _STORY_SLUG.search(parts.path) or _STORY_ID.search(parts.query) or len(segments) >= 2 \
            or (segments and re.search(r"\w[-_]\w", segments[-1])):
        # deeper than the site's own pages (/about/, /events/?date=...): a page of content
        return True, "running text under a content URL"
    return False, "a page without an article's marks (running text, no date, byline or story URL)"


def _in_furniture(a) -> bool:
    for el in a.iterancestors():
        if el.tag in ("body", "html", "main"):
            return False
        if el.tag in _FURNITURE_TAGS or el.get("role") in ("navigation", "complementary", "contentinfo", "banner"):
            return True
        if el.tag == "header" and el.getparent() is not None and el.getparent().tag == "body":
            return True  # the site's header; an entry's own <header> holds its headline
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if names.strip() and _FURNITURE_WORDS.search(names) and not el.xpath(".//h1"):
            return True
    return False


def _entry_of(a):
    """The block a headline link heads: the nearest article/li or post/entry/teaser/card element
    that is not the page's own article (which holds its <h1>); else the headline itself."""
    heading = a.xpath("ancestor-or-self::*[self::h2 or self::h3 or self::h4][1]")
    el = a
    for _ in range(5):
        el = el.getparent()
        if el is None or el.tag in ("body", "main") or el.xpath(".//h1"):
            break
        if el.tag in ("article", "li") or _ENTRY.search(el.get("class") or ""):
            return el
    return heading[0] if heading else a
