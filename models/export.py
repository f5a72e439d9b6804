"""Rows for ``newsdesk export``, streamed: memory stays flat however large the database.

The queries run with ``yield_per`` (a server-side cursor on PostgreSQL, ``fetchmany``
on SQLite), so only one batch of rows is in memory at a time. Comments are streamed in
(article, id) order beside the articles and merged on the fly; each article's thread is
put into reading order in Python (one thread at a time), the same order as the
``comment_threads`` view: a root, then each reply under its parent, siblings in the
order they were first stored.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Iterator

from sqlalchemy import Connection, func, literal_column, select
from sqlalchemy.orm import aliased

from .tables import Article, Comment, Site
from .threads import reading_order

# Author and tag names are joined with the ASCII unit separator, which no name contains,
# and split again here: one correlated subquery instead of a third and fourth stream.
_SEP = "\x1f"

ARTICLE_COLUMNS = ("article_id", "site", "url", "canonical_url", "title", "subtitle", "authors", "tags",
                   "published_at", "modified_at", "language", "section", "image_url", "lead", "body_text",
                   "word_count", "comment_count", "content_hash", "duplicate_of_id", "first_seen_at",
                   "last_seen_at")
COMMENT_COLUMNS = ("comment_id", "article_id", "position", "depth", "parent_id", "parent_external_id",
                   "external_id", "author", "author_url", "posted_at", "edited_at", "deleted_at", "body_text",
                   "first_seen_at", "last_seen_at")
COMMENT_ROW_COLUMNS = ("comment_id", "article_id", "article_url", "site", "position", "depth", "parent_id",
                       "parent_external_id", "external_id", "author", "author_url", "posted_at", "edited_at",
                       "deleted_at", "body_text", "first_seen_at", "last_seen_at")
DATETIME_COLUMNS = {"published_at", "modified_at", "first_seen_at", "last_seen_at", "posted_at",
                    "edited_at", "deleted_at"}


def _names(dialect: str, link: str, names: str, fk: str, order: str) -> Any:
    if dialect == "postgresql":
        sql = (f"(SELECT string_agg(n.name, chr(31) ORDER BY {order}) FROM {link} l "
               f"JOIN {names} n ON n.id = l.{fk} WHERE l.article_id = articles.id)")
    else:
        sql = (f"(SELECT group_concat(name, char(31)) FROM (SELECT n.name FROM {link} l "
               f"JOIN {names} n ON n.id = l.{fk} WHERE l.article_id = articles.id ORDER BY {order}))")
    return literal_column(sql)


def _since(value: date | datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _filtered(stmt, site: str | None, since: datetime | None):
    if site:
        stmt = stmt.where(Site.name == site)
    if since is not None:
        stmt = stmt.where(func.coalesce(Article.published_at, Article.first_seen_at) >= since)
    return stmt


def iter_articles(connection: Connection, site: str | None = None, since=None,
                  batch_size: int = 1000) -> Iterator[dict[str, Any]]:
    """Article records in id order; ``authors`` (byline order) and ``tags`` are lists."""
    dialect = connection.dialect.name
    stmt = (select(Article.id.label("article_id"), Site.name.label("site"), Article.url, Article.canonical_url,
                   Article.title, Article.subtitle,
                   _names(dialect, "article_authors", "authors", "author_id", "l.position").label("authors"),
                   _names(dialect, "article_tags", "tags", "tag_id", "n.name").label("tags"),
                   Article.published_at, Article.modified_at, Article.language, Article.section,
                   Article.image_url, Article.lead, Article.body_text, Article.word_count,
                   Article.comment_count, Article.content_hash, Article.duplicate_of_id,
                   Article.first_seen_at, Article.last_seen_at)
            .join(Site, Site.id == Article.site_id)
            .order_by(Article.id))
    stmt = _filtered(stmt, site, _since(since))
    for row in connection.execution_options(yield_per=batch_size).execute(stmt):
        record = row._asdict()
        record["authors"] = record["authors"].split(_SEP) if record["authors"] else []
        record["tags"] = record["tags"].split(_SEP) if record["tags"] else []
        yield record


def _iter_comments_by_article(connection: Connection, site, since, batch_size) -> Iterator[dict[str, Any]]:
    # The parent's own id at the source too, so an export can be matched with the site.
    parent = aliased(Comment)
    stmt = (select(Comment.id.label("comment_id"), Comment.article_id, Article.canonical_url.label("article_url"),
                   Site.name.label("site"), Comment.depth, Comment.parent_id,
                   parent.external_id.label("parent_external_id"), Comment.external_id,
                   Comment.author, Comment.author_url, Comment.posted_at, Comment.edited_at,
                   Comment.deleted_at, Comment.body_text, Comment.first_seen_at, Comment.last_seen_at)
            .join(Article, Article.id == Comment.article_id)
            .join(Site, Site.id == Article.site_id)
            .outerjoin(parent, parent.id == Comment.parent_id)
            .order_by(Comment.article_id, Comment.id))
    stmt = _filtered(stmt, site, _since(since))
    for row in connection.execution_options(yield_per=batch_size).execute(stmt):
        yield row._asdict()


def iter_threads(connection: Connection, site: str | None = None, since=None,
                 batch_size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """Each article's comments in reading order, one list per article that has comments."""
    thread: list[dict] = []
    for c in _iter_comments_by_article(connection, site, since, batch_size):
        if thread and thread[0]["article_id"] != c["article_id"]:
            yield reading_order(thread)
            thread = []
        thread.append(c)
    if thread:
        yield reading_order(thread)


def iter_comments(connection: Connection, site: str | None = None, since=None,
                  batch_size: int = 1000) -> Iterator[dict[str, Any]]:
    """Comment records (one per comment, with its article's URL and site) in reading order."""
    for thread in iter_threads(connection, site, since, batch_size):
        for c in thread:
            yield {k: c[k] for k in COMMENT_ROW_COLUMNS}


def iter_articles_with_comments(connection: Connection, site: str | None = None, since=None,
                                batch_size: int = 1000) -> Iterator[dict[str, Any]]:
    """Article records, each with its ``comments`` in reading order (two streams merged by id)."""
    threads = iter_threads(connection, site, since, batch_size)
    pending = next(threads, None)
    for record in iter_articles(connection, site, since, batch_size):
        while pending is not None and pending[0]["article_id"] < record["article_id"]:
            pending = next(threads, None)
        if pending is not None and pending[0]["article_id"] == record["article_id"]:
            record["comments"] = [{k: c[k] for k in COMMENT_COLUMNS} for c in pending]
            pending = next(threads, None)
        else:
            record["comments"] = []
        yield record
