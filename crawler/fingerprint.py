"""Request fingerprints on the canonical URL, so URL variants are never fetched twice.

Scrapy's duplicate filter (and the HTTP cache) ask the fingerprinter whether two requests
are the same; answering with the canonical form (tracking parameters, AMP/print variants,
``www.`` and default ports removed) stops a variant before it is scheduled, while the
request itself still goes to the URL the site linked to.
"""
from __future__ import annotations

import hashlib

from scrapy.utils.python import to_bytes

from .urls import canonical_url


class CanonicalRequestFingerprinter:
    def __init__(self, extra_tracking: frozenset[str] = frozenset()):
        self.extra_tracking = extra_tracking

    @classmethod
    def from_crawler(cls, crawler):
        extra = frozenset(p.lower() for p in crawler.settings.getlist("NEWSDESK_TRACKING_PARAMS"))
        return cls(extra)

    def fingerprint(self, request) -> bytes:
        digest = hashlib.sha1()
        digest.update(to_bytes(request.method))
        digest.update(to_bytes(canonical_url(request.url, extra_tracking=self.extra_tracking)))
        digest.update(request.body or b"")
        return digest.digest()
