"""Deduplication at three levels, without HTTP: URL variants (canonical form and request
fingerprints), exact content, and the near-duplicate index in the database, through the
real item pipelines (validate → clean → dedup → store) on SQLite and PostgreSQL; and
article revisions as history."""
from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from conftest import REPO, run_newsdesk
from crawler.fingerprint import CanonicalRequestFingerprinter
from crawler.items import ArticleItem
from crawler.runner import newsdesk_settings
from crawler.sites import ConfigError, load_sites
from crawler.urls import canonical_for_page, canonical_url
from models.db import get_engine, resolve_url, session_factory, upgrade
from models.duplicates import duplicate_groups
from models.tables import Article, ArticleLsh, ArticleSignature, ArticleUrl, ArticleVersion

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)

# --- level 1: URLs ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [
    "https://news.example.com/2024/05/01/story/",
    "HTTPS://News.Example.COM:443/2024/05/01/story/",
    "https://news.example.com/2024/05/01/story/#comments",
    "https://news.example.com/2024/05/01/story/?utm_source=twitter&utm_medium=social",
    "https://news.example.com/2024/05/01/story/?fbclid=IwAR0abc",
    "https://news.example.com/2024/05/01/story/?gclid=xyz&mc_cid=1",
    "https://www.news.example.com/2024/05/01/story/",
    "https://amp.news.example.com/2024/05/01/story/",
    "https://news.example.com/2024/05/01/story/amp/",
    "https://news.example.com/amp/2024/05/01/story/",
    "https://news.example.com/2024/05/01/story/print/",
    "https://news.example.com/2024/05/01/story/?amp=1",
    "https://news.example.com/2024/05/01/story/index.html",
    "https://news-example-com.cdn.ampproject.org/c/s/news.example.com/2024/05/01/story/?amp_js_v=0.1",
])
def test_url_variants_have_one_canonical_form(variant):
    assert canonical_url(variant) == "https://news.example.com/2024/05/01/story/"


def test_meaningful_query_parameters_are_kept_and_sorted():
    assert canonical_url("http://example.com:80/view?id=7&page=2&utm_campaign=x") == \
        "http://example.com/view?id=7&page=2"
    assert canonical_url("https://example.com/view?page=2&id=7") == "https://example.com/view?id=7&page=2"
    assert canonical_url("https://example.com:8443/a") == "https://example.com:8443/a"


def test_tracking_parameters_are_configurable_by_name_and_prefix():
    url = "https://example.com/a?xtor=RSS-1&xtref=abc&partner=feed&id=3"
    assert canonical_url(url) == "https://example.com/a?id=3&partner=feed&xtor=RSS-1&xtref=abc"
    assert canonical_url(url, extra_tracking=frozenset({"partner", "xt*"})) == "https://example.com/a?id=3"


def test_trailing_slash_follows_the_site_option():
    assert canonical_url("https://example.com/story") != canonical_url("https://example.com/story/")
    for option in ("strip", "add"):
        assert canonical_url("https://example.com/story", trailing_slash=option) == \
            canonical_url("https://example.com/story/", trailing_slash=option)
    assert canonical_url("https://example.com/story", trailing_slash="add") == "https://example.com/story/"
    assert canonical_url("https://example.com/photo.jpg", trailing_slash="add") == "https://example.com/photo.jpg"
    assert canonical_url("https://example.com/", trailing_slash="strip") == "https://example.com/"


