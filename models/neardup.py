"""Near-duplicate index (deduplication level 3), kept in the database.

Each stored article has a MinHash signature of its body's shingles (``article_signatures``)
and one row per LSH band in ``article_lsh`` (the band's bucket hash, the article's id).
A lookup is one indexed ``bucket IN (...)`` query for the new article's bands: its cost
depends on how many stored articles share a bucket with it, not on how many are stored,
and nothing of the index lives in the crawler's memory, so it survives restarts and is
shared by every crawler process writing to the same database.

Candidates are then checked exactly: the shingles of each candidate's stored body are
recomputed and compared with the new article's (estimated similarity only decides which
candidates are worth that). A near duplicate points at the earliest copy of its group
(lowest ``published_at``, else ``first_seen_at``, then id); a copy that turns out to be
earlier than the group's original becomes the new original.

The signature itself (MinHash, permutations) is computed by the dedup pipeline; this
module only needs its hash values (models/shingles.py), so it depends on SQLAlchemy alone.
The groups `newsdesk duplicates` prints are read in models/duplicates.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .shingles import Signature, resemblance, shingles
from .tables import Article, ArticleLsh, ArticleSignature

# --- the index --------------------------------------------------------------------------


@dataclass(frozen=True)
class NearDuplicate:
    """What a lookup found: the group's earliest copy and the new article's resemblance to it."""

    original_id: int
    similarity: float
    # The new article is earlier than every stored copy: it becomes the original, and the
    # group (original_id and its copies) is re-pointed to it once it has an id.
    supersedes: bool = False


class NearDuplicateIndex(Protocol):
    """What the store pipeline needs from a near-duplicate index (database, Redis, ...)."""

    def find(self, session: Session, signature: Signature, body: str | None, *,
             published_at: datetime | None = None) -> NearDuplicate | None: ...

    def add(self, session: Session, article_id: int, signature: Signature) -> None: ...

    def replace(self, session: Session, article_id: int, signature: Signature) -> None: ...

    def link(self, session: Session, article_id: int, found: NearDuplicate) -> None: ...

    def remove(self, session: Session, article_id: int) -> None: ...


def _setting(settings: Mapping[str, Any] | Any, name: str, kind: type):
    """A setting from Scrapy settings or a plain mapping of them. The defaults are in
    crawler/settings.py, the one place for them; this module does not know Scrapy."""
    value = settings.get(name)
    if value is None or value == "":
        raise ValueError(f"{name} is not set (its default is in crawler/settings.py)")
    return kind(value)


class DatabaseNearDuplicateIndex:
    """MinHash LSH with the band buckets and signatures in ``article_lsh`` and ``article_signatures``."""

    def __init__(self, *, threshold: float, bands: int, shingle_size: int, min_shingles: int, max_candidates: int):
        self.threshold = threshold
        self.bands = bands
        self.shingle_size = shingle_size
        self.min_shingles = min_shingles
        self.max_candidates = max_candidates
        # A resemblance of T needs a Jaccard of at least T² (a short text wholly inside a
        # longer one); candidates estimated well below that (three standard errors of a
        # 128-value estimate) are not worth reading.
        self.estimate_floor = max(0.0, threshold * threshold - 0.15)

    @classmethod
    def from_settings(cls, settings) -> "DatabaseNearDuplicateIndex":
        return cls(threshold=_setting(settings, "NEWSDESK_NEARDUP_THRESHOLD", float),
                   bands=_setting(settings, "NEWSDESK_NEARDUP_BANDS", int),
                   shingle_size=_setting(settings, "NEWSDESK_NEARDUP_SHINGLE_SIZE", int),
                   min_shingles=_setting(settings, "NEWSDESK_NEARDUP_MIN_SHINGLES", int),
                   max_candidates=_setting(settings, "NEWSDESK_NEARDUP_MAX_CANDIDATES", int))

    # -- lookups --

    def candidates(self, session: Session, signature: Signature) -> list[tuple[int, Signature]]:
        """Stored articles sharing at least one band bucket, most shared buckets first."""
        shared = (select(ArticleLsh.article_id, func.count().label("shared"))
                  .where(ArticleLsh.bucket.in_(signature.buckets(self.bands)))
                  .group_by(ArticleLsh.article_id)
                  .order_by(func.count().desc(), ArticleLsh.article_id)
                  .limit(self.max_candidates).subquery())
        rows = session.execute(
            select(ArticleSignature.article_id, ArticleSignature.minhash, ArticleSignature.shingle_count)
            .join(shared, shared.c.article_id == ArticleSignature.article_id)
            .order_by(shared.c.shared.desc(), ArticleSignature.article_id))
        return [(aid, Signature.from_bytes(raw, count)) for aid, raw, count in rows]

    def find(self, session: Session, signature: Signature, body: str | None, *,
             published_at: datetime | None = None) -> NearDuplicate | None:
        if signature.shingle_count < self.min_shingles:
            return None  # too short to tell a copy from a shared sentence
        worth_reading = [aid for aid, other in self.candidates(session, signature)
                         if signature.estimated_jaccard(other) >= self.estimate_floor]
        if not worth_reading:
            return None
        mine = shingles(body, self.shingle_size)
        best: tuple[float, int, int | None] | None = None
        for aid, duplicate_of, text in session.execute(
                select(Article.id, Article.duplicate_of_id, Article.body_text)
                .where(Article.id.in_(worth_reading))):
            score = resemblance(mine, shingles(text, self.shingle_size))
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, aid, duplicate_of)
        if best is None:
            return None
        score, aid, duplicate_of = best
        original_id = duplicate_of or aid
        if original_id != aid:
            text = session.scalar(select(Article.body_text).where(Article.id == original_id))
            score = resemblance(mine, shingles(text, self.shingle_size))
        published, first_seen = session.execute(select(Article.published_at, Article.first_seen_at)
                                                .where(Article.id == original_id)).one()
        # Earliest = lowest publication time; an undated original counts from when it was
        # first seen (a copy published before that cannot be later than it).
        supersedes = published_at is not None and _utc(published_at) < _utc(published or first_seen)
        return NearDuplicate(original_id, round(score, 4), supersedes)

    # -- writes (in the caller's transaction, with the article's own row) --

    def add(self, session: Session, article_id: int, signature: Signature) -> None:
        session.execute(ArticleSignature.__table__.insert().values(
            article_id=article_id, minhash=signature.to_bytes(), shingle_count=signature.shingle_count))
        if signature.shingle_count >= self.min_shingles:
            session.execute(ArticleLsh.__table__.insert(),
                            [{"bucket": b, "article_id": article_id} for b in set(signature.buckets(self.bands))])

    def remove(self, session: Session, article_id: int) -> None:
        row = session.execute(select(ArticleSignature.minhash, ArticleSignature.shingle_count)
                              .where(ArticleSignature.article_id == article_id)).first()
        if row is None:
            return
        old = Signature.from_bytes(row[0], row[1])
        session.execute(delete(ArticleLsh).where(ArticleLsh.article_id == article_id,
                                                 ArticleLsh.bucket.in_(old.buckets(self.bands))))
        session.execute(delete(ArticleSignature).where(ArticleSignature.article_id == article_id))

    def replace(self, session: Session, article_id: int, signature: Signature) -> None:
        """The article's content changed (a revision): its buckets follow the new body."""
        self.remove(session, article_id)
        self.add(session, article_id, signature)

    def link(self, session: Session, article_id: int, found: NearDuplicate) -> None:
        """Record a lookup's answer on the new article's row (inserted since the lookup)."""
        if found.supersedes:
            self.supersede(session, article_id, found)
            return
        session.execute(update(Article).where(Article.id == article_id).values(
            duplicate_of_id=found.original_id, duplicate_similarity=found.similarity))

    def supersede(self, session: Session, new_id: int, found: NearDuplicate) -> None:
        """``new_id`` is earlier than the group of ``found.original_id``: it becomes the
        group's original, and every copy's similarity is measured against it."""
        old = found.original_id
        members = session.execute(select(Article.id, Article.body_text).where(
            (Article.id == old) | (Article.duplicate_of_id == old))).all()
        new_body = session.scalar(select(Article.body_text).where(Article.id == new_id))
        mine = shingles(new_body, self.shingle_size)
        for member_id, text in members:
            session.execute(update(Article).where(Article.id == member_id).values(
                duplicate_of_id=new_id,
                duplicate_similarity=round(resemblance(mine, shingles(text, self.shingle_size)), 4)))
        session.execute(update(Article).where(Article.id == new_id).values(
            duplicate_of_id=None, duplicate_similarity=None))


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; newsdesk stores UTC.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
