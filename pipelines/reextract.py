"""ReextractDiffPipeline: `newsdesk reextract --dry-run` — what storing would change, field by
field, written nowhere.

It takes StorePipeline's place: each item is compared with the stored article of its
canonical URL (``models.archive.stored_fields``, the same comparison the store makes
when re-extracting) and with its stored comment thread. The counts go to the crawl's stats
(``newsdesk/reextract/would_be_new|changed|unchanged``), the first ``NEWSDESK_REEXTRACT_SAMPLE``
changes to ``newsdesk/reextract/sample`` for the command to print.
"""
from __future__ import annotations

from dataclasses import asdict

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler.items import ArticleItem
from models import archive
from models.db import has_schema, resolve_url, session_factory
from models.tables import Article, ArticleUrl, Comment


def _short(value, width: int = 100):
    text = repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


class ReextractDiffPipeline:
    def __init__(self, crawler, database_url: str, sample: int):
        self.stats = crawler.stats
        self.url = resolve_url(database_url)
        self.sample_size = sample
        self.sample: list[dict] = []
        self.sessions = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_REEXTRACT_DRY_RUN"):
            raise NotConfigured()  # quietly: only `newsdesk reextract --dry-run` uses it
        pipeline = cls(crawler, crawler.settings.get("NEWSDESK_DATABASE_URL"),
                       crawler.settings.getint("NEWSDESK_REEXTRACT_SAMPLE", 10))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.sessions = session_factory(self.url) if has_schema(self.url) else None

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        change = self.compare(item)
        self.stats.inc_value(f"newsdesk/reextract/would_be_{change['outcome']}")
        if change["outcome"] != "unchanged" and len(self.sample) < self.sample_size:
            self.sample.append(change)
        return item

    def compare(self, item: ArticleItem) -> dict:
        after = archive.extracted_fields(asdict(item))
        change = {"url": item.canonical_url, "outcome": "new", "fields": {}, "comments": {}}
        if self.sessions is None:
            return change
        with self.sessions() as session:
            article_id = session.scalar(select(Article.id).where(Article.canonical_url == item.canonical_url)) \
                or session.scalar(select(ArticleUrl.article_id).where(ArticleUrl.url == item.canonical_url))
            if article_id is None:
                return change
            before = archive.stored_fields(session, article_id)
            stored = dict(session.execute(select(Comment.external_id, Comment.content_hash)
                                          .where(Comment.article_id == article_id)).all())
        for key in archive.changed_fields(before, after):
            change["fields"][key] = (_short(before[key]), _short(after[key]))
        found = {c.external_id: c.content_hash for c in item.comments}
        comments = {"new": len(found.keys() - stored.keys()), "gone": len(stored.keys() - found.keys()),
                    "edited": sum(1 for k in found.keys() & stored.keys() if found[k] != stored[k])}
        change["comments"] = {k: v for k, v in comments.items() if v}
        change["outcome"] = "changed" if change["fields"] or change["comments"] else "unchanged"
        return change

    def spider_closed(self, spider):
        self.stats.set_value("newsdesk/reextract/sample", self.sample)
