"""WARC import: every HTML response of a WARC file → extraction → validate → clean → dedup → store.

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
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .contracts import CRAWL_RUN_ID
from .warcreader import ArchiveError, RecordReader, scan_responses

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?(?:$|[?#])|[?&](?:cpage|comment_page|comments_page|commentpage)=\d+"
                           r"|[?&]replytocom=")


def import_settings(db_url: str | None, overrides: dict | None = None):
    from .runner import crawl_settings

    settings = crawl_settings(db_url, overrides, origin="import-warc")
    return settings


# --- sites ---------------------------------------------------------------------------------

class SiteMap:
    """The site of an archived page, from its host: a configured site whose start URLs (or feeds,
    sitemaps) are on that host and port, else the one configured site whose allowed domains hold
    the host, else an ad-hoc site named after the host (``www.`` dropped)."""

    def __init__(self, sites: dict, forced: str | None = None):
        self.sites = sites
        self.forced = forced
        self.by_netloc: dict[str, str] = {}
        self.by_domain: dict[str, set[str]] = {}
        for name, cfg in sites.items():
            for url in cfg.start_urls + cfg.feeds + cfg.sitemaps:
                self.by_netloc.setdefault(urlsplit(url).netloc.lower(), name)
            for domain in cfg.allowed_domains:
                self.by_domain.setdefault(domain.lower(), set()).add(name)
        self.cache: dict[str, object] = {}

    def config_for(self, url: str):
        from .sites import adhoc_site

        netloc = urlsplit(url).netloc.lower()
        if netloc in self.cache:
            return self.cache[netloc]
        if self.forced:
            cfg = self.sites.get(self.forced) or replace(adhoc_site(url), name=self.forced)
        elif name := self.by_netloc.get(netloc):
            cfg = self.sites[name]
        else:
            host = (urlsplit(url).hostname or "").lower()
            owners = set()
            for domain, names in self.by_domain.items():
                if host == domain or host.endswith("." + domain):
                    owners |= names
            if len(owners) == 1:
                cfg = self.sites[owners.pop()]
            else:
                adhoc = adhoc_site(url)
                cfg = replace(adhoc, name=host.removeprefix("www."), start_urls=())
        self.cache[netloc] = cfg
        return cfg


# --- worker side ---------------------------------------------------------------------------

@dataclass
class RecordResult:
    offset: int
    item: object | None = None  # an ArticleItem ready to store
    reason: str | None = None  # why nothing is stored from this record
    stats: dict = field(default_factory=dict)


class RecordExtractor:
    """One per worker process: turns one archived record into an item, as the crawl would."""

    def __init__(self, path: str, index: dict[str, int], sites: dict, forced_site: str | None, overrides: dict):
        self.path = path
        self.index = index
        self.sitemap = SiteMap(sites, forced_site)
        self.overrides = overrides
        self.reader = RecordReader()
        self.parts: OrderedDict[str, tuple] = OrderedDict()  # site name -> (spider, pipelines, stats)
        self.crawlers: dict[str | None, tuple] = {}  # configured site name (None: ad hoc) -> (crawler, pipelines)

    def parts_for(self, cfg):
        """The spider for a page's site, with the validate/clean/dedup pipelines of its crawler.
        A configured site gets a crawler of its own (its [sites.NAME.settings]); every ad-hoc
        site (one per host in a CC-NEWS file) shares one, since building a crawler copies all
        settings."""
        if cfg.name in self.parts:
            self.parts.move_to_end(cfg.name)
            return self.parts[cfg.name]
        configured = cfg.name in self.sitemap.sites
        key = cfg.name if configured else None
        if key not in self.crawlers:
            self.crawlers[key] = self._crawler()
        crawler, pipelines = self.crawlers[key]
        from .spiders.news import NewsSpider

        # No link is followed (the archive decides what exists), so none is extracted either.
        spider = NewsSpider.from_crawler(crawler, config=replace(cfg, follow_links=False))
        self.parts[cfg.name] = (spider, pipelines, crawler.stats)
        while len(self.parts) > 512:  # hosts of a CC-NEWS file: keep the recent ones
            self.parts.popitem(last=False)
        return self.parts[cfg.name]

    def _crawler(self):
        from scrapy.crawler import Crawler
        from scrapy.statscollectors import MemoryStatsCollector

        from pipelines.clean import CleanPipeline
        from pipelines.dedup import DedupPipeline
        from pipelines.validate import ValidatePipeline

        from .spiders.news import NewsSpider

        crawler = Crawler(NewsSpider, import_settings(None, self.overrides))
        crawler.stats = MemoryStatsCollector(crawler)
        return crawler, [cls.from_crawler(crawler) for cls in (ValidatePipeline, CleanPipeline, DedupPipeline)]

    def response(self, archived, kind: str, request=None):
        from scrapy.http import Headers, Request
        from scrapy.responsetypes import responsetypes

        headers = Headers(archived.headers)
        request = request or Request(archived.url, meta={"kind": kind})
        request.meta.update(archived_at=archived.date, warc_file=archived.warc_file,
                            warc_offset=archived.warc_offset)
        cls = responsetypes.from_args(headers=headers, url=archived.url, body=archived.body)
        return cls(url=request.url, status=archived.status, headers=headers, body=archived.body,
                   request=request, flags=["archived"])

    def __call__(self, offset: int) -> RecordResult:
        try:
            archived = self.reader.read(self.path, offset)
        except ArchiveError:
            return RecordResult(offset, reason="unreadable_record", stats={"newsdesk/errors/unreadable_record": 1})
        cfg = self.sitemap.config_for(archived.url)
        spider, pipelines, stats = self.parts_for(cfg)
        spider.crawler.spider = spider  # a shared crawler: this page's spider
        stats.clear_stats()
        try:
            item = self.extract(spider, archived)
            if item is not None:
                for pipeline in pipelines:
                    if hasattr(pipeline, "seen_urls"):
                        # Not "already stored in this crawl": records are spread over workers, and
                        # the database (the store's upsert by canonical URL) is the authority.
                        pipeline.seen_urls.clear()
                    item = pipeline.process_item(item)
        except Exception as exc:  # DropItem, or a page nobody foresaw: counted, the import goes on
            from scrapy.exceptions import DropItem

            if not isinstance(exc, DropItem):
                stats.inc_value("newsdesk/errors/extraction")
                logger.warning("extraction failed on %s: %r", archived.url, exc)
            return RecordResult(offset, reason=str(exc), stats=_ints(stats.get_stats()))
        if item is None:
            return RecordResult(offset, reason="not an article", stats=_ints(stats.get_stats()))
        return RecordResult(offset, item=item, stats=_ints(stats.get_stats()))

    def extract(self, spider, archived):
        """Drive the spider's callbacks over the archived page and its archived comment responses."""
        from scrapy.exceptions import IgnoreRequest
        from scrapy.http import Request
        from twisted.python.failure import Failure

        from .items import ArticleItem

        if not spider.allowed(archived.url):
            spider.crawler.stats.inc_value("newsdesk/skipped/denied_url")
            return None
        verdict = spider.is_article_url(archived.url)
        if verdict is False:
            spider.crawler.stats.inc_value("newsdesk/listings")
            return None
        callback = spider.parse_article if verdict else spider.parse_page
        stack = [iter(callback(self.response(archived, "article")) or ())]
        while stack:
            out = next(stack[-1], None)
            if out is None:
                stack.pop()
                continue
            if isinstance(out, ArticleItem):
                return out
            if not isinstance(out, Request) or out.meta.get("kind") != "comments":
                continue  # links to follow: the archive decides what exists
            where = self.index.get(out.url)
            answer = None
            if where is not None:
                try:
                    answer = self.reader.read(self.path, where)
                except ArchiveError:
                    answer = None
            if answer is None:
                failure = Failure(IgnoreRequest(f"not in the archive: {out.url}"))
                failure.request = out
                stack.append(iter(out.errback(failure) or ()))
            else:
                stack.append(iter(out.callback(self.response(answer, "comments", out), **out.cb_kwargs) or ()))
        return None


