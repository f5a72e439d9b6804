"""What was archived: the WARC records behind stored articles, and WARC import progress.

Read by `newsdesk reextract` (the records of each article's latest archived fetch) and
written by `newsdesk import-warc` (per file, the offset below which every record is done,
in the same transaction as the articles stored from those records).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .tables import (
    Article,
    ArticleAuthor,
    ArticleRecord,
    ArticleTag,
    Author,
    Site,
    Tag,
    WarcImport,
)


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# --- what an article was extracted from, and what it says ---------------------------------



# What an extraction decides about an article, compared field by field by `newsdesk reextract`.
EXTRACTED_FIELDS = ("title", "subtitle", "authors", "published_at", "modified_at", "language", "section",
                    "tags", "image_url", "lead", "body_text")


def _comparable(value):
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def extracted_fields(article: Mapping[str, Any]) -> dict[str, Any]:
    """The extracted fields of an article mapping, in a form that compares equal across a
    database round trip (times as UTC ISO text, lists as lists)."""
    return {k: _comparable(article.get(k) if k not in ("authors", "tags") else article.get(k) or [])
            for k in EXTRACTED_FIELDS}


def stored_fields(session: Session, article_id: int) -> dict[str, Any]:
    """The extracted fields of a stored article, as ``extracted_fields`` gives them."""
    row = session.get(Article, article_id)
    values = {k: getattr(row, k) for k in EXTRACTED_FIELDS if k not in ("authors", "tags")}
    values["authors"] = list(session.scalars(
        select(Author.name).join(ArticleAuthor, ArticleAuthor.author_id == Author.id)
        .where(ArticleAuthor.article_id == article_id).order_by(ArticleAuthor.position)))
    values["tags"] = sorted(session.scalars(
        select(Tag.name).join(ArticleTag, ArticleTag.tag_id == Tag.id).where(ArticleTag.article_id == article_id)))
    return extracted_fields(values)


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names of the extracted fields that differ (tags compared as sets: they have no order)."""
    out = []
    for key in EXTRACTED_FIELDS:
        a, b = before.get(key), after.get(key)
        if key == "tags":
            a, b = sorted(a or []), sorted(b or [])
        if a != b:
            out.append(key)
    return out


def archive_pointer(article: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(file, offset) of the archived article page an item came from, if it was archived."""
    for record in article.get("archive_records") or []:
        if record.get("kind") == "article" and record.get("warc_file"):
            return record["warc_file"], int(record["warc_offset"])
    return None, None


def save_records(session: Session, article_id: int, article: Mapping[str, Any], now: datetime) -> None:
    """The archived records of this fetch (its page, its comment pages), for `newsdesk reextract`."""
    rows = [{"article_id": article_id, "fetched_at": article.get("fetched_at") or now, "kind": r["kind"],
             "url": r["url"], "warc_file": r["warc_file"], "warc_offset": int(r["warc_offset"])}
            for r in article.get("archive_records") or [] if r.get("warc_file")]
    if rows:
        session.execute(_insert(session, ArticleRecord.__table__).on_conflict_do_nothing(
            index_elements=["article_id", "warc_file", "warc_offset"]), rows)



@dataclass
class ArchivedFetch:
    """One fetch of a stored article: its page's record and its comment records."""

    article_id: int
    site: str
    canonical_url: str
    fetched_at: datetime
    records: list[tuple[str, str, str, int]] = field(default_factory=list)  # (kind, url, file, offset)

    @property
    def page(self) -> tuple[str, str, str, int] | None:
        return next((r for r in self.records if r[0] == "article"), None)


def latest_fetches(session: Session, *, site: str | None = None, since: datetime | None = None) -> list[ArchivedFetch]:
    """The archived fetch behind every stored article's current fields (of ``site``, fetched at
    or after ``since``): the fetch whose page record the article points at. A later fetch may be
    a stale copy (an edited article's old URL, kept only as a version), so "latest" is the
    fallback for rows without a pointer, not the rule."""
    current = (select(ArticleRecord.article_id, func.max(ArticleRecord.fetched_at).label("fetched_at"))
               .join(Article, (Article.id == ArticleRecord.article_id)
                     & (Article.warc_file == ArticleRecord.warc_file)
                     & (Article.warc_offset == ArticleRecord.warc_offset))
               .group_by(ArticleRecord.article_id))
    pointed = current.subquery()
    latest = (select(ArticleRecord.article_id, func.max(ArticleRecord.fetched_at).label("fetched_at"))
              .where(~ArticleRecord.article_id.in_(select(pointed.c.article_id)))
              .group_by(ArticleRecord.article_id))
    chosen = current.union_all(latest).subquery()
    query = (select(ArticleRecord.article_id, Site.name, Article.canonical_url, ArticleRecord.fetched_at,
                    ArticleRecord.kind, ArticleRecord.url, ArticleRecord.warc_file, ArticleRecord.warc_offset)
             .join(chosen, (chosen.c.article_id == ArticleRecord.article_id)
                   & (chosen.c.fetched_at == ArticleRecord.fetched_at))
             .join(Article, Article.id == ArticleRecord.article_id)
             .join(Site, Site.id == Article.site_id)
             .order_by(ArticleRecord.article_id, ArticleRecord.id))
    if since is not None:
        query = query.where(ArticleRecord.fetched_at >= since)
    if site is not None:
        query = query.where(Site.name == site)
    out: dict[int, ArchivedFetch] = {}
    for article_id, site_name, canonical, fetched_at, kind, url, path, offset in session.execute(query):
        fetch = out.setdefault(article_id, ArchivedFetch(article_id, site_name, canonical, fetched_at))
        fetch.records.append((kind, url, path, int(offset)))
    return [f for f in out.values() if f.page is not None]


def articles_without_archive(session: Session, *, site: str | None = None) -> int:
    query = select(func.count(Article.id)).where(~Article.id.in_(select(ArticleRecord.article_id)))
    if site is not None:
        query = query.join(Site, Site.id == Article.site_id).where(Site.name == site)
    return session.scalar(query) or 0


# --- WARC imports -----------------------------------------------------------------------

def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def import_state(session: Session, path: str, size: int | None) -> WarcImport:
    """The import row of a file, made on first sight."""
    row = session.scalar(select(WarcImport).where(WarcImport.path == path))
    if row is None:
        now = utcnow()
        row = WarcImport(path=path, size=size, next_offset=0, records=0, articles=0, started_at=now, updated_at=now)
        session.add(row)
        session.flush()
    return row


def record_progress(session: Session, path: str, next_offset: int, *, records: int, articles: int = 0,
                    finished: bool = False) -> None:
    """Every record of ``path`` below ``next_offset`` is done (call in the transaction that stored
    them): ``records`` response records in all, ``articles`` more articles stored."""
    values = {"next_offset": next_offset, "records": records,
              "articles": WarcImport.articles + articles, "updated_at": utcnow()}
    if finished:
        values["finished_at"] = utcnow()
    session.execute(update(WarcImport).where(WarcImport.path == path, WarcImport.next_offset <= next_offset)
                    .values(**values))


def is_comment_record(session: Session, path: str, offset: int) -> bool:
    """Was this record already used as a page of some stored article's comment thread?"""
    return session.scalar(select(func.count(ArticleRecord.id)).where(
        ArticleRecord.warc_file == path, ArticleRecord.warc_offset == offset,
        ArticleRecord.kind != "article")) > 0
