"""ArchiveReplayMiddleware: the downloader answers from the WARC archive, never the network.

`newsdesk reextract` runs the real spider callbacks and item pipelines over archived pages;
this middleware (switched on by ``NEWSDESK_REPLAY``) turns each request into the archived
response for its URL (the spider's ``replay`` index: URL -> (file, offset)), read with
warcio (crawler/warc/reader.py). A URL that was never archived (a comment page a newer
extractor asks for, say) is not fetched either: IgnoreRequest, counted as
``newsdesk/reextract/not_archived`` (a comment page's errback marks its thread incomplete).

It sits next to the downloader (950), so every other middleware sees the archived response
as it saw the live one. The response carries ``archived_at`` (WARC-Date; the spider dates the
page by it) and ``warc_file``/``warc_offset`` (the item points at the same records again).
"""
from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from ..warc.reader import ArchiveError, RecordReader

logger = logging.getLogger(__name__)


class ArchiveReplayMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.reader = RecordReader()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_REPLAY"):
            raise NotConfigured()  # quietly: only `newsdesk reextract` replays
        return cls(crawler)

    def process_request(self, request):
        index = getattr(self.crawler.spider, "replay", None) or {}
        where = index.get(request.url)
        if where is None:
            self.stats.inc_value("newsdesk/reextract/not_archived")
            raise IgnoreRequest(f"not in the archive: {request.url}")
        path, offset = where
        try:
            archived = self.reader.read(path, offset)
        except ArchiveError as exc:
            self.stats.inc_value("newsdesk/reextract/unreadable_record")
            logger.warning("archived record unreadable: %s", exc)
            raise IgnoreRequest(str(exc)) from None
        headers = Headers(archived.headers)
        cls = responsetypes.from_args(headers=headers, url=archived.url, body=archived.body)
        request.meta.update(archived_at=archived.date, warc_file=path, warc_offset=offset)
        self.stats.inc_value("newsdesk/reextract/replayed")
        return cls(url=request.url, status=archived.status, headers=headers, body=archived.body,
                   request=request, flags=["archived"])
