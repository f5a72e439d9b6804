"""Article or not: the labelled non-article pages (fixtures/pages/nonarticles: WordPress archives,
tag, author, date, search, error, attachment and site pages under a block and a classic theme;
the demo sites' home, section, calendar and site pages) are never articles, and the saved article
pages (fixtures/pages) always are. `python bench/classify.py` measures the same on thousands."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawler.extract import extract_page, looks_like_article
from crawler.extract.classify import kind_of
from crawler.extract.page import NotAnArticle, Page

REPO = Path(__file__).resolve().parents[1]
NONARTICLES = REPO / "fixtures" / "pages" / "nonarticles"
LABELS = json.loads((NONARTICLES / "labels.json").read_text(encoding="utf-8"))
ARTICLES = json.loads((REPO / "fixtures" / "pages" / "benchmark-truth.json").read_text(encoding="utf-8"))


def test_the_labelled_set_has_every_kind_of_non_article_page():
    kinds = {label["kind"].split(" (")[0] for label in LABELS.values()}
    assert {"home", "category", "tag", "author", "year archive", "month archive", "day archive", "search results",
            "error 404", "attachment page", "static page", "password-protected post", "section", "calendar"} <= kinds
    assert {p.name for p in NONARTICLES.glob("*.html.gz")} == set(LABELS)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_a_non_article_page_is_not_an_article(name):
    label = LABELS[name]
    page = Page.parse(gzip.decompress((NONARTICLES / name).read_bytes()), label["url"])
    is_article, reason = looks_like_article(page)
    assert not is_article, f"{label['kind']} taken for an article: {reason}"
    assert kind_of(reason) and kind_of(reason) != "unknown"
    with pytest.raises(NotAnArticle):  # the way the spider and `newsdesk extract` ask
        extract_page(gzip.decompress((NONARTICLES / name).read_bytes()), label["url"], require_article=True)


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_a_saved_article_page_is_an_article(name):
    case = ARTICLES[name]
    page = Page.parse(gzip.decompress((REPO / "fixtures" / "pages" / f"{name}.html.gz").read_bytes()), case["url"])
    assert looks_like_article(page)[0], looks_like_article(page)[1]


def test_reasons_are_counted_under_short_names():
    assert kind_of("a tag page (body class tag)") == "tag_page"
    assert kind_of("the home page (URL)") == "home_page"
    assert kind_of("a listing (12 entries with headline links, paginated)") == "listing"
