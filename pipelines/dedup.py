"""DedupPipeline: one item per canonical URL within a crawl, and the body's MinHash signature.

Across crawls and processes the database is the authority: StorePipeline upserts by
canonical URL, folds the same content under another URL into the first article
(``article_urls``, level 2), and, in the same transaction as the article's row, asks the
near-duplicate index (level 3, ``models.neardup``) whether a stored article is a copy of
it and indexes the new one. The signature is computed here, where the CPU work belongs,
and travels on the item (``body_signature``) like ``content_hash`` does.
"""
from __future__ import annotations

from dataclasses import replace

from datasketch import MinHash
from scrapy.exceptions import DropItem

from crawler.contracts import DUPLICATES
from crawler.items import ArticleItem
from models.shingles import Signature, shingles


class MinHashSigner:
    """MinHash (datasketch, 32-bit affine permutations, fixed seed) of a body's shingles.

    The seed and the number of permutations must be the same in every process that writes
    to one database: signatures made with others never match the stored ones.
    """

    def __init__(self, permutations: int, shingle_size: int, seed: int = 1):
        self.permutations = permutations
        self.shingle_size = shingle_size
        self.seed = seed
        self._template = MinHash(num_perm=permutations, seed=seed, scheme="affine32")

    @classmethod
    def from_settings(cls, settings) -> "MinHashSigner":
        return cls(int(settings.get("NEWSDESK_NEARDUP_PERMUTATIONS")), int(settings.get("NEWSDESK_NEARDUP_SHINGLE_SIZE")))

    def sign(self, body: str | None) -> Signature:
        found = shingles(body, self.shingle_size)
        minhash = MinHash(num_perm=self.permutations, seed=self.seed, scheme="affine32",
                          permutations=self._template.permutations)
        if found:
            minhash.update_batch([s.encode("utf-8") for s in found])
        return Signature(tuple(int(v) for v in minhash.hashvalues), len(found))


class DedupPipeline:
    def __init__(self, stats, signer: MinHashSigner | None = None):
        self.stats = stats
        self.signer = signer
        self.seen_urls: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        signer = MinHashSigner.from_settings(settings) if settings.getbool("NEWSDESK_NEARDUP_ENABLED") else None
        return cls(crawler.stats, signer)

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        if item.canonical_url in self.seen_urls:
            self.stats.inc_value(DUPLICATES + "url")
            raise DropItem(f"already stored in this crawl: {item.canonical_url}")
        self.seen_urls.add(item.canonical_url)
        if self.signer is not None and item.body_signature is None:
            item = replace(item, body_signature=self.signer.sign(item.body_text).to_text())
        return item
