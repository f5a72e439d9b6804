"""`newsdesk extract`, end to end: the real command in a child process, on the demo site served on
127.0.0.1 and on saved real-world pages; and the seed page's byline read in-process."""
from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request

import pytest

from conftest import REPO, run_newsdesk

SEED_SLUG = "us-is-not-delaying-syria-talks-with-russia-on-aleppo-john-kerry"
THREAD_SLUG = "the-city-council-delayed-the-border-agreement-bord"  # three comments, one page
PAGES = REPO / "fixtures" / "pages"
SEED_PARAGRAPHS = [p.strip() for p in (REPO / "fixtures/sites/demo/seed_article.txt").read_text(encoding="utf-8")
                   .split("\n\n") if p.strip()]


@pytest.fixture(scope="module")
def site():
    from crawler.demosite import DemoSite

    with DemoSite("demo") as demo:
        yield demo


def _url(site, slug_prefix: str) -> str:
    article = next(a for a in site.articles if a["slug"].startswith(slug_prefix))
    return site.url + site.path_of(article)


def _html(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read()
    except urllib.error.HTTPError as exc:  # the 404 page's own HTML
        return exc.read()


def test_extract_prints_every_field_of_an_article_with_its_comments(site):
    result = run_newsdesk("extract", _url(site, THREAD_SLUG))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    article = next(a for a in site.articles if a["slug"].startswith(THREAD_SLUG))
    assert record["title"] == article["title"]
    assert record["authors"] == article["authors"]
    assert record["published_at"].startswith(article["published"][:10])
    assert record["body_text"].split("\n\n") == article["body"]
    assert sorted(c["body_text"] for c in record["comments"]) == sorted(c["text"] for c in article["comments"])
    for name in ("url", "canonical_url", "site", "subtitle", "modified_at", "language", "section", "tags",
                 "image_url", "lead", "comment_count_reported", "fetched_at", "path"):
        assert name in record


def test_a_thread_over_several_comment_pages_is_printed_whole(site):
    article = next(a for a in site.articles if len(a["comments"]) == 50)
    assert len(site.comment_pages(article)) > 1
    result = run_newsdesk("extract", site.url + site.path_of(article), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert sorted(c["body_text"] for c in record["comments"]) == sorted(c["text"] for c in article["comments"])
    assert record["comments_complete"] is True and record["comment_count_reported"] == 50
    parents = {c["external_id"]: c["parent_external_id"] for c in record["comments"]}
    assert parents == {str(c["id"]): (str(c["parent"]) if c["parent"] else None) for c in article["comments"]}


def test_the_seed_byline_reads_month_first_on_an_english_page(site):
    """ "By: Earnest Jones | 12-07-2016 | News" on a lang="en" page: 7 December 2016."""
    from crawler.extract import extract_page

    url = _url(site, SEED_SLUG)
    html = _html(url)
    item = extract_page(html, url, with_comments=False)
    assert item.authors == ["Earnest Jones"]
    assert item.published_at.date().isoformat() == "2016-12-07"
    assert item.section == "News"
    assert item.body_text.split("\n\n") == SEED_PARAGRAPHS
    # The same byline on a British page is 12 July; on a page whose other dates show the
    # day first ("25-12-2016"), too.
    british = extract_page(html.replace(b'<html lang="en">', b'<html lang="en-GB">'), url, with_comments=False)
    # midnight in London (summer time): 23:00 UTC the day before
    assert british.published_at.isoformat() == "2016-07-11T23:00:00+00:00"
    dated = html.replace(b"<footer>", b"<footer>Last edited 25-12-2016 ")
    assert extract_page(dated, url, with_comments=False).published_at.date().isoformat() == "2016-07-12"


def test_several_paths_print_one_json_object_per_line_with_its_path():
    paths = [str(PAGES / "de-comwrap-patientenakte.html.gz"), str(PAGES / "ja-note100yen-kindle.html.gz")]
    result = run_newsdesk("extract", *paths)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["path"] for r in records] == paths
    assert records[0]["authors"] == ["Moritz Bachmann"] and records[0]["language"] == "de"
    assert records[1]["title"] == "Kindle for PCをCtrl＋Alt＋Kのショートカットキーで立ち上がらなくする方法"


def test_a_saved_page_takes_its_url_from_the_option(tmp_path):
    page = tmp_path / "story.html"  # not gzip'd this time
    page.write_bytes(gzip.decompress((PAGES / "en-thehill-south-dakota.html.gz").read_bytes()))
    url = "https://thehill.com/homenews/news/471033-south-dakota-governor-doubles-down"
    result = run_newsdesk("extract", str(page), "--url", url, "--format", "jsonl", "--no-comments")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["url"] == url and record["site"] == "thehill.com"
    assert record["authors"] == ["Tess Bonn"]


def test_pages_that_are_not_articles_get_one_clear_line_and_a_failing_exit(site, tmp_path):
    listing = site.url + "/"
    missing = site.url + "/2016/01/01/no-such-story/"
    saved_404 = tmp_path / "gone.html"
    saved_404.write_bytes(_html(missing))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    article = str(PAGES / "en-newsweek-cannabis.html.gz")

    result = run_newsdesk("extract", listing, missing, str(saved_404), str(pdf), str(empty),
                          str(tmp_path / "absent.html"), article)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().split("\n")
    assert errors == [
        f"newsdesk extract: {listing}: not an article: a listing page (repeated headline links)",
        f"newsdesk extract: {missing}: not an article: HTTP 404 Not Found",
        f"newsdesk extract: {saved_404}: not an article: an error page (not found)",
        f"newsdesk extract: {pdf}: not an article: a PDF document, not HTML",
        f"newsdesk extract: {empty}: not an article: empty document",
        f"newsdesk extract: {tmp_path / 'absent.html'}: no such file",
    ]
    # the one real article among them is still printed
    (record,) = [json.loads(line) for line in result.stdout.strip().split("\n")]
    assert record["path"] == article and record["authors"] == ["Kashmira Gander"]


def test_url_option_with_several_paths_is_refused_in_one_line():
    result = run_newsdesk("extract", "a.html", "b.html", "--url", "https://example.com/")
    assert result.returncode == 2
    assert result.stderr.strip() == ("newsdesk extract: error: --url names the URL of one saved page; "
                                     "give one PATH with it")


def test_a_thread_read_from_a_comment_feed_is_said_to_be_partial():
    """A WordPress post whose thread only its comment feed carries: the feed holds the newest
    comments only (posts_per_rss), so the printed thread is never called complete."""
    from sites import open_site

    with open_site("forum") as forum:
        article = forum.by_system("wp-feed")
        result = run_newsdesk("extract", forum.url + forum.path_of(article))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    # This site raised posts_per_rss, so its feed happens to hold every comment; nothing says so.
    assert sorted(c["body_text"] for c in record["comments"]) == sorted(c["text"] for c in article["comments"])
    assert record["comments_complete"] is False
    assert record["comment_partial_sources"] == ["wordpress-feed"]
    assert "comment thread incomplete: read from wordpress-feed" in result.stderr
