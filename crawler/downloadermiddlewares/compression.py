"""Compressed bodies that cannot be read whole: named before Scrapy inflates them.

Scrapy's HttpCompressionMiddleware inflates ``Content-Encoding: gzip/deflate`` bodies and
drops one that inflates past DOWNLOAD_MAXSIZE with an unnamed IgnoreRequest; a gzip stream
cut off mid-way it inflates as far as it goes, without a word, so a truncated page reaches
the spider as a short page ("no article body found"). ``CompressionGuardMiddleware`` sits
between the download and that middleware and names both outcomes, once per URL:
newsdesk/skipped/too_large (a gzip bomb) and newsdesk/errors/data_loss (a truncated or
corrupt stream), the reasons an uncompressed body of that kind gets (crawler/failures.py).

``inflate_gzip`` is the same check for a ``.xml.gz`` sitemap served as a file.
The checks are hand-written because neither Scrapy nor the gzip module tells a complete
stream from a cut-off one while bounding the output.
"""
from __future__ import annotations

import logging
import zlib

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger("newsdesk.compression")

CHUNK = 64 * 1024


class TooLarge(ValueError):
    """The body inflates past the size limit."""


class Truncated(ValueError):
    """The compressed stream ends before its end marker, or is not a valid stream."""


def _inflate(body: bytes, max_size: int, wbits: int) -> bytes:
    """Inflate a whole stream within ``max_size`` bytes (0: no limit), in bounded steps."""
    inflater = zlib.decompressobj(wbits)
    out, size, data = [], 0, body
    try:
        while data and not inflater.eof:
            chunk = inflater.decompress(data, CHUNK)
            size += len(chunk)
            if max_size and size > max_size:
                raise TooLarge(f"inflates past {max_size} bytes")
            out.append(chunk)
            data = inflater.unconsumed_tail
        if not inflater.eof:
            tail = inflater.flush()
            if max_size and size + len(tail) > max_size:
                raise TooLarge(f"inflates past {max_size} bytes")
            raise Truncated("compressed stream ends early")
    except zlib.error as exc:
        raise Truncated(f"corrupt compressed stream: {exc}") from None
    return b"".join(out)


def inflate_gzip(body: bytes, max_size: int = 0) -> bytes:
    """A gzip file's content; TooLarge past ``max_size``, Truncated when cut off or corrupt."""
    return _inflate(body, max_size, 16 + zlib.MAX_WBITS)


def check_encoded(body: bytes, encoding: str, max_size: int) -> None:
    if encoding in ("gzip", "x-gzip"):
        _inflate(body, max_size, 16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        try:
            _inflate(body, max_size, zlib.MAX_WBITS)
        except Truncated:  # raw deflate, as some servers send it
            _inflate(body, max_size, -zlib.MAX_WBITS)


class CompressionGuardMiddleware:
    def __init__(self, stats, max_size: int):
        self.stats, self.max_size = stats, max_size

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request, response):
        encodings = [e.decode("latin-1").strip().lower() for e in response.headers.getlist(b"Content-Encoding")]
        if request.method == "HEAD" or len(encodings) != 1 or encodings[0] not in ("gzip", "x-gzip", "deflate"):
            return response  # none, several, or one Scrapy alone reads (br, zstd): left to it
        max_size = request.meta.get("download_maxsize", self.max_size)
        try:
            check_encoded(response.body, encodings[0], max_size)
        except TooLarge:
            self._give_up("skipped/too_large", request, f"{encodings[0]} body inflates past DOWNLOAD_MAXSIZE "
                                                        f"({max_size} B)")
        except Truncated as exc:
            self._give_up("errors/data_loss", request, f"{encodings[0]} body: {exc}")
        return response

    def _give_up(self, reason: str, request, detail: str):
        if "kind" in request.meta:  # the spider's own requests (not Scrapy's robots.txt fetch)
            self.stats.inc_value(f"newsdesk/{reason}")
        logger.warning("skipped %s: %s", request.url, detail)
        raise IgnoreRequest(f"{reason}: {detail}")
