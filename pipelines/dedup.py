"""DedupPipeline: one item per canonical URL and per content within a crawl.

Across crawls and processes the database is the authority: StorePipeline upserts by
canonical URL and folds the same content under another URL into the first article
(``article_urls``), counting it as a duplicate.
"""
from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem


class DedupPipeline:
    def __init__(self, stats):
        self.stats = stats
        self.seen_urls: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        if item.canonical_url in self.seen_urls:
            self.stats.inc_value("newsdesk/duplicates/url")
            raise DropItem(f"already stored in this crawl: {item.canonical_url}")
        self.seen_urls.add(item.canonical_url)
        return item
