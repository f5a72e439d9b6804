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
module only needs its hash values, so it depends on SQLAlchemy alone.
"""
from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from array import array
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Protocol, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .tables import Article, ArticleLsh, ArticleSignature

# --- shingles and signatures ------------------------------------------------------------

# Chinese and Japanese are written without spaces: each character is a token there.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
# Sentence ends (and paragraph breaks). Shingles never cross them, so a copy whose
# sentences or paragraphs were reordered has the same shingles as the original.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+|[。！？]+|\n+")


def shingles(text: str | None, size: int = 4) -> set[str]:
    """Word ``size``-grams of each sentence of the normalised text (a shorter sentence of
    two words or more is one shingle). Case, accents' composition and punctuation do not
    count."""
    if not text:
        return set()
    text = unicodedata.normalize("NFKC", text).casefold()
    result: set[str] = set()
    for sentence in _SENTENCE_END.split(text):
        tokens = _TOKEN.findall(sentence)
        if len(tokens) >= size:
            result.update(" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1))
        elif len(tokens) >= 2:
            result.add(" ".join(tokens))
    return result


def resemblance(a: set[str], b: set[str]) -> float:
    """How much of the shorter text the longer one repeats, damped when their lengths
    differ a lot: ``|A∩B| / sqrt(|A|·|B|)`` (the cosine of the two shingle sets).

    Jaccard punishes a copy that was trimmed or padded (a syndicated version with two
    paragraphs cut has a Jaccard of 0.6 with its original); containment alone calls a
    short brief quoted inside a long feature a copy of it. The cosine sits between them.
    """
    if not a or not b:
        return 0.0
    common = len(a & b) if len(a) <= len(b) else len(b & a)
    return common / (len(a) * len(b)) ** 0.5


@dataclass(frozen=True)
class Signature:
    """A MinHash signature: ``hashvalues[i]`` is the minimum of permutation i over the shingles."""

    hashvalues: tuple[int, ...]
    shingle_count: int

    def to_bytes(self) -> bytes:
        values = array("I", self.hashvalues)
        if values.itemsize != 4:  # pragma: no cover - every platform newsdesk runs on has 32-bit "I"
            raise RuntimeError("array('I') is not 32-bit here")
        return values.tobytes() if array("I", [1]).tobytes()[0] == 1 else _swapped(values)

    @classmethod
    def from_bytes(cls, data: bytes, shingle_count: int = 0) -> "Signature":
        values = array("I")
        values.frombytes(data)
        if array("I", [1]).tobytes()[0] != 1:  # pragma: no cover - big-endian host
            values.byteswap()
        return cls(tuple(values), shingle_count)

    def buckets(self, bands: int) -> list[int]:
        """One signed 64-bit bucket hash per band (band number included in the hash)."""
        rows = len(self.hashvalues) // bands
        raw = self.to_bytes()
        out = []
        for band in range(bands):
            digest = hashlib.blake2b(raw[band * rows * 4:(band + 1) * rows * 4], digest_size=8,
                                     person=band.to_bytes(2, "little") + b"nd-lsh").digest()
            out.append(int.from_bytes(digest, "little", signed=True))
        return out

    def to_text(self) -> str:
        """``count:base64`` (how an item carries it from the dedup to the store pipeline)."""
        return f"{self.shingle_count}:{base64.b64encode(self.to_bytes()).decode('ascii')}"

    @classmethod
    def from_text(cls, text: str) -> "Signature":
        count, _, data = text.partition(":")
        return cls.from_bytes(base64.b64decode(data), int(count))

    def estimated_jaccard(self, other: "Signature") -> float:
        if len(self.hashvalues) != len(other.hashvalues) or not self.hashvalues:
            return 0.0
        same = sum(1 for x, y in zip(self.hashvalues, other.hashvalues) if x == y)
        return same / len(self.hashvalues)


def _swapped(values: array) -> bytes:  # pragma: no cover - big-endian host
    values = array("I", values)
    values.byteswap()
    return values.tobytes()


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


# --- reading groups (`newsdesk duplicates`) ---------------------------------------------


@dataclass
class GroupMember:
    article_id: int
    site: str
    title: str | None
    url: str
    published_at: datetime | None
    similarity: float | None  # None for the original
    aliases: list[str]  # other canonical URLs with exactly this content (article_urls)


@dataclass
class DuplicateGroup:
    original: GroupMember
    copies: list[GroupMember]


def duplicate_groups(session: Session, site: str | None = None, limit: int | None = None) -> list[DuplicateGroup]:
    """Originals with their near-duplicate copies (and each one's exact-content aliases),
    largest groups first. With ``site``, the groups that have a member on that site."""
    from .tables import ArticleUrl, Site

    copy = Article.__table__.alias("copy")
    originals = select(copy.c.duplicate_of_id.label("id"), func.count().label("copies")).where(
        copy.c.duplicate_of_id.is_not(None))
    if site:
        member_of_site = (select(func.coalesce(Article.duplicate_of_id, Article.id))
                          .join(Site, Site.id == Article.site_id).where(Site.name == site))
        originals = originals.where(copy.c.duplicate_of_id.in_(member_of_site))
    originals = originals.group_by(copy.c.duplicate_of_id).order_by(func.count().desc(), copy.c.duplicate_of_id)
    if limit:
        originals = originals.limit(limit)
    group_ids = [row.id for row in session.execute(originals)]
    if not group_ids:
        return []
    rows = session.execute(
        select(Article.id, Article.duplicate_of_id, Article.duplicate_similarity, Site.name, Article.title,
               Article.canonical_url, Article.published_at)
        .join(Site, Site.id == Article.site_id)
        .where(Article.id.in_(group_ids) | Article.duplicate_of_id.in_(group_ids))
        .order_by(Article.duplicate_similarity.desc(), Article.id)).all()
    ids = [r.id for r in rows]
    aliases: dict[int, list[str]] = {}
    for aid, url in session.execute(select(ArticleUrl.article_id, ArticleUrl.url)
                                    .where(ArticleUrl.article_id.in_(ids)).order_by(ArticleUrl.id)):
        aliases.setdefault(aid, []).append(url)
    members = {r.id: GroupMember(r.id, r.name, r.title, r.canonical_url, r.published_at,
                                 r.duplicate_similarity if r.duplicate_of_id else None,
                                 [u for u in aliases.get(r.id, []) if u != r.canonical_url])
               for r in rows}
    groups = []
    for gid in group_ids:
        copies = [members[r.id] for r in rows if r.duplicate_of_id == gid]
        groups.append(DuplicateGroup(members[gid], copies))
    return groups


def signatures_missing(session: Session, batch: int = 500) -> Iterable[Sequence[tuple[int, str | None]]]:
    """(id, body) of stored articles that have no signature yet, in batches (for re-indexing)."""
    last = 0
    while True:
        rows = session.execute(
            select(Article.id, Article.body_text).outerjoin(ArticleSignature,
                                                            ArticleSignature.article_id == Article.id)
            .where(ArticleSignature.article_id.is_(None), Article.id > last)
            .order_by(Article.id).limit(batch)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]
