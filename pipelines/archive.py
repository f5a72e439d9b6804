"""ArchiveRecordsPipeline: an article's archived records, located before it is stored.

The spider notes the WARC-Record-ID of each response an article used (its page, each comment
page and comment API response) on ``ArticleItem.archive_records``; the archive's writer thread
(crawler/extensions/archive.py) is the one that knows where each record landed. This step
waits for it without blocking the reactor and replaces each id by its (file, offset), which
StorePipeline writes to ``articles``/``article_versions``/``article_records``.
"""
from __future__ import annotations

from dataclasses import replace

from crawler.items import ArticleItem


class ArchiveRecordsPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self._archive = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def archive(self):
        if self._archive is None:
            # The WarcArchive extension (duck-typed: pipelines do not import crawler components).
            self._archive = next((e for e in getattr(self.crawler.extensions, "middlewares", ())
                                  if hasattr(e, "locate") and hasattr(e, "response_received")), False)
        return self._archive or None

    async def process_item(self, item):
        if not isinstance(item, ArticleItem) or not item.archive_records:
            return item
        wanted = [r["record_id"] for r in item.archive_records if r.get("record_id")]
        if not wanted or self.archive is None:
            return item
        where = await self.archive.locate(wanted)
        records = []
        for record in item.archive_records:
            location = where.get(record.get("record_id"))
            if location is None:
                if record.get("record_id"):
                    self.stats.inc_value("newsdesk/archive/unlocated")
                continue
            records.append({"kind": record["kind"], "url": record["url"],
                            "warc_file": location[0], "warc_offset": location[1]})
        return replace(item, archive_records=records)
