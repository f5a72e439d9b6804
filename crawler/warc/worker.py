"""The worker side of `newsdesk import-warc` (crawler/warc/importer.py): one archived record → an item.

Each worker process holds, per site, a news spider built on a crawler that never runs (its
settings and stats only): an archived page is handed to the spider's own callback as a Scrapy
response, every request it yields for the comment thread is answered with the response archived
for that URL in the same file, and the item then goes through the pipelines named by
``NEWSDESK_IMPORT_PIPELINES`` (validate, clean, dedup), loaded from the settings as Scrapy loads
ITEM_PIPELINES.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from scrapy.utils.misc import load_object

from .reader import ArchiveError, RecordReader

logger = logging.getLogger(__name__)


def import_settings(db_url: str | None, overrides: dict | None = None):
    from ..runner import crawl_settings

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
        from ..sites import adhoc_site

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
        from ..spiders.news import NewsSpider

        # No link is followed (the archive decides what exists), so none is extracted either.
        spider = NewsSpider.from_crawler(crawler, config=replace(cfg, follow_links=False))
        self.parts[cfg.name] = (spider, pipelines, crawler.stats)
        while len(self.parts) > 512:  # hosts of a CC-NEWS file: keep the recent ones
            self.parts.popitem(last=False)
        return self.parts[cfg.name]

    def _crawler(self):
        from scrapy.crawler import Crawler
        from scrapy.statscollectors import MemoryStatsCollector

        from ..spiders.news import NewsSpider

        crawler = Crawler(NewsSpider, import_settings(None, self.overrides))
        crawler.stats = MemoryStatsCollector(crawler)
        pipelines = [load_object(path).from_crawler(crawler)
                     for path in crawler.settings.getlist("NEWSDESK_IMPORT_PIPELINES")]
        return crawler, pipelines

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

        from ..items import ArticleItem

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


