"""WARC import: every HTML response of a WARC file → extraction → validate → clean → dedup → store.

The writer side; crawler/warc/worker.py is what each worker process runs.

The parts are the crawl's own. Each worker process holds, per site, a news spider built on a
crawler that never runs (its settings and stats only): an archived page is handed to the
spider's own callback (``parse_article``, or ``parse_page`` where the site's article
patterns do not decide) as a Scrapy response, and every request it yields for the article's
comment thread (comment pages, the comment feed, Disqus embed and API) is answered with the
response archived for that URL in the same file, if there is one (else the thread is marked
incomplete, as a failed fetch would). The item then goes through ValidatePipeline,
CleanPipeline and DedupPipeline (its MinHash signature) in the worker, where the CPU work is.
One writer (the main process) stores with StorePipeline, in order.

Resumable: the offset below which every record of a file is done is kept in ``warc_imports``
and moved in the same transaction as the article stored from a record (in batches for
records that store nothing), so a crash or Ctrl-C loses nothing and repeats nothing.

Parallel: a process pool per file (fork: the file's URL index is inherited, not copied
through pipes), ``imap`` in file order; workers read records themselves by offset.
"""
from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.utils.misc import load_object

from ..contracts import CRAWL_RUN_ID
from .reader import scan_responses
from .worker import RecordExtractor, _init_worker, _work, import_settings

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?(?:$|[?#])|[?&](?:cpage|comment_page|comments_page|commentpage)=\d+"
                           r"|[?&]replytocom=")


# --- the writer ----------------------------------------------------------------------------

def is_candidate(head) -> str | None:
    """None when a response record may be an article page; else the reason it is skipped."""
    if head.status != 200:
        return f"http_{head.status}" if head.status else "no_status"
    ctype = head.content_type.split(";")[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES:
        return "not_html"
    if _COMMENT_PAGE.search(head.url):
        return "comment_page"  # read with its article's thread, never as an article
    return None


class NotAWarc(Exception):
    """A file given as WARC that warcio cannot read."""


@dataclass
class FileOutcome:
    path: str
    records: int = 0
    articles: int = 0
    skipped_before: int = 0
    already_done: bool = False


class WarcImporter:
    def __init__(self, db_url: str, *, sites: dict, forced_site: str | None = None, workers: int | None = None,
                 overrides: dict | None = None, progress=None):
        from scrapy.crawler import Crawler
        from scrapy.statscollectors import MemoryStatsCollector

        from models.db import ensure_schema, session_factory

        from ..spiders.news import NewsSpider

        self.db_url = db_url
        self.sites = sites
        self.forced_site = forced_site
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.overrides = dict(overrides or {})
        self.progress = progress
        crawler = Crawler(NewsSpider, import_settings(db_url, self.overrides))
        crawler.stats = MemoryStatsCollector(crawler)
        self.crawler = crawler
        self.chunk = crawler.settings.getint("NEWSDESK_IMPORT_CHUNK")
        self.stats = crawler.stats
        ensure_schema(db_url)
        self.sessions = session_factory(db_url)
        # The store named in the settings (pipelines are reached through settings only); the
        # writer calls its save() in a transaction of its own, with the import's progress.
        self.store = load_object(crawler.settings.get("NEWSDESK_IMPORT_STORE")).from_crawler(crawler)
        self.site_ids: dict[str, int] = {}
        self.warmed = False

    def open(self) -> None:
        """Open the store and the import's crawl_runs row (origin import-warc), as a crawl's
        CrawlRunExtension does."""
        from models import runs

        self.store.open_spider()
        with self.sessions.begin() as session:
            self.run_id = runs.start_run(session, None, origin="import-warc")
        self.stats.set_value(CRAWL_RUN_ID, self.run_id)

    def close(self, reason: str) -> None:
        """Close the run row with its counters, read from the import's stats as a crawl's are."""
        from models import runs

        from ..extensions.runs import run_counters, run_status

        stats = self.stats.get_stats()
        with self.sessions.begin() as session:
            runs.finish_run(session, self.run_id, status=run_status(reason, stats), finish_reason=reason,
                            counters=run_counters(stats), stats=stats)

    def forget_sites(self) -> None:
        """After a rollback: a site made in it is gone with it."""
        self.site_ids.clear()

    def site_id(self, session, item) -> int:
        from models import repository

        if item.site not in self.site_ids:
            parts = urlsplit(item.url)
            self.site_ids[item.site] = repository.ensure_site(session, item.site, f"{parts.scheme}://{parts.netloc}/")
        return self.site_ids[item.site]

    def import_file(self, path: str, position: tuple[int, int] = (1, 1)) -> FileOutcome:
        import multiprocessing
        from bisect import bisect_left

        from models import archive

        path = os.path.abspath(path)
        size = os.path.getsize(path)
        with self.sessions.begin() as session:
            state = archive.import_state(session, path, size)
            start, finished = state.next_offset, state.finished_at is not None and state.size == size
            if state.size != size:  # grown since (a WARC still being written): go on from where it was
                state.size, state.finished_at = size, None
        outcome = FileOutcome(path)
        if finished:
            outcome.already_done = True
            return outcome
        if self.progress:
            self.progress.indexing(path, position)
        try:
            heads = list(scan_responses(path))
        except Exception as exc:  # warcio's ArchiveLoadFailed, or a truncated gzip stream
            raise NotAWarc(f"{path}: not a readable WARC file ({type(exc).__name__}: {exc})") from None
        offsets = [h.offset for h in heads]
        index: dict[str, int] = {}  # URL -> offset, for comment threads: the first 200 answer, else the first
        answered = set()
        for head in heads:
            if head.url not in index or (head.status == 200 and head.url not in answered):
                index[head.url] = head.offset
                if head.status == 200:
                    answered.add(head.url)
        tasks = []
        for head in heads:
            if head.offset < start:
                continue
            if reason := is_candidate(head):
                self.stats.inc_value(f"newsdesk/skipped/{reason}")
            else:
                tasks.append(head.offset)
        outcome.skipped_before = bisect_left(offsets, start)
        if self.progress:
            self.progress.start_file(path, position, total=len(heads), done=outcome.skipped_before)
        self.stats.inc_value("response_received_count", len(tasks))

        batch = _Batch(self, path, offsets)
        if tasks and not self.warmed:
            # Once, here: every module and model extraction loads lazily (the language
            # model, trafilatura's) is then inherited by the forked workers instead of loaded by each.
            RecordExtractor(path, index, self.sites, self.forced_site, self.overrides)(tasks[0])
            self.warmed = True
        context = multiprocessing.get_context("fork")
        pool = context.Pool(self.workers, initializer=_init_worker,
                            initargs=(path, index, self.sites, self.forced_site, self.overrides))
        try:
            for result in pool.imap(_work, tasks, chunksize=self.chunk):
                for key, value in result.stats.items():
                    self.stats.inc_value(key, value)
                batch.add(result)
                outcome.records += 1
                if batch.full():
                    outcome.articles += batch.commit()
                if self.progress:
                    self.progress.advance(bisect_left(offsets, result.offset + 1), articles=outcome.articles)
            pool.close()
            pool.join()
            outcome.articles += batch.commit(size, finished=True)
        except BaseException:
            pool.terminate()
            pool.join()
            try:
                outcome.articles += batch.commit()  # what was done stays done
            except Exception:  # the database itself is gone: the error that stopped us says more
                logger.exception("could not record the last batch of %s", path)
            raise
        if self.progress:
            self.progress.advance(len(heads), articles=outcome.articles, final=True)
        return outcome


class _Batch:
    """The writer's open batch: the results of consecutive records, stored in one transaction
    that also moves the file's progress past them. After a crash the database holds a whole
    batch with its progress or neither, so a resumed import repeats nothing and loses nothing;
    one commit per batch instead of one per article is what keeps the single writer's share of
    the cores small. A batch closes after NEWSDESK_IMPORT_BATCH_ARTICLES articles or
    NEWSDESK_IMPORT_BATCH_SECONDS seconds."""

    def __init__(self, importer: WarcImporter, path: str, offsets: list[int]):
        self.importer, self.path, self.offsets = importer, path, offsets
        settings = importer.crawler.settings
        self.max_articles = settings.getint("NEWSDESK_IMPORT_BATCH_ARTICLES")
        self.max_seconds = settings.getfloat("NEWSDESK_IMPORT_BATCH_SECONDS")
        self.results: list = []
        self.articles = 0  # results with an item, in the open batch
        self.opened = time.monotonic()

    def add(self, result) -> None:
        if not self.results:
            self.opened = time.monotonic()
        self.results.append(result)
        self.articles += result.item is not None

    def full(self) -> bool:
        return self.articles >= self.max_articles or time.monotonic() - self.opened >= self.max_seconds

    def commit(self, end: int | None = None, finished: bool = False) -> int:
        """Store the batch and move the progress to ``end`` (else past its last record); the
        number of articles stored. A batch that fails is stored again one article per
        transaction, so one bad article costs only itself."""
        from sqlalchemy.exc import SQLAlchemyError

        if not self.results and end is None:
            return 0
        results, self.results, self.articles = self.results, [], 0
        end = end if end is not None else results[-1].offset + 1
        try:
            with self.importer.sessions.begin() as session:
                saved = [(r.item, self._save(session, r)) for r in results if r.item is not None]
                self._progress(session, end, sum(s is not None for _, s in saved), finished)
        except SQLAlchemyError:
            self.importer.forget_sites()
            return self._one_by_one(results, end, finished)
        return self._count(saved)

    def _save(self, session, result):
        from models import archive

        importer = self.importer
        if archive.is_comment_record(session, self.path, result.offset):
            return None  # a page of a stored thread, read with it (counted once committed)
        return importer.store.save(session, result.item, importer.site_id(session, result.item))

    def _progress(self, session, end: int, articles: int, finished: bool) -> None:
        from bisect import bisect_left

        from models import archive

        archive.record_progress(session, self.path, end, records=bisect_left(self.offsets, end),
                                articles=articles, finished=finished)

    def _count(self, saved: list) -> int:
        stored = 0
        for item, outcome in saved:
            if outcome is None:
                self.importer.stats.inc_value("newsdesk/skipped/comment_page")
            else:
                self.importer.store.count(item, *outcome)
                stored += 1
        return stored

    def _one_by_one(self, results: list, end: int, finished: bool) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        stored = 0
        for result in results:
            if result.item is None:
                continue
            try:
                with self.importer.sessions.begin() as session:
                    outcome = self._save(session, result)
                    self._progress(session, result.offset + 1, int(outcome is not None), False)
            except SQLAlchemyError as exc:
                self.importer.forget_sites()
                self.importer.stats.inc_value("newsdesk/errors/store")
                logger.error("could not store %s: %s", result.item.canonical_url, exc)
                continue
            stored += self._count([(result.item, outcome)])
        with self.importer.sessions.begin() as session:
            self._progress(session, end, 0, finished)
        return stored
