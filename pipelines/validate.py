"""ValidatePipeline: an item that cannot make a useful row stops here, with a counted reason."""
from __future__ import annotations

from dataclasses import replace

from scrapy.exceptions import DropItem

from crawler.contracts import ARTICLES_DROPPED, COMMENTS_DROPPED, COMMENTS_ORPHANED
from crawler.items import ArticleItem


class ValidatePipeline:
    def __init__(self, stats, min_body_words: int = 20):
        self.stats = stats
        self.min_body_words = min_body_words

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getint("NEWSDESK_MIN_BODY_WORDS"))

    def drop(self, reason: str, item: ArticleItem):
        self.stats.inc_value(f"{ARTICLES_DROPPED}{reason}")
        raise DropItem(f"{reason}: {item.url}")

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        if not item.canonical_url or not item.url:
            self.drop("no_url", item)
        if not (item.title or "").strip():
            self.drop("no_title", item)
        if len((item.body_text or "").split()) < self.min_body_words:
            self.drop("body_too_short", item)
        kept, ids = [], set()
        for comment in item.comments:
            reason = None
            if not comment.external_id:
                reason = "no_id"
            elif comment.external_id in ids:
                reason = "repeated_id"
            elif not (comment.body_text or "").strip() and not comment.deleted:
                reason = "empty_text"
            if reason:
                self.stats.inc_value(f"{COMMENTS_DROPPED}{reason}")
                continue
            ids.add(comment.external_id)
            kept.append(comment)
        # A reply whose parent is not in the thread becomes a top-level comment, counted.
        fixed = []
        for comment in kept:
            if comment.parent_external_id and comment.parent_external_id not in ids:
                self.stats.inc_value(COMMENTS_ORPHANED)
                comment = replace(comment, parent_external_id=None, depth=0)
            fixed.append(comment)
        return replace(item, comments=fixed) if fixed != item.comments else item
