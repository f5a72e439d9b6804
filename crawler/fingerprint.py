"""Request fingerprints on the canonical URL, so URL variants are never fetched twice.

Scrapy's duplicate filter (and the HTTP cache) ask the fingerprinter whether two requests
are the same; answering with the canonical form (tracking parameters, AMP/print variants,
``www.`` and default ports removed) stops a variant before it is scheduled, while the
request itself still goes to the URL the site linked to.
"""
from __future__ import annotations

import hashlib
from weakref import WeakKeyDictionary

from scrapy.utils.python import to_bytes

from .urls import canonical_url, tracking_params


class CanonicalRequestFingerprinter:
    def __init__(self, extra_tracking: frozenset[str] = frozenset(), crawler=None):
        self.extra_tracking = extra_tracking
        self.crawler = crawler
        # The trap guard and the duplicate filter both ask about every request: canonicalised once.
        self._cache: WeakKeyDictionary = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(tracking_params(crawler.settings.getlist("NEWSDESK_TRACKING_PARAMS")), crawler)

    @property
    def trailing_slash(self) -> str:
        # A site that serves /story and /story/ as one page says so in sites.toml
        # (trailing_slash = "strip" or "add"); the spider carries its configuration.
        cfg = getattr(getattr(self.crawler, "spider", None), "site_config", None)
        return getattr(cfg, "trailing_slash", "keep") or "keep"

    def fingerprint(self, request) -> bytes:
        if (known := self._cache.get(request)) is not None:
            return known
        self._cache[request] = found = self._fingerprint(request)
        return found

    def _fingerprint(self, request) -> bytes:
        digest = hashlib.sha1()
        digest.update(to_bytes(request.method))
        digest.update(to_bytes(canonical_url(request.url, extra_tracking=self.extra_tracking,
                                             trailing_slash=self.trailing_slash)))
        digest.update(request.body or b"")
        return digest.digest()
