"""WarcArchive: every response the spider uses, kept as WARC records (warcio).

Switched on by ``NEWSDESK_ARCHIVE_DIR`` (a directory) or ``archive = true`` in a site's
sites.toml entry (then into ``NEWSDESK_ARCHIVE_DEFAULT_DIR``). For each response of a kind in
``NEWSDESK_ARCHIVE_KINDS`` (article and listing pages, comment pages, comment API responses)
it writes a ``response`` record (status line, headers, body) and its ``request`` record
(``WARC-Concurrent-To`` the response), each its own gzip member, into
``DIR/SITE-YYYYMMDDHHMMSS-PID-NNNNN.warc.gz``, a new file after ``NEWSDESK_ARCHIVE_MAX_BYTES``
(and on a new day). Standard tools read them: ``warcio index``, pywb, ``zcat``.

The body is the one the spider parsed: Scrapy has already undone any Content-Encoding, so the
archived headers say so (Content-Encoding and Transfer-Encoding dropped, Content-Length the
body's) and the record replays as it was used.

Writing happens on a thread of its own fed by a queue: the reactor thread only copies the
response's fields and hands them over. The spider notes each response's WARC-Record-ID on
its item (``ArticleItem.archive_records``); ``pipelines.archive.ArchiveRecordsPipeline``
waits for the writer to say where each record landed (file, offset) before the article is
stored. On spider_closed the queue is drained and every file flushed and closed; each
record is flushed as it is written, so a killed crawl leaves whole records behind.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

# Response headers that describe the bytes on the wire, not the (decoded) body archived.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
_LOCATED_KEEP = 100_000  # record locations kept for the pipeline (listing pages are never asked for)


@dataclass
class ArchiveJob:
    record_id: str
    site: str
    date: datetime
    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    ip: str | None = None


def _headers(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "site"


class WarcFiles:
    """The writer thread's side: open WARC files per (site, day), rotated by size."""

    def __init__(self, directory: Path, max_bytes: int, software: str):
        self.directory = directory
        self.max_bytes = max_bytes
        self.software = software
        self.open: dict[tuple[str, str], tuple] = {}  # (site, day) -> (path, file, writer)
        self.serial = 0
        self.files_written: list[str] = []

    def _new_file(self, site: str, day: str):
        from warcio.warcwriter import WARCWriter

        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        name = f"{_safe_name(site)}-{stamp}-{os.getpid()}-{self.serial:05d}.warc.gz"
        self.serial += 1
        path = (self.directory / name).resolve()
        fh = open(path, "wb")
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(name, {
            "software": self.software, "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": site}))
        fh.flush()
        self.files_written.append(str(path))
        return str(path), fh, writer

    def write(self, job: ArchiveJob) -> tuple[str, int]:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.timeutils import datetime_to_iso_date

        day = job.date.strftime("%Y%m%d")
        key = (job.site, day)
        if key not in self.open:
            for old in [k for k in self.open if k[0] == job.site]:  # a new day: a new file
                self.close_one(old)
            self.open[key] = self._new_file(job.site, day)
        path, fh, writer = self.open[key]
        # warcio formats a naive UTC time (an aware one comes out as "...+00:00Z")
        date = datetime_to_iso_date(job.date.astimezone(timezone.utc).replace(tzinfo=None), use_micros=True)
        headers = [(k, v) for k, v in job.response_headers if k.lower() not in _WIRE_HEADERS]
        headers.append(("Content-Length", str(len(job.body))))
        response = writer.create_warc_record(
            job.url, "response", payload=BytesIO(job.body), length=len(job.body),
            http_headers=StatusAndHeaders(f"{job.status} {_reason(job.status)}", headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Record-ID": job.record_id, "WARC-Date": date,
                               **({"WARC-IP-Address": job.ip} if job.ip else {})})
        parts = urlsplit(job.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = list(job.request_headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        request = writer.create_warc_record(
            job.url, "request", payload=BytesIO(job.request_body), length=len(job.request_body),
            http_headers=StatusAndHeaders(f"{job.method} {target} HTTP/1.1", request_headers,
                                          is_http_request=True))
        offset = fh.tell()
        writer.write_request_response_pair(request, response)
        fh.flush()
        if fh.tell() >= self.max_bytes:
            self.close_one(key)
        return path, offset

    def close_one(self, key) -> None:
        _, fh, _ = self.open.pop(key)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()

    def close(self) -> None:
        for key in list(self.open):
            self.close_one(key)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class WarcArchive:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.directory = settings.get("NEWSDESK_ARCHIVE_DIR") or ""
        self.kinds = set(settings.getlist("NEWSDESK_ARCHIVE_KINDS"))
        self.max_bytes = int(settings.getfloat("NEWSDESK_ARCHIVE_MAX_BYTES"))
        self.enabled = False
        self.site = "site"
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.files: WarcFiles | None = None
        self.lock = threading.Lock()
        self.located: OrderedDict[str, tuple[str, int] | None] = OrderedDict()
        self.waiting: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self.errors = 0

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSDESK_ARCHIVE_ENABLED", True):
            raise NotConfigured()  # quietly: reextract and import switch it off
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # --- reactor thread -----------------------------------------------------------------

    def spider_opened(self, spider):
        cfg = getattr(spider, "site_config", None)
        directory = self.directory
        if not directory and cfg is not None and getattr(cfg, "archive", False):
            directory = self.crawler.settings.get("NEWSDESK_ARCHIVE_DEFAULT_DIR") or "archive"
        if not directory:
            return
        path = Path(directory).expanduser()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            logger.error("archive directory %s cannot be made: %s; crawling without an archive", path, exc)
            self.stats.set_value("newsdesk/archive/error", f"{path}: {exc}")
            return
        self.site = cfg.name if cfg is not None else spider.name
        from crawler.extract.version import extractor_version

        self.files = WarcFiles(path, self.max_bytes, f"newsdesk {extractor_version()} (warcio)")
        self.thread = threading.Thread(target=self._run, name="newsdesk-warc-writer", daemon=True)
        self.thread.start()
        self.enabled = True
        self.stats.set_value("newsdesk/archive/dir", str(path.resolve()))
        logger.info("archiving responses as WARC in %s", path.resolve())

    def response_received(self, response, request, spider):
        if not self.enabled or request.meta.get("archived_at") is not None:  # a replayed response
            return
        if request.meta.get("kind") not in self.kinds:
            return
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        request.meta["warc_record_id"] = record_id
        ip = getattr(response, "ip_address", None)
        self.queue.put(ArchiveJob(
            record_id=record_id, site=self.site, date=datetime.now(timezone.utc), url=response.url,
            method=request.method, request_headers=_headers(request.headers), request_body=request.body or b"",
            status=response.status, response_headers=_headers(response.headers), body=response.body,
            ip=str(ip) if ip else None))
        self.stats.inc_value("newsdesk/archive/records")
        self.stats.inc_value("newsdesk/archive/bytes", len(response.body))

    async def locate(self, record_ids: list[str]) -> dict[str, tuple[str, int] | None]:
        """Where the writer put each record: (file, offset), or None if it could not be written."""
        loop = asyncio.get_running_loop()
        out, pending = {}, []
        with self.lock:
            for rid in record_ids:
                if rid in self.located:
                    out[rid] = self.located.pop(rid)
                elif self.enabled:
                    future = loop.create_future()
                    self.waiting.setdefault(rid, []).append((loop, future))
                    pending.append((rid, future))
                else:
                    out[rid] = None
        for rid, future in pending:
            out[rid] = await future
        return out

    async def spider_closed(self, spider):
        if not self.enabled:
            return
        self.queue.put(None)
        # Joined off the reactor thread: the writer may still have records to flush.
        await asyncio.get_running_loop().run_in_executor(None, self._finish)

    def _finish(self):
        self.thread.join()
        self.stats.set_value("newsdesk/archive/files", len(self.files.files_written))
        if self.errors:
            self.stats.set_value("newsdesk/archive/errors", self.errors)

    # --- writer thread ------------------------------------------------------------------

    def _run(self):
        try:
            while (job := self.queue.get()) is not None:
                try:
                    where = self.files.write(job)
                except Exception as exc:  # a full disk must not stop the crawl: count, log, go on
                    self.errors += 1
                    logger.error("could not archive %s: %s", job.url, exc)
                    where = None
                self._publish(job.record_id, where)
        finally:
            self.files.close()

    def _publish(self, record_id: str, where) -> None:
        with self.lock:
            waiters = self.waiting.pop(record_id, None)
            if waiters is None:
                self.located[record_id] = where
                while len(self.located) > _LOCATED_KEEP:
                    self.located.popitem(last=False)
        for loop, future in waiters or ():
            loop.call_soon_threadsafe(_resolve, future, where)


def _resolve(future: asyncio.Future, value) -> None:
    if not future.done():
        future.set_result(value)


def find_archive(crawler) -> WarcArchive | None:
    """The crawl's WarcArchive extension, if it is switched on."""
    for ext in getattr(crawler.extensions, "middlewares", ()):
        if isinstance(ext, WarcArchive):
            return ext
    return None