def test_trailing_slash_is_a_checked_site_option(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text('[sites.a]\nstart_urls = ["https://a.example/"]\ntrailing_slash = "strip"\n')
    assert load_sites(path)["a"].trailing_slash == "strip"
    path.write_text('[sites.a]\nstart_urls = ["https://a.example/"]\ntrailing_slash = "sometimes"\n')
    with pytest.raises(ConfigError, match="trailing_slash"):
        load_sites(path)


def test_rel_canonical_of_the_same_site_names_the_stored_url():
    page = "https://www.example.com/2024/05/01/story/?utm_source=rss&page=1"
    assert canonical_for_page(page, "/2024/05/01/story/") == "https://example.com/2024/05/01/story/"
    assert canonical_for_page("https://example.com/amp/story", "https://example.com/story?ref=amp") == \
        "https://example.com/story"
    assert canonical_for_page(page, None) == "https://example.com/2024/05/01/story/?page=1"


def test_rel_canonical_on_another_site_or_the_home_page_is_not_taken():
    # A syndicated copy declares its original: taking that would store it over the original.
    assert canonical_for_page("https://wire.example/copy-of-story", "https://paper.example/story") == \
        "https://wire.example/copy-of-story"
    assert canonical_for_page("https://paper.example/story", "https://paper.example/") == \
        "https://paper.example/story"


def test_url_variants_are_one_request_before_scheduling():
    crawler = get_crawler(settings_dict={
        "REQUEST_FINGERPRINTER_CLASS": "crawler.fingerprint.CanonicalRequestFingerprinter",
        "NEWSDESK_TRACKING_PARAMS": ["partner"]})
    fingerprinter = CanonicalRequestFingerprinter.from_crawler(crawler)
    same = {fingerprinter.fingerprint(Request(u)) for u in (
        "https://example.com/story/", "https://www.example.com/story/?utm_source=x&partner=y",
        "https://example.com/story/amp/", "https://example.com/story/#top")}
    assert len(same) == 1
    assert fingerprinter.fingerprint(Request("https://example.com/other/")) not in same


# --- levels 2 and 3 through the pipelines ---------------------------------------------------

WORDS = ("council budget school river bridge storm police court election minister hospital "
         "market strike farmers museum festival airport railway energy water housing tax "
         "report vote mayor union teachers nurses climate flood fire road health data city "
         "village coast harbour factory jobs prices inflation bank loan pension science "
         "research study university students park forest wildlife transport bus tram").split()
FILLER = "the a of to in and on for with at by from said says will would could after before over".split()


def story_text(seed: int, paragraphs: int = 8) -> str:
    """A deterministic article body: sentences of topic words and filler, unique per seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = [rng.choice(WORDS if rng.random() < 0.55 else FILLER) for _ in range(rng.randint(9, 18))]
            words += [f"{rng.choice(WORDS)}{rng.randint(1, 99)}"]  # names and numbers make stories distinct
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def syndicated(body: str, seed: int) -> str:
    """A wire copy: last paragraph cut, a local paragraph added, boilerplate around it."""
    paras = body.split("\n\n")[:-1]
    paras.insert(2, story_text(seed + 10_000, 1))
    return "\n\n".join(["(Wire) —"] + paras + ["Copyright Wire Service. All rights reserved."])


def article(site: str, path: str, title: str, body: str, *, published: datetime | None = T0,
            fetched: datetime | None = None) -> ArticleItem:
    url = f"https://{site}.example{path}"
    return ArticleItem(url=url, canonical_url=canonical_url(url), site=site, title=title, body_text=body,
                       published_at=published, fetched_at=fetched or T0 + timedelta(days=1))


class Pipelines:
    """The real validate → clean → dedup → store pipelines, as a crawl runs them."""

    def __init__(self, url: str, **settings):
        from pipelines.clean import CleanPipeline
        from pipelines.dedup import DedupPipeline
        from pipelines.store import StorePipeline
        from pipelines.validate import ValidatePipeline

        self.crawler = get_crawler(settings_dict=newsdesk_settings(NEWSDESK_DATABASE_URL=url, **settings))
        self.crawler.stats.open_spider()
        self.stages = [c.from_crawler(self.crawler) for c in (ValidatePipeline, CleanPipeline, DedupPipeline,
                                                               StorePipeline)]
        self.stages[-1].open_spider()

    def __call__(self, *items: ArticleItem) -> None:
        for item in items:
            try:
                for stage in self.stages:
                    item = stage.process_item(item)
            except DropItem:
                pass

    def stat(self, name: str) -> int:
        return self.crawler.stats.get_value(f"newsdesk/{name}", 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url = resolve_url(str(tmp_path / "dedup.db"))
    else:
        url = resolve_url(request.getfixturevalue("pg_url"))
    upgrade(url)
    yield url
    get_engine(url).dispose()


def rows(url: str):
    with session_factory(url)() as session:
        return {a.canonical_url: a for a in session.scalars(select(Article))}


def test_syndicated_copy_is_stored_and_linked_to_the_original(db_url):
    body = story_text(1)
    crawl = Pipelines(db_url)
    crawl(article("paper", "/2024/05/01/bridge-closes/", "Bridge closes after storm", body),
          article("wire", "/news/bridge/", "Storm shuts river bridge: what we know", syndicated(body, 1),
                  published=T0 + timedelta(hours=3)),
          article("other", "/2024/05/01/school-budget/", "School budget vote", story_text(2)))
    stored = rows(db_url)
    assert len(stored) == 3  # nothing dropped
    original = stored["https://paper.example/2024/05/01/bridge-closes/"]
    copy = stored["https://wire.example/news/bridge/"]
    unrelated = stored["https://other.example/2024/05/01/school-budget/"]
    assert original.duplicate_of_id is None and unrelated.duplicate_of_id is None
    assert copy.duplicate_of_id == original.id
    assert 0.5 <= copy.duplicate_similarity < 1.0
    assert crawl.stat("duplicates/near") == 1 and crawl.stat("articles_new") == 3


def test_copy_points_at_the_earliest_copy_even_when_stored_first(db_url):
    body = story_text(3)
    crawl = Pipelines(db_url)
    crawl(article("wire", "/copy-1/", "Copy one", syndicated(body, 3), published=T0 + timedelta(hours=5)),
          article("digest", "/copy-2/", "Copy two", syndicated(body, 4), published=T0 + timedelta(hours=8)),
          article("paper", "/original/", "The original", body, published=T0))
    stored = rows(db_url)
    original = stored["https://paper.example/original/"]
    assert original.duplicate_of_id is None
    for url in ("https://wire.example/copy-1/", "https://digest.example/copy-2/"):
        assert stored[url].duplicate_of_id == original.id
        assert stored[url].duplicate_similarity >= 0.5


def test_different_articles_on_the_same_topic_are_not_linked(db_url):
    crawl = Pipelines(db_url)
    first, second = story_text(5), story_text(6)
    # Same headline, same subject words, one shared quote: still two stories.
    quote = first.split("\n\n")[0].split(". ")[0] + "."
    crawl(article("paper", "/a/", "Floods hit the coast", first),
          article("wire", "/b/", "Floods hit the coast", quote + "\n\n" + second))
    assert all(a.duplicate_of_id is None for a in rows(db_url).values())
    assert crawl.stat("duplicates/near") == 0


def test_same_content_under_two_urls_is_one_article(db_url):
    body = story_text(7)
    crawl = Pipelines(db_url)
    crawl(article("paper", "/2024/05/01/story/", "Story", body),
          article("paper", "/story.php?id=991", "Story", body.replace("\n\n", "\n\n  ")))
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count(Article.id))) == 1
        urls = session.scalars(select(ArticleUrl.url).order_by(ArticleUrl.url)).all()
    assert urls == ["https://paper.example/2024/05/01/story/", "https://paper.example/story.php?id=991"]
    assert crawl.stat("duplicates/content") == 1


def test_index_survives_a_restart_and_is_shared_by_processes(db_url):
    body = story_text(8)
    Pipelines(db_url)(article("paper", "/original/", "Original", body))
    # Another crawler process (a new interpreter) stores the copy against the same database.
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_dedup import *; "
        f"Pipelines({db_url!r})(article('wire', '/copy/', 'Copy', syndicated(story_text(8), 8), "
        "published=T0 + timedelta(hours=2)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    stored = rows(db_url)
    assert stored["https://wire.example/copy/"].duplicate_of_id == stored["https://paper.example/original/"].id


def test_index_rows_are_written_with_the_article_and_bounded_per_article(db_url):
    crawl = Pipelines(db_url)
    crawl(*(article("paper", f"/s{i}/", f"Story {i}", story_text(100 + i)) for i in range(5)))
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(ArticleSignature)) == 5
        per_article = session.execute(select(ArticleLsh.article_id, func.count()).group_by(ArticleLsh.article_id)).all()
    assert len(per_article) == 5 and all(n == 42 for _, n in per_article)  # one row per LSH band


def test_near_duplicates_can_be_switched_off(db_url):
    body = story_text(9)
    crawl = Pipelines(db_url, NEWSDESK_NEARDUP_ENABLED=False)
    crawl(article("paper", "/o/", "O", body), article("wire", "/c/", "C", syndicated(body, 9)))
    assert all(a.duplicate_of_id is None for a in rows(db_url).values())
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(ArticleSignature)) == 0


def test_threshold_is_a_setting(db_url):
    body = story_text(10)
    crawl = Pipelines(db_url, NEWSDESK_NEARDUP_THRESHOLD="0.99")
    crawl(article("paper", "/o/", "O", body), article("wire", "/c/", "C", syndicated(body, 10)))
    assert all(a.duplicate_of_id is None for a in rows(db_url).values())


# --- revisions ------------------------------------------------------------------------------


def test_edited_article_keeps_its_old_version_and_an_unchanged_recrawl_writes_none(db_url):
    body = story_text(11)
    first = article("paper", "/story/", "Council approves budget", body, fetched=T0 + timedelta(hours=1))
    Pipelines(db_url)(first)
    Pipelines(db_url)(replace(first, fetched_at=T0 + timedelta(hours=2)))  # re-crawl, nothing changed
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count(ArticleVersion.id))) == 1
    edited_body = body + "\n\nUpdate: the vote was postponed until next week after a late objection."
    edited = replace(first, title="Council postpones budget vote", body_text=edited_body,
                     modified_at=T0 + timedelta(hours=5), fetched_at=T0 + timedelta(hours=6))
    crawl = Pipelines(db_url)
    crawl(edited)
    assert crawl.stat("articles_updated") == 1
    Pipelines(db_url)(replace(edited, fetched_at=T0 + timedelta(hours=9)))  # unchanged again
    with session_factory(db_url)() as session:
        row = session.scalar(select(Article))
        versions = session.scalars(select(ArticleVersion).order_by(ArticleVersion.id)).all()
    assert row.title == "Council postpones budget vote" and row.body_text.endswith("late objection.")
    assert [v.title for v in versions] == ["Council approves budget", "Council postpones budget vote"]
    assert versions[0].fetched_at.replace(tzinfo=None) == datetime(2024, 5, 1, 10, 0)
    assert versions[1].fetched_at.replace(tzinfo=None) == datetime(2024, 5, 1, 15, 0)
    assert versions[1].modified_at.replace(tzinfo=None) == datetime(2024, 5, 1, 14, 0)
    assert versions[0].content_hash != versions[1].content_hash == row.content_hash


def test_a_revision_moves_the_article_in_the_index(db_url):
    old, new = story_text(12), story_text(13)
    Pipelines(db_url)(article("paper", "/story/", "Story", old))
    Pipelines(db_url)(article("paper", "/story/", "Story", new, fetched=T0 + timedelta(days=2)))
    crawl = Pipelines(db_url)
    crawl(article("wire", "/copy-of-old/", "Old", syndicated(old, 12), published=T0 + timedelta(hours=1)),
          article("wire", "/copy-of-new/", "New", syndicated(new, 13), published=T0 + timedelta(hours=1)))
    stored = rows(db_url)
    assert stored["https://wire.example/copy-of-old/"].duplicate_of_id is None
    assert stored["https://wire.example/copy-of-new/"].duplicate_of_id == stored["https://paper.example/story/"].id
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(ArticleLsh)) == 3 * 42


# --- newsdesk duplicates ----------------------------------------------------------------------


def test_duplicates_command_lists_groups_with_copies_and_urls(db_url):
    body, other = story_text(14), story_text(15)
    crawl = Pipelines(db_url)
    crawl(article("paper", "/original/", "Bridge closes", body),
          article("paper", "/original.php?id=1", "Bridge closes", body),
          article("wire", "/copy/", "Bridge shut: what we know", syndicated(body, 14),
                  published=T0 + timedelta(hours=2)),
          article("paper", "/other/", "Other news", other))
    with session_factory(db_url)() as session:
        groups = duplicate_groups(session)
        assert duplicate_groups(session, site="wire")[0].original.url == "https://paper.example/original/"
        assert duplicate_groups(session, site="nobody") == []
    assert len(groups) == 1
    assert groups[0].original.aliases == ["https://paper.example/original.php?id=1"]
    assert [c.url for c in groups[0].copies] == ["https://wire.example/copy/"]

    result = run_newsdesk("duplicates", "--db", db_url, "--site", "paper")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "original" in out and "https://paper.example/original/" in out
    assert "same content: https://paper.example/original.php?id=1" in out
    assert "https://wire.example/copy/" in out and "title: Bridge shut: what we know" in out
    assert "1 group, 1 copy" in out
    result = run_newsdesk("duplicates", "--db", db_url, "--site", "missing")
    assert result.returncode == 1 and "no site named 'missing'" in result.stderr
