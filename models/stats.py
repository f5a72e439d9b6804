"""What `newsdesk stats` and the charts page show: counts per site, per day, duplicates, runs.

Plain SELECTs over the tables and the ``daily_counts`` view, the same on both backends.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from .base import UTCDateTime
from .tables import Article, ArticleAuthor, ArticleUrl, Author, Comment, CrawlRun, Site


@dataclass
class SiteSummary:
    site: str
    articles: int
    near_duplicates: int  # stored with duplicate_of_id (syndicated or lightly edited copies)
    duplicate_urls: int  # extra URLs that carried exactly the content of a stored article
    comments: int
    deleted_comments: int
    first_published: datetime | None
    last_published: datetime | None
    last_run_status: str | None
    last_run_started: datetime | None
    last_run_finished: datetime | None


def site_summaries(session: Session, site: str | None = None) -> list[SiteSummary]:
    articles = (select(Article.site_id, func.count(Article.id).label("n"),
                       func.count(Article.duplicate_of_id).label("near"),
                       func.min(Article.published_at).label("first"),
                       func.max(Article.published_at).label("last"))
                .group_by(Article.site_id).subquery())
    urls = (select(Article.site_id, (func.count(ArticleUrl.id) - func.count(func.distinct(Article.id))).label("extra"))
            .join(ArticleUrl, ArticleUrl.article_id == Article.id).group_by(Article.site_id).subquery())
    comments = (select(Article.site_id, func.count(Comment.id).label("n"),
                       func.count(Comment.deleted_at).label("deleted"))
                .join(Article, Article.id == Comment.article_id).group_by(Article.site_id).subquery())
    last_run_id = (select(CrawlRun.site_id, func.max(CrawlRun.id).label("run_id"))
                   .group_by(CrawlRun.site_id).subquery())
    stmt = (select(Site.name, func.coalesce(articles.c.n, 0), func.coalesce(articles.c.near, 0),
                   func.coalesce(urls.c.extra, 0), func.coalesce(comments.c.n, 0),
                   func.coalesce(comments.c.deleted, 0), articles.c.first, articles.c.last,
                   CrawlRun.status, CrawlRun.started_at, CrawlRun.finished_at)
            .outerjoin(articles, articles.c.site_id == Site.id)
            .outerjoin(urls, urls.c.site_id == Site.id)
            .outerjoin(comments, comments.c.site_id == Site.id)
            .outerjoin(last_run_id, last_run_id.c.site_id == Site.id)
            .outerjoin(CrawlRun, CrawlRun.id == last_run_id.c.run_id)
            .order_by(Site.name))
    if site:
        stmt = stmt.where(Site.name == site)
    out = []
    for row in session.execute(stmt):
        first, last = (_as_datetime(v) for v in row[6:8])
        out.append(SiteSummary(row[0], *map(int, row[1:6]), first, last, row[8], row[9], row[10]))
    return out


def _as_datetime(value):
    """min()/max() lose the column type on SQLite: the ISO text comes back as it is stored."""
    if isinstance(value, str):
        return UTCDateTime().process_result_value(value, None)
    return value


def daily(session: Session, site: str | None = None, days: int | None = 14) -> list[tuple[str, str, int, int, int]]:
    """(day, site, articles, duplicates, comments) from the daily_counts view, newest day first;
    the last ``days`` days that have anything (all days with ``None``)."""
    where = "WHERE site = :site" if site else ""
    params = {"site": site} if site else {}
    rows = session.execute(text(f"SELECT day, site, articles, duplicates, comments FROM daily_counts {where} "
                                "ORDER BY day DESC, site"), params).all()
    out, seen_days = [], []
    for day, name, n_articles, n_dups, n_comments in rows:
        day = day.isoformat() if isinstance(day, date) else str(day)
        if day not in seen_days:
            if days is not None and len(seen_days) >= days:
                break
            seen_days.append(day)
        out.append((day, name, int(n_articles), int(n_dups), int(n_comments)))
    return out


def recent_runs(session: Session, site: str | None = None, limit: int = 10) -> list[tuple]:
    """(run id, site, status, started, finished, pages, new, updated, unchanged, comments new,
    duplicates, errors, message), newest first."""
    stmt = (select(CrawlRun.id, func.coalesce(Site.name, "(ad hoc)"), CrawlRun.status, CrawlRun.started_at,
                   CrawlRun.finished_at, CrawlRun.pages_fetched, CrawlRun.articles_new,
                   CrawlRun.articles_updated, CrawlRun.articles_unchanged, CrawlRun.comments_new,
                   CrawlRun.duplicates, CrawlRun.errors, CrawlRun.message)
            .outerjoin(Site, Site.id == CrawlRun.site_id)
            .order_by(CrawlRun.id.desc()).limit(limit))
    if site:
        stmt = stmt.where(Site.name == site)
    return [tuple(r) for r in session.execute(stmt)]


# --- for the charts page ------------------------------------------------------------------

def comment_count_histogram(session: Session, site: str | None = None) -> list[tuple[str, int]]:
    """(bucket, articles) for the distribution of visible comments per article."""
    buckets = [(0, 0), (1, 1), (2, 5), (6, 10), (11, 25), (26, 50), (51, 100), (101, None)]
    n = Article.comment_count
    label = case(*[((n >= lo) & (n <= hi) if hi is not None else n >= lo, i) for i, (lo, hi) in enumerate(buckets)])
    stmt = select(label, func.count()).group_by(label)
    if site:
        stmt = stmt.join(Site, Site.id == Article.site_id).where(Site.name == site)
    counts = dict(session.execute(stmt).all())
    names = [str(lo) if lo == hi else (f"{lo}–{hi}" if hi else f"{lo}+") for lo, hi in buckets]
    return [(names[i], int(counts.get(i, 0))) for i in range(len(buckets))]


def top_authors(session: Session, site: str | None = None, limit: int = 15) -> list[tuple[str, int, int]]:
    """(author, articles, comments on those articles), most articles first."""
    stmt = (select(Author.name, func.count(ArticleAuthor.article_id), func.coalesce(func.sum(Article.comment_count), 0))
            .join(ArticleAuthor, ArticleAuthor.author_id == Author.id)
            .join(Article, Article.id == ArticleAuthor.article_id)
            .group_by(Author.name)
            .order_by(func.count(ArticleAuthor.article_id).desc(), Author.name)
            .limit(limit))
    if site:
        stmt = stmt.join(Site, Site.id == Article.site_id).where(Site.name == site)
    return [(name, int(a), int(c)) for name, a, c in session.execute(stmt)]
