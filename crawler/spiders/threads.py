"""Comment threads, the second half of the news spider: an article is yielded only once
every further page of its thread has been fetched (or given up on) and merged, so that an
article and its whole thread are stored in one transaction. The thread is put together by
crawler/extract/comments/assembly.py, as `newsdesk extract` does.
"""
from __future__ import annotations

from dataclasses import replace

import scrapy

from ..contracts import COMMENT_PAGES, COMMENT_THREADS_FAILED, Kind, reason_key
from ..extract.comments import CommentEndpoints
from ..extract.comments.assembly import ThreadAssembly
from .reading import Reading


class CommentThreads:
    """Mixed into NewsSpider: the requests of a thread, their callbacks, and the finished item."""

    @property
    def comment_endpoints(self):
        """Where Disqus is fetched from: NEWSDESK_DISQUS_* settings (sites.toml may set them per site)."""
        if getattr(self, "_comment_endpoints", None) is None:
            self._comment_endpoints = CommentEndpoints.from_settings(self.crawler.settings)
        return self._comment_endpoints

    # The pages of one thread are fetched NEWSDESK_COMMENT_PAGE_CONCURRENCY at a time when the
    # page links them all (numbered pages); a cursor (Disqus) names one next page at a time. The
    # article is yielded once every page is in, or, if the crawl stops first, stored with what
    # was fetched and marked incomplete (store_open_threads).

    def start_thread(self, item, reading, response):
        assembly = ThreadAssembly(response.url, self.crawler.settings.getint("NEWSDESK_MAX_COMMENT_PAGES"))
        self.open_threads[id(assembly)] = (item, assembly)
        self.add_thread(assembly, reading, item, response.url)
        yield from self.next_comment_requests(item, assembly)

    def add_thread(self, assembly: ThreadAssembly, reading, item, url: str):
        """The thread a reading holds joins the assembly; one its parser failed on costs the thread
        its completeness, never its article (as ThreadAssembly.read)."""
        if reading.thread_error:
            name, text = reading.thread_error
            assembly.fail(f"parser error: {name}")
            self.logger.warning("comment thread of %s failed: %s", item.url, text)
            return None
        assembly.add(reading.thread, url=url)
        return reading.thread

    def next_comment_requests(self, item, assembly: ThreadAssembly):
        concurrency = max(1, self.crawler.settings.getint("NEWSDESK_COMMENT_PAGE_CONCURRENCY", 4))
        while assembly.in_flight < concurrency and (req := assembly.next_request()) is not None:
            if not self.usable(req.url):  # a link no request can reach (counted by usable)
                assembly.fail("unusable comment page URL")
                continue
            assembly.in_flight += 1
            # A comment provider (Disqus) is offsite by nature and serves what every reader's
            # browser loads with the page: the site's allowed domains and robots.txt are not its rules.
            yield scrapy.Request(req.url, headers=req.headers or None, callback=self.callback("parse_comments"),
                                 errback=self.comments_failed, dont_filter=True, priority=30,
                                 cb_kwargs={"item": item, "assembly": assembly, "kind": req.kind},
                                 meta={"kind": Kind.COMMENTS, "dont_obey_robotstxt": req.offsite,
                                       "allow_offsite": req.offsite})
        if not assembly.in_flight and not assembly.pending and id(assembly) in self.open_threads:
            yield self.finish_article(item, assembly)

    def parse_comments(self, response, item, assembly: ThreadAssembly, kind: str):
        reading = self.read_here(_mode(kind), response) if kind != "page" or self.readable(response) else None
        yield from self.comments_read(response, item, assembly, kind, reading)

    async def parse_comments_pooled(self, response, item, assembly: ThreadAssembly, kind: str):
        try:
            reading = await self.read_pooled(_mode(kind), response) if kind != "page" or self.readable(response) else None
        except Exception as exc:  # noqa: BLE001 - a worker that died: the article is kept all the same
            reading = Reading(error=(type(exc).__name__, str(exc)[:200]))
        for out in self.comments_read(response, item, assembly, kind, reading):
            yield out

    def comments_read(self, response, item, assembly: ThreadAssembly, kind: str, reading):
        # Counted only now, once the response is read: until then another page's callback must
        # not take this thread for finished.
        assembly.in_flight -= 1
        self.crawler.stats.inc_value(COMMENT_PAGES)
        url = response.request.url if response.request is not None else response.url
        # The item is still being put together here (it is yielded by finish_article): the
        # records its thread was read from join its page's.
        item.archive_records.extend(archived_records(response, kind))
        thread = None
        if reading is not None and reading.error:
            assembly.fail(f"parser error: {reading.error[0]}")
        elif reading is not None and reading.page_read:
            thread = self.add_thread(assembly, reading, item, url)
        if thread is None:
            assembly.fail(f"unreadable {kind} response")
        yield from self.next_comment_requests(item, assembly)

    def comments_failed(self, failure):
        item, assembly = failure.request.cb_kwargs["item"], failure.request.cb_kwargs["assembly"]
        assembly.in_flight -= 1
        reason = failure.getErrorMessage() or failure.type.__name__
        if response := getattr(failure.value, "response", None):
            reason = f"HTTP {response.status}"
        assembly.fail(f"comment page not fetched ({reason})")
        self.logger.warning("comment page %s failed: %s", failure.request.url, reason)
        yield from self.next_comment_requests(item, assembly)

    def finish_article(self, item, assembly: ThreadAssembly):
        self.open_threads.pop(id(assembly), None)
        thread = assembly.result()
        for reason in thread.errors:
            self.crawler.stats.inc_value(f"{COMMENT_THREADS_FAILED}/{reason_key(reason)}")
        if thread.errors:  # threads, not reasons: one thread may fail for two reasons
            self.crawler.stats.inc_value(COMMENT_THREADS_FAILED)
        return replace(item, comments=thread.comments, comment_count_reported=thread.reported_count,
                       comments_complete=thread.complete, comment_errors=thread.errors)

    async def store_open_threads(self, spider, reason):
        """The crawl stopped (page limit, time limit, SIGTERM) with threads half fetched: each
        article is stored with the part of its thread that was fetched, marked incomplete,
        rather than lost (spider_closed; the pipelines are still there)."""
        if spider is not self or not self.open_threads:
            return
        itemproc = self.crawler.engine.scraper.itemproc
        for item, assembly in list(self.open_threads.values()):
            assembly.fail("crawl stopped before the thread was fetched")
            self.crawler.stats.inc_value("newsdesk/articles_stored_partial")
            finished = self.finish_article(item, assembly)
            try:
                await itemproc.process_item_async(finished)
            except Exception as exc:  # noqa: BLE001 - a DropItem, or a store that failed: counted there
                self.logger.info("article %s with a partial thread not stored: %s", finished.url, exc)

def _mode(kind: str) -> str:
    """The reader's mode for a comment request of this kind (an HTML page is read as a page)."""
    return "page-comments" if kind == "page" else kind


def archived_records(response, kind: str) -> list[dict]:
    """The archived WARC record of a response, when the archive kept it: by WARC-Record-ID as the
    archive (crawler/extensions/archive.py) noted it, or by file and offset when the response was
    replayed from the archive (`newsdesk reextract`, `newsdesk import-warc`)."""
    if record_id := response.meta.get("warc_record_id"):
        return [{"kind": kind, "url": response.url, "record_id": record_id}]
    if warc_file := response.meta.get("warc_file"):
        return [{"kind": kind, "url": response.url, "warc_file": warc_file,
                 "warc_offset": response.meta["warc_offset"]}]
    return []
