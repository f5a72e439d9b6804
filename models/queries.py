"""Read-side queries shared by the CLI and the tests (what a user would check)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .tables import Article, Comment, CrawlRun, Site


def totals(session: Session, site: str | None = None) -> dict[str, int]:
    art = select(func.count(Article.id))
    com = select(func.count(Comment.id)).join(Article, Comment.article_id == Article.id)
    if site:
        art = art.join(Site).where(Site.name == site)
        com = com.join(Site, Article.site_id == Site.id).where(Site.name == site)
    return {"articles": session.scalar(art) or 0, "comments": session.scalar(com) or 0}


def per_section(session: Session, site: str | None = None) -> list[tuple[str, int, int]]:
    """(section, articles, comments) rows, most articles first."""
    # Grouped by the column itself: PostgreSQL refuses GROUP BY coalesce(section, $1) when the
    # select list binds its own copy of the literal ($2); "(none)" is named in Python instead.
    stmt = (select(Article.section, func.count(Article.id), func.coalesce(func.sum(Article.comment_count), 0))
            .group_by(Article.section))
    if site:
        stmt = stmt.join(Site).where(Site.name == site)
    rows = [(section or "(none)", int(n), int(comments)) for section, n, comments in session.execute(stmt)]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def last_run(session: Session, run_id: int | None = None) -> CrawlRun | None:
    if run_id is not None:
        return session.get(CrawlRun, run_id)
    return session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))


def site_base_url(session: Session, site: str) -> str | None:
    """The address a site was first stored under (``sites.base_url``), or None."""
    return session.scalar(select(Site.base_url).where(Site.name == site))
