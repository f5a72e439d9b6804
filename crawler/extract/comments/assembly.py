"""ThreadAssembly: one article's comment thread, put together from every response it takes.

A page shows the first part of its thread and names the further requests the rest needs
(comment pages, a WordPress comment feed, the Disqus embed and its API pages). The spider
(through Scrapy requests) and ``newsdesk extract`` (through plain HTTP) both feed each
response's thread in here, ask for the next request until there is none, and take the
merged thread with one verdict on whether it is complete:

    complete = no request of the thread failed or was left out (errors), none is still
               pending, and every source read says it can show the whole thread
               (a WordPress comment feed holds only the newest comments: it cannot)

An incomplete thread proves nothing about comments it lacks: the store does not mark
stored comments deleted on its evidence.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ...items import CommentItem
from .thread import CommentRequest, CommentThread, merge_threads

TOO_MANY_PAGES = "too many comment pages"


@dataclass(frozen=True)
class AssembledThread:
    comments: list[CommentItem]
    reported_count: int | None
    complete: bool
    errors: list[str]  # what went wrong reading it, each reason once
    partial_sources: list[str]  # comment systems read that can never show the whole thread


class ThreadAssembly:
    def __init__(self, page_url: str, max_pages: int):
        self.max_pages = max_pages
        self.threads: list[CommentThread] = []
        self.pending: deque[CommentRequest] = deque()
        self.seen: set[str] = {page_url}
        self.errors: list[str] = []

    def read(self, parse: Callable[[], CommentThread | None],
             on_error: Callable[[Exception], None] | None = None) -> CommentThread | None:
        """Run one parser and add its thread; a parser that raises costs the thread its
        completeness, never its article (the error is recorded, and handed to ``on_error``)."""
        try:
            thread = parse()
        except Exception as exc:  # a thread we cannot read must not lose its article
            self.fail(f"parser error: {type(exc).__name__}")
            if on_error is not None:
                on_error(exc)
            return None
        self.add(thread)
        return thread

    def add(self, thread: CommentThread | None) -> None:
        if thread is None:
            return
        self.threads.append(thread)
        self.errors.extend(thread.errors)
        for request in thread.requests:
            if request.url in self.seen:
                continue
            if len(self.seen) > self.max_pages:  # a guard against endless comment pagination
                self.fail(TOO_MANY_PAGES)
                break
            self.seen.add(request.url)
            self.pending.append(request)

    def fail(self, reason: str) -> None:
        """A request of the thread that gave nothing (not fetched, unreadable)."""
        self.errors.append(reason)

    def next_request(self) -> CommentRequest | None:
        return self.pending.popleft() if self.pending else None

    @property
    def partial_sources(self) -> list[str]:
        # A page where no thread was found at all (system None) is incomplete too (perhaps it has
        # none, perhaps markup this version cannot read), but it names no source.
        return list(dict.fromkeys(t.system for t in self.threads if not t.complete and t.system))

    @property
    def complete(self) -> bool:
        """The one rule for "the whole thread was read" (see the module's docstring)."""
        return not self.errors and not self.pending and all(t.complete for t in self.threads)

    def result(self) -> AssembledThread:
        try:
            comments = merge_threads(self.threads)
        except Exception as exc:  # broken data in one thread must not lose the article
            self.fail(f"parser error: {type(exc).__name__}")
            comments = []
        reported = next((t.reported_count for t in self.threads if t.reported_count is not None), None)
        return AssembledThread(comments=comments, reported_count=reported, complete=self.complete,
                               errors=list(dict.fromkeys(self.errors)), partial_sources=self.partial_sources)
