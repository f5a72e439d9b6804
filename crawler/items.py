"""Items are plain data (Scrapy exports them through itemadapter as they are).

They carry no behaviour and no database ids: the pipelines fill the derived
fields (``content_hash``) by returning a new item, and ``models`` assigns ids.
Times are timezone-aware datetimes; the source's time zone has already been
applied by extraction. An article's published/modified time keeps the offset the page
states (its ``.date()`` is the publisher's calendar day); comment times and the fetch
time are in UTC. The database stores every time in UTC (models/base.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class CommentItem:
    """One comment of a thread, as the source shows it."""

    external_id: str  # the source's own id ("123" for WordPress comment-123), else a stable hash
    body_text: str  # plain text, line breaks kept
    parent_external_id: str | None = None
    depth: int = 0  # 0 for a top-level comment
    author: str | None = None
    author_url: str | None = None
    posted_at: datetime | None = None
    edited_at: datetime | None = None
    deleted: bool = False  # the source shows it as deleted ("This comment was removed")
    content_hash: str | None = None  # filled by CleanPipeline


@dataclass
class ArticleItem:
    """One article page with its whole comment thread (all comment pages merged)."""

    url: str  # the URL that was fetched
    canonical_url: str  # canonical form of the article's URL (dedup level 1)
    site: str  # the site's name from sites.toml, or the host for ad-hoc crawls
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)  # byline order
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    lead: str | None = None
    body_text: str | None = None  # paragraphs separated by one blank line
    comments: list[CommentItem] = field(default_factory=list)
    comment_count_reported: int | None = None  # what the page says ("12 comment/s")
    comments_complete: bool = True  # every page of the thread was fetched and parsed
    comment_errors: list[str] = field(default_factory=list)  # reasons a thread (page) failed
    fetched_at: datetime | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # filled by CleanPipeline
    word_count: int | None = None  # filled by CleanPipeline
    body_signature: str | None = None  # MinHash of the body's shingles, filled by DedupPipeline
    extractor_version: str | None = None  # the extractor that made it (crawler/extract/version.py)
    # Archived records this item was extracted from (crawler/extensions/archive.py): dicts with
    # "kind" ("article" or the comment request's kind), "url", and "record_id" (the WARC-Record-ID,
    # set by the spider) or "warc_file"/"warc_offset" (once written, set by ArchiveRecordsPipeline).
    archive_records: list[dict] = field(default_factory=list)
