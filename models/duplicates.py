"""Near-duplicate groups as `newsdesk duplicates` shows them: each original with its copies
(and every copy's exact-content aliases), and the articles still to be signed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .tables import Article, ArticleSignature, ArticleUrl, Site


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
