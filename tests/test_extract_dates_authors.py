"""Author names and dates as users complain every extractor gets them wrong: "By" and roles
left in names, lists not split, dates read in the wrong order or zone, relative dates, and
"updated" lines taken for the publication date."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pytest

from helpers import REPO

FETCHED_AT = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, names", [
    ("By: Earnest Jones", ["Earnest Jones"]),
    ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
    ("Ann Lee, Bob Stone & Cy Twombly", ["Ann Lee", "Bob Stone", "Cy Twombly"]),
    ("By TOM KRISHER, AP Auto Writer", ["TOM KRISHER"]),
    ("Jane Doe, Senior Correspondent", ["Jane Doe"]),
    ("Mark Lee, AP Science Writer", ["Mark Lee"]),
    ("Rachael Link, MS, RD", ["Rachael Link"]),
    ("Sarah E. Needleman", ["Sarah E. Needleman"]),  # an initial is not the Portuguese "e"
    ("By Jill Disis, CNN Business", ["Jill Disis"]),
    ("Analysis by Chris Cillizza", ["Chris Cillizza"]),
    ("Amy Kuperinsky | NJ Advance Media for NJ.com", ["Amy Kuperinsky"]),
    ("By Jane Doe | 12-07-2016 | News", ["Jane Doe"]),
    ("Jeff FoustMonday, November 18, 2019", ["Jeff Foust"]),
    ("jane.doe@example.com", []),
    ("By The Associated Press", []),
    ("Staff", []),
    ("HNN Staff", []),
    ("Editorial", []),
    ("Von Hans Müller und Petra Schmidt", ["Hans Müller", "Petra Schmidt"]),
    ("Por María García y José López", ["María García", "José López"]),
    ("Jean-Pierre Dupont et Marie Curie", ["Jean-Pierre Dupont", "Marie Curie"]),
    ("Текст: Венера Ерофеева", ["Венера Ерофеева"]),
    ("홍길동 기자", ["홍길동"]),
    ("山田太郎、佐藤花子", ["山田太郎", "佐藤花子"]),
    ([{"@type": "Person", "name": "Ann Lee"}, {"@type": "Person", "name": "Bo Diaz"}], ["Ann Lee", "Bo Diaz"]),
    ({"@type": "Person", "name": "AppleInsider"}, []),  # the site's own name
    ("By The AppleInsider Staff", []),
    ("Emily Post", ["Emily Post"]),  # a surname that is also a newspaper word
    ("Marine Le Pen et Mohamed El Khatib", ["Marine Le Pen", "Mohamed El Khatib"]),
    ("Written by Rachael Link, MS, RD on November 14, 2019", ["Rachael Link"]),
    ("Par Claire Dubois le 12 mars 2019", ["Claire Dubois"]),
    ("JD Vance and Per Olsen for The Times", ["JD Vance", "Per Olsen"]),
])
def test_author_names_are_cleaned(raw, names):
    from crawler.extract import clean_author_names

    assert clean_author_names(raw, site_names=("AppleInsider", "appleinsider.com")) == names


@pytest.mark.parametrize("text, kwargs, expected", [
    ("12-07-2016", {}, "2016-12-07T00:00"),
    ("12-07-2016", {"date_order": "DMY"}, "2016-07-12T00:00"),
    ("25-07-2016", {}, "2016-07-25T00:00"),  # a day above 12 settles the order
    ("2019-11-19T08:57:40+01:00", {}, "2019-11-19T07:57"),
    ("2019-11-19 10:48", {"tz": "Europe/London"}, "2019-11-19T10:48"),
    ("2019-07-19 10:48", {"tz": "Europe/London"}, "2019-07-19T09:48"),  # summer time applied
    ("2018-08-25 15:24", {"tz": "Asia/Seoul"}, "2018-08-25T06:24"),
    ("11/19/19 06:56 AM EST", {}, "2019-11-19T11:56"),
    ("Nov. 18, 2019 2:26 PM HST", {}, "2019-11-19T00:26"),
    ("3 hours ago", {}, "2024-05-10T09:00"),
    ("yesterday", {}, "2024-05-09T12:00"),
    ("vor 2 Stunden", {"language": "de"}, "2024-05-10T10:00"),
    ("hace 3 horas", {"language": "es"}, "2024-05-10T09:00"),
    ("il y a 5 minutes", {"language": "fr"}, "2024-05-10T11:55"),
    ("22 de janeiro de 2018", {"language": "pt"}, "2018-01-22T00:00"),
    ("12. März 2019", {"language": "de"}, "2019-03-12T00:00"),
    ("Nov 18", {}, "2024-11-18T00:00"),  # no year: the fetch year (extract_dates drops it as future)
    ("0001-01-01T00:00:00", {}, None),
    ("not a date", {}, None),
])
def test_dates_are_parsed_in_the_right_zone_and_order(text, kwargs, expected):
    from crawler.extract.dates import parse_date

    value = parse_date(text, fetched_at=FETCHED_AT, **kwargs)
    assert (value.strftime("%Y-%m-%dT%H:%M") if value else None) == expected
    if value:
        assert value.utcoffset().total_seconds() == 0


def _page(name: str, **rules):
    from crawler.extract.page import Page
    from crawler.extract.rules import SiteRules

    truth = json.loads((REPO / "fixtures/pages/benchmark-truth.json").read_text(encoding="utf-8"))
    raw = gzip.decompress((REPO / "fixtures/pages" / f"{name}.html.gz").read_bytes())
    return Page.parse(raw, truth[name]["url"], rules=SiteRules(**rules),
                      fetched_at=datetime(2019, 12, 1, tzinfo=timezone.utc))


def test_a_site_time_zone_applies_to_a_dateline_without_one():
    from crawler.extract import extract_dates

    # "기사입력 :[ 2018-08-25 15:24 ]": Seoul time on a .kr site, unless the site's rule says otherwise
    published, _ = extract_dates(_page("ko-entermedia-lj-ryu"))
    assert published == datetime(2018, 8, 25, 6, 24, tzinfo=timezone.utc)
    published, _ = extract_dates(_page("ko-entermedia-lj-ryu", timezone="Europe/Berlin"))
    assert published == datetime(2018, 8, 25, 13, 24, tzinfo=timezone.utc)


def test_updated_line_is_the_modified_time_not_the_published_one():
    from crawler.extract import extract_dates

    # the byline and the date shown under the headline: "November 18, 2019 at 2:26 PM HST" (the
    # 19th in UTC, as the URL and a meta date have it; the publisher's day is the 18th)
    published, modified = extract_dates(_page("en-hawaiinewsnow-telescope"))
    assert published == datetime(2019, 11, 19, 0, 26, tzinfo=timezone.utc)
    assert published.date().isoformat() == "2019-11-18"
    assert modified == datetime(2019, 11, 19, 2, 46, tzinfo=timezone.utc)  # "Updated November 18 at 4:46 PM" HST


def test_relative_byline_date_counts_back_from_the_fetch_time():
    from crawler.extract import extract_page

    html = ("<html lang='de'><head><title>Stadtrat beschließt Haushalt</title></head><body><article>"
            "<h1>Stadtrat beschließt Haushalt</h1><p class='byline'>Von Petra Schmidt | vor 3 Stunden</p>"
            + "<p>" + "Der Stadtrat hat am Abend den Haushalt für das kommende Jahr beschlossen. " * 6 + "</p>"
            + "<p>" + "Die Opposition kritisierte die geplanten Ausgaben für den Straßenbau deutlich. " * 6 + "</p>"
            "</article></body></html>")
    item = extract_page(html, "https://zeitung.example.de/politik/haushalt", fetched_at=FETCHED_AT,
                        with_comments=False)
    assert item.authors == ["Petra Schmidt"]
    assert item.published_at == datetime(2024, 5, 10, 9, 0, tzinfo=timezone.utc)
    assert item.language == "de"


DEV_PAGES = REPO / "fixtures" / "pages" / "dev"  # see its README: saved pages of the dev set
DEV_FETCHED_AT = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _dev_item(name: str, url: str):
    from crawler.extract import extract_page

    raw = gzip.decompress((DEV_PAGES / f"{name}.html.gz").read_bytes())
    return extract_page(raw, url, fetched_at=DEV_FETCHED_AT, with_comments=False)


def test_the_entry_time_of_a_wordpress_post_beats_the_url_date():
    # <time class="entry-date published updated" datetime="2016-02-28T22:37:52+01:00">: the post
    # is not edited, so WordPress marks it both; its time of day and offset are the page's own
    item = _dev_item("de-campino2k-uberspace", "https://campino2k.de/2016/02/28/uberspace-und-lets-encrypt/")
    assert item.published_at == datetime(2016, 2, 28, 21, 37, 52, tzinfo=timezone.utc)
    assert item.published_at.utcoffset().total_seconds() == 3600
    assert item.authors == ["Chris Jung"]


def test_an_evening_in_america_stays_on_the_publishers_day():
    # JSON-LD "datePublished": "2023-12-21T21:05:52-05:00": 02:05 UTC on the 22nd, but the
    # article is of 21 December, as its URL and the page say
    item = _dev_item("en-washingtonian-bars",
                     "https://www.washingtonian.com/2023/12/21/dc-area-bars-that-wont-charge-covers-on-new-years-eve/")
    assert item.published_at == datetime(2023, 12, 22, 2, 5, 52, tzinfo=timezone.utc)
    assert item.published_at.date().isoformat() == "2023-12-21"
    assert item.authors == ["Ike Allen"]


def test_a_date_only_value_keeps_its_day_east_of_greenwich():
    from crawler.extract.dates import parse_date

    value = parse_date("2019-11-19", tz="Europe/Berlin", keep_offset=True)
    assert value.date().isoformat() == "2019-11-19"
    assert value.astimezone(timezone.utc) == datetime(2019, 11, 18, 23, 0, tzinfo=timezone.utc)
    assert parse_date("10:52", fetched_at=FETCHED_AT) is None  # a time of some day is no date


@pytest.mark.parametrize("name, url, authors", [
    # JSON-LD Person "Gary Marcus" on garymarcus.substack.com: the owner, not the site's name
    ("en-garymarcus-corrupt-llms", "https://garymarcus.substack.com/p/new-ways-to-corrupt-llms", ["Gary Marcus"]),
    # JSON-LD Person "kirstin boatto": a user name, kept as written
    ("en-wellrive-moving",
     "https://wellrive.com/blog/the-ultimate-guide-to-booking-a-moving-company-what-you-need-to-know/",
     ["kirstin boatto"]),
    # no structured author; <div class=post-hero__author__name>Christian Winter</div>
    ("en-cedardb-unnest", "https://cedardb.com/blog/unnest_dbs", ["Christian Winter"]),
])
def test_authors_the_dev_set_showed_missing(name, url, authors):
    assert _dev_item(name, url).authors == authors


@pytest.mark.parametrize("raw, names", [
    ("Perry Bacon Jr.", ["Perry Bacon Jr."]),  # an initial or a suffix keeps its stop
    ("Robert E. Moffit, Ph.D.", ["Robert E. Moffit"]),  # a degree is not a second author
    ("HNN Staff | November 18, 2019 at 2:26 PM HST", []),  # a month left of a date is no name
    ("Dr Marna van der Merwe and Ahmed Al-Sayed", ["Dr Marna van der Merwe", "Ahmed Al-Sayed"]),
])
def test_names_keep_their_particles_and_stops(raw, names):
    from crawler.extract import clean_author_names

    assert clean_author_names(raw) == names


def _ld_page(url: str, author: dict | None = None, *, title: str = "A headline", meta_author: str = "",
             text: str = "Some text of the article."):
    from crawler.extract.page import Page

    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "A headline",
            "publisher": {"@type": "Organization", "name": "Sky"}}
    if author:
        data["author"] = author
    meta = f'<meta name="author" content="{meta_author}">' if meta_author else ""
    html = (f'<html><head><title>{title}</title>{meta}<script type="application/ld+json">{json.dumps(data)}'
            f'</script></head><body><article><h1>A headline</h1><p>{text}</p></article></body></html>')
    return Page.parse(html.encode(), url)


@pytest.mark.parametrize("url, author, kwargs, authors", [
    # a team credited by the data is who signs the page
    ("https://example.com/a", {"@type": "Person", "name": "The Example Team"}, {}, ["The Example Team"]),
    # a CMS's default account
    ("https://example.com/a", {"@type": "Person", "name": "admin"}, {}, []),
    # a login with an underscore: not a name unless the page shows it to the reader
    ("https://example.com/a", {"@type": "Person", "name": "kei_eno"}, {}, []),
    ("https://example.com/a", {"@type": "Person", "name": "kei_eno"}, {"text": "Posted by kei_eno."}, ["kei_eno"]),
    # a piece of a hyphenated host is the site's account
    ("https://gto-normativy.ru/a", None, {"meta_author": "gto"}, []),
    # a section label the titles carry
    ("https://example.com/a", None, {"meta_author": "Editorial", "title": "A headline | Editorial | Opinion"}, []),
    # the site itself as an Organization author (the CMS's default when nobody signs)
    ("https://news.sky.com/a", {"@type": "Organization", "name": "Sky"}, {}, []),
])
def test_what_the_last_author_passes_do_not_credit(url, author, kwargs, authors):
    from crawler.extract import extract_authors

    assert extract_authors(_ld_page(url, author, **kwargs)) == authors
