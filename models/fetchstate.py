"""What newsdesk remembers about each article URL between crawls (``seen_urls``).

One row per fetched article page, keyed by the canonical form of the URL that was
requested: the validators the server sent (``ETag``, ``Last-Modified``), the status and
content hash of the last full fetch, when the content last changed, and the article it
holds. Re-crawls read it to send conditional requests and to decide which pages need
asking at all; the row is written only after the article was stored, so a crash between
fetch and store can never make a later crawl skip content that was not saved.

An unchanged re-crawl touches only ``last_seen_at``. A row whose ``fetched_at`` is older
than the expiry is ignored (the page is fetched in full, as if new, and the row renewed),
and rows not seen for that long are deleted: state never outlives its usefulness.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .tables import Article, ArticleUrl, SeenUrl, Site


@dataclass(frozen=True)
class KnownPage:
    """What a re-crawl needs to know about one URL before requesting it."""

    url: str
    article_id: int
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    last_seen_at: datetime
    published_at: datetime | None  # the article's, else when it was first seen

    def expired(self, now: datetime, max_age_days: float) -> bool:
        return max_age_days > 0 and now - self.fetched_at > timedelta(days=max_age_days)

    def recent(self, now: datetime, revisit_days: float) -> bool:
        return self.published_at is not None and now - self.published_at <= timedelta(days=revisit_days)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SeenUrl.__table__)


def known_page(session: Session, url: str) -> KnownPage | None:
    """The stored state of an article URL, or None when it is new (or held no article)."""
    row = session.execute(
        select(SeenUrl.url, SeenUrl.article_id, SeenUrl.etag, SeenUrl.last_modified, SeenUrl.fetched_at,
               SeenUrl.last_seen_at, func.coalesce(Article.published_at, Article.first_seen_at))
        .join(Article, Article.id == SeenUrl.article_id)
        .where(SeenUrl.url == url)).first()
    if row is None:
        return None
    published = row[6]
    if isinstance(published, str):  # coalesce() loses the column type on SQLite
        published = datetime.fromisoformat(published)
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return KnownPage(*row[:6], published_at=published)


def site_has_state(session: Session, site: str | None) -> bool:
    """Whether any URL of the site (or of no recorded site) holds a stored article: a site's
    first crawl has none, and its requests need no lookup at all."""
    site_id = site_id_of(session, site)
    mine = SeenUrl.site_id.is_(None) if site_id is None else or_(SeenUrl.site_id.is_(None), SeenUrl.site_id == site_id)
    return session.scalar(select(SeenUrl.id).where(mine, SeenUrl.article_id.is_not(None)).limit(1)) is not None


def known_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Which of these URLs already hold a stored article (one query per 500 URLs)."""
    urls = list(dict.fromkeys(urls))
    found: set[str] = set()
    for i in range(0, len(urls), 500):
        found.update(session.scalars(select(SeenUrl.url).where(
            SeenUrl.url.in_(urls[i:i + 500]), SeenUrl.article_id.is_not(None))))
    return found


def record_fetch(session: Session, url: str, *, article_id: int, site_id: int | None, status: int | None,
                 etag: str | None, last_modified: str | None, content_hash: str | None,
                 max_age_days: float = 0, now: datetime | None = None) -> str:
    """After an article fetched in full was stored: remember its validators.

    Returns "new", "changed", "renewed" (expired state written afresh) or "seen" (only
    ``last_seen_at`` moved, so an unchanged re-crawl leaves the row as it was).
    """
    now = now or _utcnow()
    values = dict(site_id=site_id, article_id=article_id, status=status, etag=etag, last_modified=last_modified,
                  content_hash=content_hash)
    row = session.scalar(select(SeenUrl).where(SeenUrl.url == url))
    if row is None:
        inserted = session.execute(_insert(session).values(
            url=url, first_seen_at=now, fetched_at=now, changed_at=now, last_seen_at=now, **values
        ).on_conflict_do_nothing(index_elements=["url"]).returning(SeenUrl.id)).first()
        if inserted is not None:
            return "new"
        row = session.scalar(select(SeenUrl).where(SeenUrl.url == url))
    changed = any(getattr(row, key) != value for key, value in values.items())
    expired = max_age_days > 0 and now - row.fetched_at > timedelta(days=max_age_days)
    row.last_seen_at = now
    if not (changed or expired):
        return "seen"
    for key, value in values.items():
        setattr(row, key, value)
    row.fetched_at = now
    if changed:
        row.changed_at = now
    return "changed" if changed else "renewed"


def mark_not_modified(session: Session, url: str, article_id: int, now: datetime | None = None) -> None:
    """A 304 for a known article page: the page and its article were seen again, unchanged."""
    now = now or _utcnow()
    session.execute(update(SeenUrl).where(SeenUrl.url == url).values(last_seen_at=now))
    session.execute(update(Article).where(Article.id == article_id).values(last_seen_at=now))
    article_url = session.scalar(select(Article.canonical_url).where(Article.id == article_id))
    session.execute(update(ArticleUrl).where(ArticleUrl.article_id == article_id,
                                             ArticleUrl.url.in_({url, article_url}))
                    .values(last_seen_at=now))


def mark_error(session: Session, url: str, status: int, now: datetime | None = None) -> None:
    """A known article URL answered with an error (404, 410, 5xx after retries)."""
    session.execute(update(SeenUrl).where(SeenUrl.url == url).values(status=status, last_seen_at=now or _utcnow()))


def expire(session: Session, site: str, max_age_days: float, now: datetime | None = None) -> int:
    """Forget the URLs of a site not seen for ``max_age_days``; returns how many."""
    if max_age_days <= 0:
        return 0
    cutoff = (now or _utcnow()) - timedelta(days=max_age_days)
    site_ids = select(Site.id).where(Site.name == site)
    return session.execute(delete(SeenUrl).where(SeenUrl.site_id.in_(site_ids), SeenUrl.last_seen_at < cutoff)
                           ).rowcount


def forget(session: Session, urls: Iterable[str]) -> list[tuple[str, int | None]]:
    """Drop the state of these URLs (and of every URL stored for the article whose
    canonical URL is one of them): the next crawl fetches them in full. Returns what was
    forgotten as (url, article_id)."""
    urls = list(dict.fromkeys(urls))
    article_ids = select(Article.id).where(Article.canonical_url.in_(urls))
    condition = or_(SeenUrl.url.in_(urls), SeenUrl.article_id.in_(article_ids))
    rows = [(url, aid) for url, aid in session.execute(select(SeenUrl.url, SeenUrl.article_id).where(condition))]
    session.execute(delete(SeenUrl).where(SeenUrl.url.in_([url for url, _ in rows])))
    return rows


def article_id_for(session: Session, canonical_url: str) -> int | None:
    """The article stored under this canonical URL (also when it was stored as a duplicate of another)."""
    return session.scalar(select(ArticleUrl.article_id).where(ArticleUrl.url == canonical_url))


def site_id_of(session: Session, name: str | None) -> int | None:
    return session.scalar(select(Site.id).where(Site.name == name)) if name else None
