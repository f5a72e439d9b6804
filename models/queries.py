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
    # Grouped by the label: with "(none)" bound once per use, PostgreSQL would see three
    # different expressions and refuse the GROUP BY.
    section = func.coalesce(Article.section, "(none)").label("section")
    stmt = (select(section, func.count(Article.id), func.coalesce(func.sum(Article.comment_count), 0))
            .group_by(section).order_by(func.count(Article.id).desc(), section))
    if site:
        stmt = stmt.join(Site).where(Site.name == site)
    return [tuple(r) for r in session.execute(stmt).all()]


def last_run(session: Session, run_id: int | None = None) -> CrawlRun | None:
    if run_id is not None:
        return session.get(CrawlRun, run_id)
    return session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
