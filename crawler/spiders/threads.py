"""Comment threads, the second half of the news spider: an article is yielded only once
every further page of its thread has been fetched (or given up on) and merged, so that an
article and its whole thread are stored in one transaction. The thread is put together by
crawler/extract/comments/assembly.py, as `newsdesk extract` does.
"""
from __future__ import annotations

from dataclasses import replace

import scrapy

from ..contracts import COMMENT_PAGES, COMMENT_THREADS_FAILED, Kind, reason_key
from ..extract.comments import CommentEndpoints, extract_comments, parse_comment_response
from ..extract.comments.assembly import ThreadAssembly


class CommentThreads:
    """Mixed into NewsSpider: the requests of a thread, their callbacks, and the finished item."""

    @property
    def comment_endpoints(self):
        """Where Disqus is fetched from: NEWSDESK_DISQUS_* settings (sites.toml may set them per site)."""
        if getattr(self, "_comment_endpoints", None) is None:
            self._comment_endpoints = CommentEndpoints.from_settings(self.crawler.settings)
        return self._comment_endpoints

    def start_thread(self, item, page, response):
        assembly = ThreadAssembly(response.url, self.crawler.settings.getint("NEWSDESK_MAX_COMMENT_PAGES"))
        assembly.read(lambda: extract_comments(page, self.comment_endpoints), self._thread_failed(item))
        yield from self.next_comment_request(item, assembly)

    def _thread_failed(self, item):
        return lambda exc: self.logger.warning("comment thread of %s failed: %r", item.url, exc)

    def next_comment_request(self, item, assembly: ThreadAssembly):
        req = assembly.next_request()
        if req is None:
            yield self.finish_article(item, assembly)
            return
        # A comment provider (Disqus) is offsite by nature and serves what every reader's
        # browser loads with the page: the site's allowed domains and robots.txt are not its rules.
        yield scrapy.Request(req.url, headers=req.headers or None, callback=self.parse_comments,
                             errback=self.comments_failed, dont_filter=True, priority=30,
                             cb_kwargs={"item": item, "assembly": assembly, "kind": req.kind},
                             meta={"kind": Kind.COMMENTS, "dont_obey_robotstxt": req.offsite,
                                   "allow_offsite": req.offsite})

    def parse_comments(self, response, item, assembly: ThreadAssembly, kind: str):
        self.crawler.stats.inc_value(COMMENT_PAGES)
        if kind == "page":
            page = self.page_from(response)
            thread = assembly.read(lambda: extract_comments(page, self.comment_endpoints),
                                   self._thread_failed(item)) if page else None
        else:
            thread = assembly.read(lambda: parse_comment_response(
                kind, response.body, response.url, rules=self.site_config.rules,
                endpoints=self.comment_endpoints), self._thread_failed(item))
        if thread is None:
            assembly.fail(f"unreadable {kind} response")
        yield from self.next_comment_request(item, assembly)

    def comments_failed(self, failure):
        item, assembly = failure.request.cb_kwargs["item"], failure.request.cb_kwargs["assembly"]
        reason = failure.getErrorMessage() or failure.type.__name__
        if response := getattr(failure.value, "response", None):
            reason = f"HTTP {response.status}"
        assembly.fail(f"comment page not fetched ({reason})")
        self.logger.warning("comment page %s failed: %s", failure.request.url, reason)
        yield from self.next_comment_request(item, assembly)

    def finish_article(self, item, assembly: ThreadAssembly):
        thread = assembly.result()
        for reason in thread.errors:
            self.crawler.stats.inc_value(f"{COMMENT_THREADS_FAILED}/{reason_key(reason)}")
        if thread.errors:  # threads, not reasons: one thread may fail for two reasons
            self.crawler.stats.inc_value(COMMENT_THREADS_FAILED)
        return replace(item, comments=thread.comments, comment_count_reported=thread.reported_count,
                       comments_complete=thread.complete, comment_errors=thread.errors)
