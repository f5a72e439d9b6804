"""DedupPipeline: one item per canonical URL within a crawl, and the body's MinHash signature.

Across crawls and processes the database is the authority: StorePipeline upserts by
canonical URL, folds the same content under another URL into the first article
(``article_urls``, level 2), and, in the same transaction as the article's row, asks the
near-duplicate index (level 3, ``models.neardup``) whether a stored article is a copy of
it and indexes the new one. The signature is computed here, where the CPU work belongs,
and travels on the item (``body_signature``) like ``content_hash`` does.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
from scrapy.exceptions import DropItem

from crawler.contracts import DUPLICATES
from crawler.items import ArticleItem
from models.shingles import Signature, shingles


class MinHashSigner:
    """MinHash of a body's shingles, as datasketch's ``MinHash(num_perm, seed, scheme="affine32")``
    makes it (SHA-1's first 32 bits of each shingle, the MurmurHash3 finalizer, then
    ``a * h + b mod 2^32`` per permutation, ``a`` odd, drawn from ``RandomState(seed)``), in a few
    lines of numpy: importing datasketch loads SciPy and redis (~60 MB in the crawl's process) for
    one class. tests/test_dedup.py checks the values against datasketch's.

    The seed and the number of permutations must be the same in every process that writes
    to one database: signatures made with others never match the stored ones.
    """

    def __init__(self, permutations: int, shingle_size: int, seed: int = 1):
        self.permutations = permutations
        self.shingle_size = shingle_size
        self.seed = seed
        gen = np.random.RandomState(seed)
        self._a = gen.randint(0, 1 << 31, permutations, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        self._b = gen.randint(0, 1 << 32, permutations, dtype=np.uint32)

    @classmethod
    def from_settings(cls, settings) -> "MinHashSigner":
        return cls(int(settings.get("NEWSDESK_NEARDUP_PERMUTATIONS")), int(settings.get("NEWSDESK_NEARDUP_SHINGLE_SIZE")))

    def sign(self, body: str | None) -> Signature:
        found = shingles(body, self.shingle_size)
        values = np.full(self.permutations, _MAX_HASH, dtype=np.uint32)
        if found:
            hashed = np.array([int.from_bytes(hashlib.sha1(s.encode("utf-8")).digest()[:4], "little")
                               for s in found], dtype=np.uint32).reshape(-1, 1)
            values = np.minimum(values, (_fmix32(hashed) * self._a + self._b).min(axis=0))
        return Signature(tuple(int(v) for v in values), len(found))


_MAX_HASH = np.uint32(0xFFFFFFFF)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (uint32 arithmetic wraps: that is the modulo 2^32)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class DedupPipeline:
    def __init__(self, stats, signer: MinHashSigner | None = None):
        self.stats = stats
        self.signer = signer
        # 8-byte digests, not the URLs: a crawl of 100,000 articles keeps ~6 MB here, not ~30.
        self.seen_urls: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        signer = MinHashSigner.from_settings(settings) if settings.getbool("NEWSDESK_NEARDUP_ENABLED") else None
        return cls(crawler.stats, signer)

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        # Keyed by content too: another content under the same canonical URL (an old URL that
        # still serves an earlier version, with rel=canonical to the new one) is a version of
        # the article, for the store to keep in article_versions.
        key = hashlib.blake2b(f"{item.canonical_url}\n{item.content_hash}".encode("utf-8", "surrogatepass"),
                              digest_size=8).digest()
        if key in self.seen_urls:
            self.stats.inc_value(DUPLICATES + "url")
            raise DropItem(f"already stored in this crawl: {item.canonical_url}")
        self.seen_urls.add(key)
        if self.signer is not None and item.body_signature is None:
            item = replace(item, body_signature=self.signer.sign(item.body_text).to_text())
        return item
