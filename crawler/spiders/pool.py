"""Pages read on every core: the spider's process hands each response's bytes to a pool of
worker processes (crawler/spiders/reading.py does the reading there) and awaits the answer,
so the crawl's own process spends its core on the network, the scheduler, the pipelines and
the database while the workers parse and extract.

Why a process pool and not N crawler processes sharing one queue: one process keeps one
scheduler, one duplicate filter, one near-duplicate lookup, one crawl lock, one crawl_runs row
and one progress line, exactly as with one worker, on SQLite as on PostgreSQL, and the only
thing that crosses a process boundary is a page's bytes out and plain data back. What needs
several machines is the distributed mode (README "Scaling out").

Workers are started with ``spawn`` (a clean interpreter; forking a process with a running
reactor and database connections is not safe), read nothing but bytes and configuration, and
load the extraction models (py3langid's) in their own memory only.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from .reading import Fetched, PageReader, Reading

_READER: PageReader | None = None
_READ = 0  # pages this worker has read
_TRIM = None  # glibc's malloc_trim, when there is one
TRIM_EVERY = 50  # pages between handing freed memory back to the system (glibc keeps it otherwise)


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere: lxml frees each page's tree, but glibc keeps the
    freed arenas, and a worker's resident memory would creep up page after page."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim
    except (OSError, AttributeError):
        return None


def _start_worker(config, options, allowed_domains) -> None:
    global _READER, _TRIM
    _READER = PageReader(config, options, allowed_domains)
    _TRIM = _malloc_trim()


def _read(mode: str, fetched: Fetched) -> Reading:
    global _READ
    reading = _READER.read(mode, fetched)
    _READ += 1
    if _TRIM is not None and _READ % TRIM_EVERY == 0:
        _TRIM(0)
    return reading


def _warm_up() -> int:
    """Imports and models are loaded before the first page, not while it waits."""
    from ..extract.metadata import _language_identifier

    _language_identifier()
    return os.getpid()


def worker_count(value) -> int:
    """NEWSDESK_WORKERS: a number of processes, 0 (or less) for the machine's cores."""
    count = int(value or 0)
    return count if count > 0 else (os.cpu_count() or 1)


@contextmanager
def _main_module_hidden():
    """``spawn`` imports the parent's __main__ in each worker (for `newsdesk crawl`, crawler.cli:
    every command, SQLAlchemy, the web app; ~30 MB and a second of start-up per worker). A worker
    needs none of it, so the workers are started while __main__ names no module or file."""
    main = sys.modules["__main__"]
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if k in main.__dict__}
    main.__spec__ = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class ReadingPool:
    def __init__(self, reader: PageReader, workers: int):
        self.workers = workers
        self._last: asyncio.Future | None = None  # set once the latest page handed in is handed back
        # The reader's parts, not the reader: its LinkExtractor does not pickle.
        self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker,
                                            initargs=(reader.config, reader.options, reader.allowed_domains))
        with _main_module_hidden():  # the executor starts a process per submit, up to ``workers``
            self.started = [self.executor.submit(_warm_up) for _ in range(workers)]

    async def read(self, mode: str, fetched: Fetched) -> Reading:
        """The reading of one page, handed back in the order the pages were handed in: what the
        pages yield (links, articles) reaches the scheduler and the pipelines in the order their
        responses arrived, as with one process, so the same crawl stores the same rows (which of
        two URLs of one article was stored last, which copy came first) whatever worker was quicker."""
        answer = asyncio.wrap_future(self.executor.submit(_read, mode, fetched))
        before, mine = self._last, asyncio.get_running_loop().create_future()
        self._last = mine
        try:
            reading = await answer
            if before is not None and not before.done():
                await before
            return reading
        finally:
            mine.set_result(None)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
