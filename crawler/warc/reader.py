"""Reading archived HTTP responses out of WARC files (warcio), for `newsdesk reextract` and
`newsdesk import-warc`: one record at a known (file, offset), or every response of a file.

A response's body comes back as the page was served to its reader: chunked transfer and
Content-Encoding undone (warcio's ``content_stream``), and the headers describing the wire
form (Content-Encoding, Transfer-Encoding, Content-Length) replaced by the body's length, so
Scrapy does not try to decode it twice.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class ArchiveError(Exception):
    """A record that cannot be read where it should be (missing file, bad offset, not a response)."""


@dataclass
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: datetime  # WARC-Date: when it was fetched (UTC)
    warc_file: str
    warc_offset: int

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")


def _date(text: str | None) -> datetime:
    # Not warcio.timeutils.iso_date_to_datetime: warcio 1.7 fails on the microseconds WARC/1.1 allows.
    if not text:
        return datetime.now(timezone.utc)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return datetime.now(timezone.utc)
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def to_response(record, path: str, offset: int, *, max_bytes: int | None = None) -> ArchivedResponse:
    """An ArchivedResponse from a warcio response record (its content is read here)."""
    stream = record.content_stream()
    body = stream.read(max_bytes + 1) if max_bytes else stream.read()
    headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in _WIRE_HEADERS]
    headers.append(("Content-Length", str(len(body))))
    try:
        status = int(record.http_headers.get_statuscode() or 0)
    except ValueError:
        status = 0
    return ArchivedResponse(url=record.rec_headers.get_header("WARC-Target-URI") or "", status=status,
                            headers=headers, body=body, date=_date(record.rec_headers.get_header("WARC-Date")),
                            warc_file=path, warc_offset=offset)


class RecordReader:
    """Reads single records by (file, offset), keeping a few files open."""

    def __init__(self, keep_open: int = 8):
        self.keep_open = keep_open
        self.files: OrderedDict[str, object] = OrderedDict()

    def _file(self, path: str):
        fh = self.files.pop(path, None)
        if fh is None:
            try:
                fh = open(path, "rb")
            except OSError as exc:
                raise ArchiveError(f"{path}: {exc.strerror or exc}") from None
        self.files[path] = fh
        while len(self.files) > self.keep_open:
            self.files.popitem(last=False)[1].close()
        return fh

    def read(self, path: str, offset: int) -> ArchivedResponse:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        fh = self._file(path)
        fh.seek(offset)
        try:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response" or record.http_headers is None:
                    raise ArchiveError(f"{path}@{offset}: a {record.rec_type} record, not a response")
                return to_response(record, path, offset)
        except ArchiveLoadFailed as exc:
            raise ArchiveError(f"{path}@{offset}: {exc}") from None
        raise ArchiveError(f"{path}@{offset}: no record there")

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        self.files.clear()


@dataclass
class RecordHead:
    """A response record seen while scanning a file, before its body is read."""

    offset: int
    url: str
    status: int
    content_type: str


def scan_responses(path: str, start: int = 0) -> Iterator[RecordHead]:
    """Every HTTP response record of a WARC file from ``start`` on: offset, URL, status, type.

    The bodies are skipped (warcio still inflates each gzip member to find the next one)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        fh.seek(start)
        iterator = ArchiveIterator(fh)
        for record in iterator:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            try:
                status = int(record.http_headers.get_statuscode() or 0)
            except ValueError:
                status = 0
            yield RecordHead(offset=iterator.get_record_offset(),  # from the start of the file
                             url=record.rec_headers.get_header("WARC-Target-URI") or "", status=status,
                             content_type=record.http_headers.get_header("Content-Type") or "")
