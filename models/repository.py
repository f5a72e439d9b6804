"""Writes by natural key: one transaction per article with its comment thread.

Callers hand plain mappings (the pipelines pass ``dataclasses.asdict`` of their items),
so nothing here knows about Scrapy. Inserts are dialect upserts (``ON CONFLICT``) so that
two crawler processes writing the same article or comment at once cannot make two rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .archive import archive_pointer, changed_fields, extracted_fields, save_records, stored_fields
from .tables import (
    Article,
    ArticleAuthor,
    ArticleTag,
    ArticleUrl,
    ArticleVersion,
    Author,
    Comment,
    Site,
    Tag,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _get_or_create_ids(session: Session, model, names: Iterable[str]) -> dict[str, int]:
    # Sorted: two transactions inserting the same new names in other orders (bylines "A, B"
    # and "B, A") would each wait for the other's row, a deadlock PostgreSQL ends by failing one.
    names = sorted({n for n in names if n})
    if not names:
        return {}
    session.execute(_insert(session, model.__table__).on_conflict_do_nothing(index_elements=["name"]),
                    [{"name": n} for n in names])
    rows = session.execute(select(model.name, model.id).where(model.name.in_(names)))
    return dict(rows.all())


def ensure_site(session: Session, name: str, base_url: str | None = None) -> int:
    stmt = _insert(session, Site.__table__).values(name=name, base_url=base_url, created_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    site_id = session.scalar(select(Site.id).where(Site.name == name))
    if base_url:
        session.execute(update(Site).where(Site.id == site_id, Site.base_url.is_(None)).values(base_url=base_url))
    return site_id


@dataclass
class SaveResult:
    article_id: int
    outcome: str  # "new", "updated", "unchanged", "duplicate" (same content under another URL),
    # "stale" (an older copy of the page: kept as a version, the article left as it is)
    comments_new: int = 0
    comments_updated: int = 0  # edited text
    comments_deleted: int = 0
    duplicate_of_id: int | None = None
    notes: list[str] = field(default_factory=list)


ARTICLE_FIELDS = ("title", "subtitle", "published_at", "modified_at", "language", "section",
                  "image_url", "lead", "body_text", "word_count", "content_hash")
def save_article(session: Session, site_id: int, article: Mapping[str, Any], *,
                 near_duplicate: tuple[int, float] | None = None, now: datetime | None = None,
                 compare_fields: bool = False) -> SaveResult:
    """Upsert one article and its whole thread. The caller owns the transaction.

    A stored article is updated (and gets a version) when its text changed; with
    ``compare_fields`` (re-extraction) also when any other extracted field did."""
    now = now or utcnow()
    warc_file, warc_offset = archive_pointer(article)
    pointer = {"warc_file": warc_file, "warc_offset": warc_offset,
               "extractor_version": article.get("extractor_version")}
    canonical = article["canonical_url"]
    row = session.scalar(select(Article).where(Article.canonical_url == canonical))
    if row is None and _lock_new_articles(session):
        # Another writer may have stored it while this one waited.
        row = session.scalar(select(Article).where(Article.canonical_url == canonical))
    if row is None:
        # Level 1 missed; level 2: the same content already stored under another canonical URL?
        alias = session.scalar(select(ArticleUrl).where(ArticleUrl.url == canonical))
        if alias is not None:
            row = session.get(Article, alias.article_id)
        else:
            twin = session.scalar(select(Article).where(
                Article.content_hash == article["content_hash"], Article.duplicate_of_id.is_(None))
                .order_by(Article.id).limit(1))
            if twin is not None:
                session.execute(_insert(session, ArticleUrl.__table__).values(
                    article_id=twin.id, url=canonical, first_seen_at=now, last_seen_at=now
                ).on_conflict_do_update(index_elements=["url"], set_={"last_seen_at": now}))
                twin.last_seen_at = _later(twin.last_seen_at, now)
                save_records(session, twin.id, article, now)
                result = SaveResult(twin.id, "duplicate", duplicate_of_id=twin.id)
                _save_thread(session, twin, article, now, result)
                return result
    if row is None:
        values = {k: article.get(k) for k in ARTICLE_FIELDS}
        values.update(site_id=site_id, url=article["url"], canonical_url=canonical,
                      first_seen_at=now, last_seen_at=now, comment_count=0,
                      word_count=article.get("word_count") or 0, **pointer)
        if near_duplicate:
            values.update(duplicate_of_id=near_duplicate[0], duplicate_similarity=near_duplicate[1])
        stmt = _insert(session, Article.__table__).values(**values).on_conflict_do_nothing(
            index_elements=["canonical_url"]).returning(Article.__table__.c.id)
        # A returned id, not rowcount: with RETURNING, psycopg reports rowcount -1 even when
        # the conflict inserted nothing.
        inserted = session.execute(stmt).scalar_one_or_none() is not None
        row = session.scalar(select(Article).where(Article.canonical_url == canonical))
        if inserted:
            session.add(ArticleUrl(article_id=row.id, url=canonical, first_seen_at=now, last_seen_at=now))
            _add_version(session, row.id, article, now)
            _set_authors_and_tags(session, row.id, article)
            save_records(session, row.id, article, now)
            result = SaveResult(row.id, "new", duplicate_of_id=values.get("duplicate_of_id"))
            _save_thread(session, row, article, now, result)
            return result
    # Forward only: a re-extraction of an older archived fetch does not make it "seen" earlier.
    row.last_seen_at = _later(row.last_seen_at, now)
    session.execute(update(ArticleUrl).where(ArticleUrl.url == canonical, ArticleUrl.last_seen_at < now)
                    .values(last_seen_at=now))
    save_records(session, row.id, article, now)
    unchanged = row.content_hash == article["content_hash"]
    if unchanged and compare_fields:
        unchanged = not changed_fields(stored_fields(session, row.id), extracted_fields(article))
    if unchanged:
        result = SaveResult(row.id, "unchanged", duplicate_of_id=row.duplicate_of_id)
    elif _older_than_stored(article, row):
        # An old URL or a cache still serving an earlier version: history, not the news.
        _add_version(session, row.id, article, now)
        return SaveResult(row.id, "stale", duplicate_of_id=row.duplicate_of_id)
    else:
        for key in ARTICLE_FIELDS:
            setattr(row, key, article.get(key))
        for key, value in pointer.items():
            setattr(row, key, value)
        row.url = article["url"]
        _add_version(session, row.id, article, now)
        _set_authors_and_tags(session, row.id, article)
        result = SaveResult(row.id, "updated", duplicate_of_id=row.duplicate_of_id)
    _save_thread(session, row, article, now, result)
    return result


def _older_than_stored(article: Mapping[str, Any], row: Article) -> bool:
    """The page says it predates the stored content: its modification time (else its
    publication time) is before the stored article's modification time."""
    stored = row.modified_at
    incoming = article.get("modified_at") or article.get("published_at")
    if stored is None or incoming is None:
        return False
    if stored.tzinfo is None:  # SQLite returns naive UTC
        stored = stored.replace(tzinfo=timezone.utc)
    if incoming.tzinfo is None:
        incoming = incoming.replace(tzinfo=timezone.utc)
    return incoming < stored


