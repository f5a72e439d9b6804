"""Full-text search over articles and comments: one function, both backends.

SQLite answers from the FTS5 tables ``articles_fts`` / ``comments_fts`` (ranked by
``bm25``, excerpts by ``snippet``); PostgreSQL from the generated ``search_vector``
columns (``websearch_to_tsquery``, ranked by ``ts_rank_cd``, excerpts by ``ts_headline``).
Both are made by migration 0002.

The query language is the one people type into a search box, the same on both backends:
words (all must appear), ``"a phrase"``, ``-word`` to exclude, ``OR`` between two
alternatives. Anything else (quotes left open, colons, parentheses, FTS5 operators such
as ``NEAR`` or ``*``) is plain text, never a syntax error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import bindparam, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from .tables import Article, Comment, Site

DEFAULT_MARKS = ("[", "]")

# The FTS5 tables (SQLite only); the table name itself is the first argument of bm25/snippet.
_ARTICLES_FTS = table("articles_fts", column("rowid"))
_COMMENTS_FTS = table("comments_fts", column("rowid"))


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str | None
    url: str
    site: str
    published_at: datetime | None
    rank: float  # higher is better; comparable within one result list only
    snippet: str


@dataclass(frozen=True)
class CommentHit:
    comment_id: int
    article_id: int
    article_title: str | None
    article_url: str
    site: str
    author: str | None
    posted_at: datetime | None
    rank: float
    snippet: str


# --- the user's query -------------------------------------------------------------------

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class _Term:
    text: str
    negated: bool = False


def parse_query(query: str) -> list[list[_Term]]:
    """Split a search-box query into AND-ed groups of OR-ed terms (websearch syntax)."""
    groups: list[list[_Term]] = []
    join_next = False
    for m in _TOKEN.finditer(query or ""):
        neg_phrase, phrase, word = m.groups()
        if word is not None and word.upper() == "OR":
            join_next = bool(groups)
            continue
        if phrase is not None:
            term = _Term(phrase, negated=bool(neg_phrase))
        elif word.startswith("-") and len(word) > 1:
            term = _Term(word[1:], negated=True)
        else:
            term = _Term(word)
        if not _WORD.search(term.text):
            continue  # only punctuation: nothing to look for
        if join_next and not term.negated and not any(t.negated for t in groups[-1]):
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return groups


def _has_wanted_terms(query: str) -> bool:
    """A query of exclusions only ("-sport") finds nothing, on both backends: FTS5 cannot
    answer it, and returning every other article would not be a search."""
    return any(not group[0].negated for group in parse_query(query))


def fts5_expression(query: str) -> str | None:
    """The query as an FTS5 MATCH expression, or None when there is nothing to search for.

    Every term is a double-quoted FTS5 string, so FTS5 only tokenises it: no character a
    user types can be read as an operator or a column filter.
    """
    def quoted(term: _Term) -> str:
        return '"' + term.text.replace('"', '""') + '"'

    positive = [g for g in parse_query(query) if not g[0].negated]
    negative = [g[0] for g in parse_query(query) if g[0].negated]
    if not positive:
        return None  # FTS5 (like a search box) cannot answer "everything except X"
    expr = " AND ".join("(" + " OR ".join(quoted(t) for t in group) + ")" for group in positive)
    for term in negative:
        expr = f"({expr}) NOT {quoted(term)}"
    return expr


def _since(value: date | datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- articles ---------------------------------------------------------------------------

def search(session: Session, query: str, site: str | None = None,
           since: date | datetime | str | None = None, limit: int = 20,
           marks: tuple[str, str] = DEFAULT_MARKS) -> list[SearchHit]:
    """Articles matching ``query`` (title and body), best first, with a highlighted excerpt.

    ``since`` keeps articles published on or after that day (first seen, when the page gave
    no date); ``marks`` surround each matched word in the snippet.
    """
    since_dt = _since(since)
    if session.get_bind().dialect.name == "postgresql":
        return _search_articles_pg(session, query, site, since_dt, limit, marks)
    return _search_articles_sqlite(session, query, site, since_dt, limit, marks)


def _article_filters(stmt, site, since_dt):
    if site:
        stmt = stmt.where(Site.name == site)
    if since_dt is not None:
        stmt = stmt.where(func.coalesce(Article.published_at, Article.first_seen_at) >= since_dt)
    return stmt


def _search_articles_sqlite(session, query, site, since_dt, limit, marks) -> list[SearchHit]:
    expression = fts5_expression(query)
    if expression is None:
        return []
    fts = literal_column("articles_fts")
    # bm25 is "lower is better"; the title column weighs five times the body.
    rank = (-func.bm25(fts, 5.0, 1.0)).label("hit_rank")
    snippet = func.snippet(fts, -1, marks[0], marks[1], " … ", 24).label("snippet")
    stmt = (select(Article.id, Article.title, Article.canonical_url, Site.name, Article.published_at,
                   rank, snippet)
            .select_from(_ARTICLES_FTS)
            .join(Article, Article.id == _ARTICLES_FTS.c.rowid)
            .join(Site, Site.id == Article.site_id)
            .where(fts.op("MATCH")(bindparam("q", expression)))
            .order_by(literal_column("hit_rank").desc(), Article.id)
            .limit(limit))
    stmt = _article_filters(stmt, site, since_dt)
    return [SearchHit(*row) for row in session.execute(stmt)]


def _headline_options(marks: tuple[str, str], words: int = 30) -> str:
    def q(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    return (f"StartSel={q(marks[0])}, StopSel={q(marks[1])}, MaxWords={words}, MinWords={words // 2}, "
            f"ShortWord=2, MaxFragments=2, FragmentDelimiter={q(' … ')}")


def _search_articles_pg(session, query, site, since_dt, limit, marks) -> list[SearchHit]:
    if not _has_wanted_terms(query):
        return []
    tsquery = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), bindparam("q", query))
    vector = literal_column("articles.search_vector")
    rank = func.ts_rank_cd(vector, tsquery).label("hit_rank")
    # Rank first, then make headlines for the page of hits only: ts_headline re-parses
    # the whole body and would cost that for every match.
    ranked = (select(Article.id, Article.title, Article.canonical_url, Site.name.label("site"),
                     Article.published_at, Article.body_text, rank)
              .join(Site, Site.id == Article.site_id)
              .where(vector.op("@@")(tsquery))
              .order_by(literal_column("hit_rank").desc(), Article.id)
              .limit(limit))
    ranked = _article_filters(ranked, site, since_dt).subquery("ranked")
    headline = func.ts_headline(literal_column("'simple'::regconfig"),
                                func.coalesce(ranked.c.body_text, ""), tsquery,
                                bindparam("opts", _headline_options(marks)))
    stmt = (select(ranked.c.id, ranked.c.title, ranked.c.canonical_url, ranked.c.site,
                   ranked.c.published_at, ranked.c.hit_rank, headline)
            .order_by(ranked.c.hit_rank.desc(), ranked.c.id))
    return [SearchHit(row[0], row[1], row[2], row[3], row[4], float(row[5]), row[6])
            for row in session.execute(stmt)]


# --- comments ---------------------------------------------------------------------------

def search_comments(session: Session, query: str, site: str | None = None,
                    since: date | datetime | str | None = None, limit: int = 20,
                    marks: tuple[str, str] = DEFAULT_MARKS) -> list[CommentHit]:
    """Comments matching ``query`` (text and author name), best first.

    ``since`` keeps comments posted on or after that day (first seen, without a date).
    """
    since_dt = _since(since)
    pg = session.get_bind().dialect.name == "postgresql"
    if pg:
        if not _has_wanted_terms(query):
            return []
        tsquery = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), bindparam("q", query))
        vector = literal_column("comments.search_vector")
        rank = func.ts_rank_cd(vector, tsquery)
        snippet = func.ts_headline(literal_column("'simple'::regconfig"), Comment.body_text, tsquery,
                                   bindparam("opts", _headline_options(marks, 24)))
        match = vector.op("@@")(tsquery)
        source = Comment.__table__
    else:
        expression = fts5_expression(query)
        if expression is None:
            return []
        fts = literal_column("comments_fts")
        rank = -func.bm25(fts, 1.0, 1.0)
        snippet = func.snippet(fts, 1, marks[0], marks[1], " … ", 24)
        match = fts.op("MATCH")(bindparam("q", expression))
        source = _COMMENTS_FTS
    stmt = (select(Comment.id, Comment.article_id, Article.title, Article.canonical_url, Site.name,
                   Comment.author, Comment.posted_at, rank.label("hit_rank"), snippet.label("snippet"))
            .select_from(source))
    if not pg:
        stmt = stmt.join(Comment, Comment.id == _COMMENTS_FTS.c.rowid)
    stmt = (stmt.join(Article, Article.id == Comment.article_id)
            .join(Site, Site.id == Article.site_id)
            .where(match)
            .order_by(literal_column("hit_rank").desc(), Comment.id)
            .limit(limit))
    if site:
        stmt = stmt.where(Site.name == site)
    if since_dt is not None:
        stmt = stmt.where(func.coalesce(Comment.posted_at, Comment.first_seen_at) >= since_dt)
    return [CommentHit(*row[:7], float(row[7]), row[8]) for row in session.execute(stmt)]
