"""The publication date from the kinds of markup the development set showed newsdesk reading
wrongly: a date shown to readers by the headline and nowhere in the markup, today's date in
the masthead, a photo caption's or an embedded post's date, numeric dates readable both ways,
and a UTC timestamp whose day is not the publisher's."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

FETCHED_AT = datetime(2026, 12, 1, tzinfo=timezone.utc)
LONG_TEXT = "<p>" + "The article's own text goes on for a while here. " * 20 + "</p>"


def _published(body: str, *, head: str = "", url: str = "https://example.com/news/a-story", lang: str = "en"):
    from crawler.extract import extract_dates
    from crawler.extract.page import Page

    html = f'<html lang="{lang}"><head><title>A story</title>{head}</head><body>{body}</body></html>'
    return extract_dates(Page.parse(html.encode(), url, fetched_at=FETCHED_AT))[0]


def _ld(**values) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "A story", **values}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.mark.parametrize("header", [
    '<div class="post-meta">Jane Doe · Dec 30, 2013</div>',  # under the headline, no markup
    '<time class="entry-time">December 30, 2013</time>',  # a <time> without a datetime
    '<div class="label">Published</div><div class="value">December 30, 2013</div>',
    '<dl><dt>Date:</dt><dd id="date_posted">December 30, 2013</dd></dl>',
    '<p>Erstellt am: 30.12.2013</p>',
])
def test_the_date_shown_under_the_headline_is_the_publication_date(header):
    published = _published(f"<article><h1>A story</h1>{header}{LONG_TEXT}</article>")
    assert published is not None and published.date().isoformat() == "2013-12-30"


def test_the_date_shown_outvotes_a_stray_date_elsewhere_in_the_markup():
    # a CMS template's JSON-LD date (a year-old default) against the page's byline and shown date
    body = ('<article><h1>A story</h1><div class="byline">By Jane Doe | March 3, 2021</div>'
            f'{LONG_TEXT}</article>')
    assert _published(body, head=_ld(datePublished="2020-01-01")).date().isoformat() == "2021-03-03"


@pytest.mark.parametrize("furniture", [
    '<header class="site-header"><div class="today">Saturday, 19. Oktober 2019</div></header>',  # masthead
    '<figure><img src="a.jpg"><figcaption>Oct 30, 2023; Orlando, Florida</figcaption></figure>',
    '<blockquote class="instagram-media">Ein Beitrag geteilt am Mär 27, 2018</blockquote>',
    '<aside class="related"><div class="date">May 5, 2018</div></aside>',
    '<a class="teaser" href="/other"><div class="teaser__text">21.10.2019 · Another story</div></a>',
    '<div id="footer"><ul class="widget_recent_entries"><li><span class="post-date">09/09/2019</span></li></ul></div>',
    '<div class="sidebar"><div class="widget"><div class="widgett">School Day 14/06/2019</div></div></div>',
    '<div class="rev_slider"><ul><li><span class="date">14/06/2019</span></li></ul></div>',
])
def test_dates_of_page_furniture_are_not_the_articles(furniture):
    body = f'{furniture}<article><h1>A story</h1>{LONG_TEXT}</article>'
    published = _published(body, head='<meta property="article:published_time" content="2019-06-01T10:00:00Z">')
    assert published.date().isoformat() == "2019-06-01"


def test_a_dotted_numeric_date_is_day_first_even_on_an_english_page():
    body = f'<article><h1>A story</h1><p class="date">02.12.2019</p>{LONG_TEXT}</article>'
    assert _published(body).date().isoformat() == "2019-12-02"


def test_a_date_readable_both_ways_is_read_as_the_structured_data_says():
    # a US page writing 09.10.2024 month first: its JSON-LD says 10 September
    body = f'<article><h1>A story</h1><p class="post-date">09.10.2024</p>{LONG_TEXT}</article>'
    published = _published(body, head=_ld(datePublished="2024-09-10T16:07:00Z"))
    assert published.date().isoformat() == "2024-09-10"
    # a day-first meta date "11/01/2023" on a Swiss page; the date shown says 1 November
    body = f'<article><h1>A story</h1><p>Erstellt am: 01.11.2023</p>{LONG_TEXT}</article>'
    published = _published(body, head='<meta name="date" content="11/01/2023 12:43:42">', lang="de-CH")
    assert published.date().isoformat() == "2023-11-01"


def test_a_utc_timestamp_is_kept_on_the_day_the_page_shows():
    # 04:50 UTC on the 19th is the evening of the 18th in America, the day the page shows:
    # the same instant, on the publisher's day
    body = f'<article><h1>A story</h1><div class="byline">By Jeff Foust — November 18, 2019</div>{LONG_TEXT}</article>'
    published = _published(body, head='<meta property="article:published_time" content="2019-11-19T04:50:22+00:00">')
    assert published.astimezone(timezone.utc) == datetime(2019, 11, 19, 4, 50, 22, tzinfo=timezone.utc)
    assert published.date().isoformat() == "2019-11-18"
    # a site in a one-zone country takes its zone: 23:00 UTC is midnight in Berlin
    published = _published(f'<article><h1>A story</h1><p class="date">5. November 2021</p>{LONG_TEXT}</article>',
                           head='<meta property="article:published_time" content="2021-11-04T23:00Z">',
                           url="https://example.de/news/a-story", lang="de")
    assert published.isoformat() == "2021-11-05T00:00:00+01:00"


def test_a_site_that_shows_the_utc_day_keeps_it():
    # 23:25 UTC on a British site is 00:25 the next day in London, but the page shows its
    # readers "Oct 10, 2023": its clock is UTC
    body = f'<article><h1>A story</h1><span class="post-date">Oct 10, 2023</span>{LONG_TEXT}</article>'
    published = _published(body, head='<meta property="article:published_time" content="2023-10-10T23:25:44+00:00">',
                           url="https://example.co.uk/news/a-story", lang="en-GB")
    assert published.isoformat() == "2023-10-10T23:25:44+00:00"


def test_a_bare_time_of_day_is_no_date():
    from crawler.extract.dates import parse_date

    for text in ("à 0 h 23", "14 h 30", "10:52"):
        assert parse_date(text, fetched_at=FETCHED_AT) is None


def test_a_layout_with_a_sidebar_still_shows_its_date():
    # "has-sidebar" on the page's wrapper names a layout, not a sidebar block
    body = f'<div class="mainwrap has-sidebar"><article><h1>A story</h1><time>December 30, 2013</time>{LONG_TEXT}</article></div>'
    assert _published(body).date().isoformat() == "2013-12-30"