NEW_ARTICLE_LOCK_KEY = 0x6E657772  # PostgreSQL advisory lock: one new article stored at a time


def _lock_new_articles(session: Session) -> bool:
    """Serialise storing new articles across processes (workers of a distributed crawl) until
    this transaction ends. Levels 2 and 3 look for an earlier copy before inserting; two
    writers storing two copies at once would each miss the other's uncommitted row and both
    become originals. Re-crawls of known articles never take the lock. SQLite needs none: it
    has one writer at a time already. True when it waited for the lock (so another writer may
    have stored the article meanwhile)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.execute(select(func.pg_advisory_xact_lock(NEW_ARTICLE_LOCK_KEY)))
    return True


def _later(stored: datetime | None, now: datetime) -> datetime:
    if stored is None:
        return now
    aware = stored if stored.tzinfo else stored.replace(tzinfo=timezone.utc)
    return now if now > aware else stored


def _add_version(session: Session, article_id: int, article: Mapping[str, Any], now: datetime) -> None:
    warc_file, warc_offset = archive_pointer(article)
    others = {k: v for k, v in extracted_fields(article).items() if k not in ("title", "body_text")}
    session.execute(_insert(session, ArticleVersion.__table__).values(
        article_id=article_id, title=article.get("title"), body_text=article.get("body_text"),
        modified_at=article.get("modified_at"), fetched_at=article.get("fetched_at") or now,
        content_hash=article["content_hash"], extractor_version=article.get("extractor_version"),
        fields_json=json.dumps(others, ensure_ascii=False, sort_keys=True),
        warc_file=warc_file, warc_offset=warc_offset,
    ).on_conflict_do_nothing(index_elements=["article_id", "content_hash", "extractor_version"]))


def _set_authors_and_tags(session: Session, article_id: int, article: Mapping[str, Any]) -> None:
    authors = list(dict.fromkeys(article.get("authors") or []))
    ids = _get_or_create_ids(session, Author, authors)
    session.execute(ArticleAuthor.__table__.delete().where(ArticleAuthor.article_id == article_id))
    if authors:
        session.execute(ArticleAuthor.__table__.insert(), [
            {"article_id": article_id, "author_id": ids[name], "position": pos}
            for pos, name in enumerate(authors)])
    tags = list(dict.fromkeys(article.get("tags") or []))
    ids = _get_or_create_ids(session, Tag, tags)
    session.execute(ArticleTag.__table__.delete().where(ArticleTag.article_id == article_id))
    if tags:
        session.execute(ArticleTag.__table__.insert(),
                        [{"article_id": article_id, "tag_id": ids[name]} for name in tags])


def _save_thread(session: Session, article_row: Article, article: Mapping[str, Any], now: datetime,
                 result: SaveResult) -> None:
    """Comments by (article, external id): new rows, seen-again touches, edits, deletions."""
    comments = article.get("comments") or []
    # An article inserted by this very transaction has no comments yet: nothing to ask.
    existing = {} if result.outcome == "new" else {
        ext: (cid, chash, deleted) for ext, cid, chash, deleted in session.execute(
            select(Comment.external_id, Comment.id, Comment.content_hash, Comment.deleted_at)
            .where(Comment.article_id == article_row.id))}
    new_rows = []
    for c in comments:
        ext = str(c["external_id"])
        if ext in existing:
            continue
        new_rows.append({
            "article_id": article_row.id, "external_id": ext, "depth": c.get("depth") or 0,
            "author": c.get("author"), "author_url": c.get("author_url"), "posted_at": c.get("posted_at"),
            "body_text": c.get("body_text") or "", "content_hash": c["content_hash"],
            "first_seen_at": now, "last_seen_at": now, "edited_at": c.get("edited_at"),
            "deleted_at": now if c.get("deleted") else None,
        })
    if new_rows:
        res = session.execute(_insert(session, Comment.__table__).on_conflict_do_nothing(
            index_elements=["article_id", "external_id"]), new_rows)
        result.comments_new = len(new_rows) if res.rowcount in (-1, None) else res.rowcount
        ids = dict(session.execute(select(Comment.external_id, Comment.id).where(
            Comment.article_id == article_row.id)).all())
        parents = [{"cid": ids[str(c["external_id"])], "pid": ids.get(str(c["parent_external_id"]))}
                   for c in comments
                   if c.get("parent_external_id") and str(c["external_id"]) not in existing]
        parents = [p for p in parents if p["pid"] is not None]
        if parents:
            # executemany of one UPDATE: parents are known only once every row has its id.
            session.connection().execute(
                Comment.__table__.update().where(Comment.__table__.c.id == bindparam("cid"))
                .values(parent_id=bindparam("pid")), parents)
    seen_ids, late_parents = [], []
    for c in comments:
        ext = str(c["external_id"])
        if ext not in existing:
            continue
        cid, chash, deleted_at = existing[ext]
        seen_ids.append(cid)
        if c.get("deleted") and deleted_at is None:
            session.execute(update(Comment).where(Comment.id == cid).values(deleted_at=now))
            result.comments_deleted += 1
        elif c["content_hash"] != chash and not c.get("deleted"):
            session.execute(update(Comment).where(Comment.id == cid).values(
                body_text=c.get("body_text") or "", content_hash=c["content_hash"],
                edited_at=c.get("edited_at") or now, deleted_at=None))
            result.comments_updated += 1
        elif deleted_at is not None and not c.get("deleted"):
            # Back in the thread (restored by a moderator): visible again.
            session.execute(update(Comment).where(Comment.id == cid).values(deleted_at=None))
        if c.get("parent_external_id"):
            late_parents.append((cid, str(c["parent_external_id"]), c.get("depth") or 0))
    _adopt_orphans(session, article_row.id, late_parents)
    for chunk in _chunks(seen_ids, 500):
        session.execute(update(Comment).where(Comment.id.in_(chunk)).values(last_seen_at=now))
    if article.get("comments_complete", True):
        # A comment missing from a thread we fetched whole was removed at the source:
        # mark it, never delete the row.
        seen = {str(c["external_id"]) for c in comments}
        gone = [cid for ext, (cid, _, deleted) in existing.items() if ext not in seen and deleted is None]
        for chunk in _chunks(gone, 500):
            session.execute(update(Comment).where(Comment.id.in_(chunk)).values(deleted_at=now))
        result.comments_deleted += len(gone)
    article_row.comment_count = session.scalar(select(func.count(Comment.id)).where(
        Comment.article_id == article_row.id, Comment.deleted_at.is_(None))) or 0


def _adopt_orphans(session: Session, article_id: int, replies: list[tuple[int, str, int]]) -> None:
    """A reply first stored without its parent (the parent's page failed that time) gets
    its parent once a crawl sees both."""
    orphans: set[int] = set()
    for chunk in _chunks([cid for cid, _, _ in replies], 500):
        orphans.update(session.scalars(select(Comment.id).where(
            Comment.article_id == article_id, Comment.parent_id.is_(None), Comment.id.in_(chunk))))
    if not orphans:
        return
    known = dict(session.execute(select(Comment.external_id, Comment.id).where(Comment.article_id == article_id)).all())
    for cid, parent_ext, depth in replies:
        if cid in orphans and known.get(parent_ext) not in (None, cid):
            session.execute(update(Comment).where(Comment.id == cid).values(parent_id=known[parent_ext], depth=depth))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