def _ints(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if isinstance(v, int) and not isinstance(v, bool)}


_EXTRACTOR: RecordExtractor | None = None


def _init_worker(path, index, sites, forced_site, overrides):
    global _EXTRACTOR
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    _EXTRACTOR = RecordExtractor(path, index, sites, forced_site, overrides)


def _work(offset: int) -> RecordResult:
    return _EXTRACTOR(offset)


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
                 overrides: dict | None = None, progress=None, batch_seconds: float = 2.0):
        from scrapy.crawler import Crawler
        from scrapy.statscollectors import MemoryStatsCollector

        from models.db import ensure_schema, session_factory
        from pipelines.store import StorePipeline

        from .spiders.news import NewsSpider

        self.db_url = db_url
        self.sites = sites
        self.forced_site = forced_site
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.overrides = dict(overrides or {})
        self.progress = progress
        self.batch_seconds = batch_seconds
        crawler = Crawler(NewsSpider, import_settings(db_url, self.overrides))
        crawler.stats = MemoryStatsCollector(crawler)
        self.crawler = crawler
        self.stats = crawler.stats
        ensure_schema(db_url)
        self.sessions = session_factory(db_url)
        self.store = StorePipeline.from_crawler(crawler)
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

        from .extensions.runs import run_counters, run_status

        stats = self.stats.get_stats()
        with self.sessions.begin() as session:
            runs.finish_run(session, self.run_id, status=run_status(reason, stats), finish_reason=reason,
                            counters=run_counters(stats), stats=stats)

    def site_id(self, session, item) -> int:
        from models import repository

        if item.site not in self.site_ids:
            parts = urlsplit(item.url)
            self.site_ids[item.site] = repository.ensure_site(session, item.site, f"{parts.scheme}://{parts.netloc}/")
        return self.site_ids[item.site]

    def import_file(self, path: str, position: tuple[int, int] = (1, 1)) -> FileOutcome:
        import multiprocessing
        from bisect import bisect_left

        from sqlalchemy.exc import SQLAlchemyError

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

        done_offset, last_flush = start, time.monotonic()

        def flush(next_offset: int, finished: bool = False) -> None:
            with self.sessions.begin() as session:
                archive.record_progress(session, path, next_offset, records=bisect_left(offsets, next_offset),
                                        finished=finished)

        if tasks and not self.warmed:
            # Once, here: every module and model extraction loads lazily (datasketch, the language
            # model, trafilatura's) is then inherited by the forked workers instead of loaded by each.
            RecordExtractor(path, index, self.sites, self.forced_site, self.overrides)(tasks[0])
            self.warmed = True
        context = multiprocessing.get_context("fork")
        pool = context.Pool(self.workers, initializer=_init_worker,
                            initargs=(path, index, self.sites, self.forced_site, self.overrides))
        try:
            for result in pool.imap(_work, tasks, chunksize=4):
                for key, value in result.stats.items():
                    self.stats.inc_value(key, value)
                next_offset = result.offset + 1
                if result.item is not None:
                    item = result.item
                    try:
                        with self.sessions.begin() as session:
                            if archive.is_comment_record(session, path, result.offset):
                                self.stats.inc_value("newsdesk/skipped/comment_page")
                                stored = None
                            else:
                                stored = self.store.save(session, item, self.site_id(session, item))
                            archive.record_progress(session, path, next_offset,
                                                    records=bisect_left(offsets, next_offset),
                                                    articles=1 if stored else 0)
                    except SQLAlchemyError as exc:
                        self.stats.inc_value("newsdesk/errors/store")
                        logger.error("could not store %s: %s", item.canonical_url, exc)
                        stored = None
                    if stored is not None:
                        self.store.count(item, *stored)
                        outcome.articles += 1
                    last_flush = time.monotonic()
                elif time.monotonic() - last_flush >= self.batch_seconds:
                    flush(next_offset)
                    last_flush = time.monotonic()
                done_offset = next_offset
                outcome.records += 1
                if self.progress:
                    self.progress.advance(bisect_left(offsets, next_offset), articles=outcome.articles)
            pool.close()
            pool.join()
            flush(size, finished=True)
        except BaseException:
            pool.terminate()
            pool.join()
            if done_offset > start:
                flush(done_offset)  # what was done stays done
            raise
        if self.progress:
            self.progress.advance(len(heads), articles=outcome.articles, final=True)
        return outcome
