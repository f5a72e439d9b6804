"""The ``reextract`` spider: the news spider's own callbacks over archived pages only.

`newsdesk reextract` starts it with the article pages to read again (``targets``) and the
archive index (``replay``: URL -> WARC file and offset), and switches the downloader to
answer from the archive (crawler/downloadermiddlewares/replay.py). Each article page goes
through ``parse_article`` exactly as in a crawl: the current extractor, the comment thread
with every comment page and API response the page asks for (read from the archive too),
then validate → clean → dedup → store. No link is followed: the archive decides what exists.
"""
from __future__ import annotations

import scrapy

from .news import NewsSpider


class ReextractSpider(NewsSpider):
    name = "reextract"
    reads_links = False  # the archive decides what exists

    def __init__(self, *args, targets=(), replay=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        self.replay = dict(replay or {})
        self.allowed_domains = []  # nothing is fetched: every URL is looked up in the archive

    async def start(self):
        if self.config_error:
            async for request in super().start():  # says what is wrong and closes
                yield request
            return
        for url in self.targets:
            yield scrapy.Request(url, callback=self.callback("parse_article"), meta={"kind": "article"}, dont_filter=True)
