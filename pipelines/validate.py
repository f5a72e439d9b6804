"""ValidatePipeline: an item that cannot make a useful row stops here, with a counted reason."""
from __future__ import annotations

import re
from dataclasses import replace

from scrapy.exceptions import DropItem

from crawler.contracts import ARTICLES_DROPPED, COMMENTS_DROPPED, COMMENTS_ORPHANED
from crawler.items import ArticleItem

# Chinese and Japanese are written without spaces between words: two characters count as one
# word (their average length), so a Japanese article is not "too short" for having no spaces.
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def body_words(text: str | None) -> int:
    text = text or ""
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return len(_CJK_RUN.sub(" ", text).split()) + (cjk + 1) // 2


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
        if body_words(item.body_text) < self.min_body_words:
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
