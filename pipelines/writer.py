"""The crawl's database writer: one thread per crawl that every database write of the item
pipelines runs on (StorePipeline, FetchStatePipeline), so that a slow disk, a busy SQLite file
(another writer holding it, an analyst's checkpoint-blocking read) or a PostgreSQL round trip
waits there, never on the reactor thread that downloads and schedules every other page.

One thread, not a pool: writes stay in the order items arrive (an article is stored before its
fetch state is recorded) and SQLite has one writer at a time anyway. Each article with its
thread is still one transaction, committed before its item goes on, so a crash loses nothing
committed. Counting (crawler.stats) happens back on the reactor thread, after the write.
"""
from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

_WRITERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def database_writer(crawler) -> ThreadPoolExecutor:
    writer = _WRITERS.get(crawler)
    if writer is None:
        writer = _WRITERS[crawler] = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-writer")
    return writer


async def in_writer(crawler, function, *args):
    """``function(*args)`` on the crawl's writer thread, awaited from the reactor's loop."""
    return await asyncio.get_running_loop().run_in_executor(database_writer(crawler), function, *args)
