"""XPath expressions the field extractors and the page classifier share (as trafilatura keeps
its expressions in xpaths.py): what page furniture looks like in markup, named once."""
from __future__ import annotations

from .bylines import IN_PAGE_FURNITURE

# An <h1> that is the site's logo: inside a link, linking home, or in the masthead.
LOGO_H1 = ("ancestor::a or .//a[@href='/' or @href=$home or @href=$home_slash] or ancestor::*[@id='header' or "
           "@id='masthead' or contains(concat(' ', normalize-space(@class), ' '), ' site-header ') or "
           "contains(@class, 'logo') or contains(@class, 'branding') or contains(@class, 'site-title')]")

AUTHOR_ELEMENTS = ("//*[@rel='author' or contains(concat(' ', normalize-space(@class), ' '), ' author ') or "
                   "contains(@class, 'author-name') or contains(@class, 'author-link') or "
                   f"contains(@class, 'byline__name')][not({IN_PAGE_FURNITURE})]")

# A <time> saying when the article was updated, not published.
MODIFIED_TIME = ("self::*[contains(@class, 'update') or contains(@class, 'modif') or @itemprop='dateModified'] | "
                 "ancestor::*[contains(@class, 'update') or contains(@class, 'modif')]")

# "Page not found", "404 Error", "Error 404 - Site" (but not "Route 404 reopens").
NOT_FOUND = ("//title[contains(translate(., 'NOTFUD', 'notfud'), 'not found') or "
             "(contains(., '404') and (contains(translate(., 'ERO', 'ero'), 'error') or "
             "contains(translate(., 'PAGE', 'page'), 'page')))]")
