"""Every table of the newsdesk database (migrations/env.py imports this module).

Here: the analysts' contract (see README "The database") and the near-duplicate index
(models/neardup.py). The crawler's own bookkeeping (runs and their health, per-URL fetch state,
crawl locks, WARC records and imports) is in models/crawl_tables.py and re-exported at the end,
so every table is imported from this one module.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    base_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    articles: Mapped[list["Article"]] = relationship(back_populates="site")


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    modified_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    section: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    duplicate_similarity: Mapped[float | None] = mapped_column(Float)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # The archived response record (WARC file, offset) the current content was extracted from,
    # and the extractor that did it (crawler/extract/version.py). NULL without an archive.
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    extractor_version: Mapped[str | None] = mapped_column(String(64))

    site: Mapped[Site] = relationship(back_populates="articles")
    authors: Mapped[list["Author"]] = relationship(
        secondary="article_authors", order_by="ArticleAuthor.position", viewonly=True)
    tags: Mapped[list["Tag"]] = relationship(secondary="article_tags", viewonly=True)
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="article", order_by="Comment.id", cascade="all, delete-orphan")
    versions: Mapped[list["ArticleVersion"]] = relationship(
        back_populates="article", order_by="ArticleVersion.id", cascade="all, delete-orphan")
    urls: Mapped[list["ArticleUrl"]] = relationship(back_populates="article", cascade="all, delete-orphan")


class ArticleUrl(Base):
    """Every canonical URL an article was seen under (exact-content duplicates land here)."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="urls")


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class ArticleAuthor(Base):
    __tablename__ = "article_authors"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)


class ArticleVersion(Base):
    """Every distinct content an article has had; edits are history, not overwrites."""

    __tablename__ = "article_versions"
    # One row per content and extractor: a re-extraction that changes other fields than the
    # text (authors, dates) is a version too (``newsdesk reextract``).
    __table_args__ = (UniqueConstraint("article_id", "content_hash", "extractor_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    modified_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str | None] = mapped_column(String(64))
    fields_json: Mapped[str | None] = mapped_column(Text)  # the version's other fields (authors, dates, tags...)
    warc_file: Mapped[str | None] = mapped_column(Text)  # the archived page this version came from
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)

    article: Mapped[Article] = relationship(back_populates="versions")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("article_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    author: Mapped[str | None] = mapped_column(Text)
    author_url: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None]
    body_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    article: Mapped[Article] = relationship(back_populates="comments")
    parent: Mapped["Comment | None"] = relationship(remote_side="Comment.id")


class ArticleSignature(Base):
    """The MinHash signature of an article's body shingles (uint32 values, little-endian)."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    shingle_count: Mapped[int] = mapped_column(Integer)


class ArticleLsh(Base):
    """One row per (LSH band bucket, article). The bucket hash includes the band's number,
    so one indexed column answers "which articles share a band with this signature"."""

    __tablename__ = "article_lsh"
    # No rowid on SQLite: the primary key is the only B-tree, which halves the index's size.
    # No foreign key either: a cascade from articles would scan this table (it has no
    # article_id index, on purpose); rows are removed through the stored signature instead.
    __table_args__ = {"sqlite_with_rowid": False}

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


# The crawler's own bookkeeping, re-exported: `from models.tables import CrawlRun` works as for any table.
from .crawl_tables import (  # noqa: E402
    ArticleRecord,
    CrawlLock,
    CrawlRun,
    HealthProblem,
    RunHealth,
    SeenUrl,
    WarcImport,
)

__all__ = ["Article", "ArticleAuthor", "ArticleLsh", "ArticleRecord", "ArticleSignature", "ArticleTag", "ArticleUrl",
           "ArticleVersion", "Author", "Comment", "CrawlLock", "CrawlRun", "HealthProblem", "RunHealth", "SeenUrl",
           "Site", "Tag", "WarcImport"]
