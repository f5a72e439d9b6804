"""search and views (full-text search, analyst views)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Full-text search
    SQLite: FTS5 tables ``articles_fts(title, body_text)`` and ``comments_fts(author,
    body_text)`` with external content (the text is stored once, in ``articles`` and
    ``comments``), kept in step by AFTER INSERT / UPDATE OF / DELETE triggers.
    PostgreSQL: a stored generated ``search_vector tsvector`` column on each table with a
    GIN index; the server keeps it in step on every write, no trigger needed.

    Both use language-neutral tokenising (FTS5 ``unicode61``, PostgreSQL ``'simple'``):
    the sites are in many languages, a per-row language config would need the query to
    be parsed with the same config as each row, and one config on both backends means a
    query finds the same articles on SQLite and PostgreSQL. Titles weigh more than bodies.

Views
    ``article_overview``, ``comment_threads``, ``daily_counts`` (see docs/database.md).
    The SQL differs per dialect only where the dialects do (string aggregation, dates,
    zero padding); the columns and their meaning are the same.

Note for later migrations: on SQLite, a batch operation that *recreates* ``articles`` or
``comments`` (drop column, alter type, new constraint) drops their FTS triggers, and the
rename step fails while a view names the table. Such a migration must drop the views
first and call ``create_sqlite_search()`` / ``create_views()`` from here again after.
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# --- SQLite ----------------------------------------------------------------------------

# remove_diacritics 2: "Zürich" is found by "zurich" too.
FTS5_TOKENIZE = "unicode61 remove_diacritics 2"

SQLITE_FTS = {
    # fts table: (content table, indexed columns)
    "articles_fts": ("articles", ("title", "body_text")),
    "comments_fts": ("comments", ("author", "body_text")),
}


def _sqlite_fts_statements() -> list[str]:
    out = []
    for fts, (table, columns) in SQLITE_FTS.items():
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        out += [
            # content="table" (double quotes): the form Datasette looks for to offer search.
            f"""CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content="{table}", content_rowid="id",
                tokenize="{FTS5_TOKENIZE}")""",
            f"""CREATE TRIGGER {fts}_after_insert AFTER INSERT ON {table} BEGIN
                  INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});
                END""",
            f"""CREATE TRIGGER {fts}_after_delete AFTER DELETE ON {table} BEGIN
                  INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
                END""",
            # UPDATE OF: a re-crawl touches last_seen_at on every article it sees; only a
            # change of the indexed text needs re-indexing.
            f"""CREATE TRIGGER {fts}_after_update AFTER UPDATE OF {cols} ON {table} BEGIN
                  INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
                  INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});
                END""",
            # Index what is already there (an upgrade of a database that has articles).
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    return out


def create_sqlite_search() -> None:
    for statement in _sqlite_fts_statements():
        op.execute(statement)


def drop_sqlite_search() -> None:
    for fts in SQLITE_FTS:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_after_{event}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


# --- PostgreSQL ------------------------------------------------------------------------

# left(...): a tsvector is limited to 1 MB; no news article comes near 500,000 characters,
# but one pathological page must not make its insert fail.
PG_SEARCH_VECTORS = {
    "articles": "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
                "setweight(to_tsvector('simple'::regconfig, left(coalesce(body_text, ''), 500000)), 'B')",
    "comments": "setweight(to_tsvector('simple'::regconfig, coalesce(author, '')), 'C') || "
                "setweight(to_tsvector('simple'::regconfig, left(coalesce(body_text, ''), 500000)), 'B')",
}


def create_pg_search() -> None:
    for table, expression in PG_SEARCH_VECTORS.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                   f"GENERATED ALWAYS AS ({expression}) STORED")
        op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")


def drop_pg_search() -> None:
    for table in PG_SEARCH_VECTORS:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


# --- views -----------------------------------------------------------------------------

def _view_sql(dialect: str) -> dict[str, str]:
    pg = dialect == "postgresql"
    if pg:
        authors = ("(SELECT string_agg(au.name, ', ' ORDER BY aa.position) FROM article_authors aa "
                   "JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = a.id)")
        tags = ("(SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM article_tags atg "
                "JOIN tags t ON t.id = atg.tag_id WHERE atg.article_id = a.id)")
        pad = "lpad(c.id::text, 10, '0')"
        day = "(coalesce({0}) AT TIME ZONE 'UTC')::date"
    else:
        # SQLite before 3.44 has no ORDER BY inside an aggregate; group_concat keeps the
        # order of an ordered subquery.
        authors = ("(SELECT group_concat(name, ', ') FROM (SELECT au.name FROM article_authors aa "
                   "JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = a.id ORDER BY aa.position))")
        tags = ("(SELECT group_concat(name, ', ') FROM (SELECT t.name FROM article_tags atg "
                "JOIN tags t ON t.id = atg.tag_id WHERE atg.article_id = a.id ORDER BY t.name))")
        pad = "printf('%010d', c.id)"
        day = "date(coalesce({0}))"

    article_overview = f"""
CREATE VIEW article_overview AS
SELECT a.id AS article_id,
       s.name AS site,
       a.title,
       a.subtitle,
       {authors} AS authors,
       a.published_at,
       a.modified_at,
       a.section,
       {tags} AS tags,
       a.language,
       a.word_count,
       (SELECT count(*) FROM comments c WHERE c.article_id = a.id AND c.deleted_at IS NULL) AS comment_count,
       (SELECT count(*) FROM comments c WHERE c.article_id = a.id AND c.deleted_at IS NOT NULL) AS deleted_comment_count,
       (SELECT count(*) FROM article_versions v WHERE v.article_id = a.id) AS version_count,
       a.duplicate_of_id,
       a.canonical_url,
       a.url,
       a.first_seen_at,
       a.last_seen_at
FROM articles a
JOIN sites s ON s.id = a.site_id"""

    # Reading order: a thread's root, then each reply under its parent, siblings in the
    # order they were first stored (the page's order). The path of zero-padded ids sorts
    # as text into exactly that order. A root keeps the source's depth (a reply whose
    # parent was never seen is a root here but still indented as the page had it).
    comment_threads = f"""
CREATE VIEW comment_threads AS
WITH RECURSIVE thread(comment_id, root_id, level, path) AS (
    SELECT c.id, c.id, c.depth, {pad}
    FROM comments c
    WHERE c.parent_id IS NULL
  UNION ALL
    SELECT c.id, t.root_id, t.level + 1, t.path || '/' || {pad}
    FROM comments c
    JOIN thread t ON c.parent_id = t.comment_id
    WHERE t.level < 500
)
SELECT t.comment_id,
       c.article_id,
       a.canonical_url AS article_url,
       a.title AS article_title,
       s.name AS site,
       row_number() OVER (PARTITION BY c.article_id ORDER BY t.path) AS position,
       t.level AS depth,
       c.parent_id,
       t.root_id AS thread_id,
       c.external_id,
       c.author,
       c.author_url,
       c.posted_at,
       c.edited_at,
       c.deleted_at,
       c.body_text,
       t.path AS sort_path
FROM thread t
JOIN comments c ON c.id = t.comment_id
JOIN articles a ON a.id = c.article_id
JOIN sites s ON s.id = a.site_id
ORDER BY c.article_id, t.path"""

    daily_counts = f"""
CREATE VIEW daily_counts AS
SELECT site, day,
       sum(articles) AS articles,
       sum(duplicates) AS duplicates,
       sum(comments) AS comments
FROM (
    SELECT s.name AS site, {day.format('a.published_at, a.first_seen_at')} AS day,
           1 AS articles, CASE WHEN a.duplicate_of_id IS NULL THEN 0 ELSE 1 END AS duplicates, 0 AS comments
    FROM articles a JOIN sites s ON s.id = a.site_id
  UNION ALL
    SELECT s.name, {day.format('c.posted_at, c.first_seen_at')}, 0, 0, 1
    FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
) AS per_row
GROUP BY site, day"""
    return {"article_overview": article_overview, "comment_threads": comment_threads,
            "daily_counts": daily_counts}


VIEWS = ("article_overview", "comment_threads", "daily_counts")


def create_views() -> None:
    for sql in _view_sql(op.get_bind().dialect.name).values():
        op.execute(sql)


def drop_views() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        create_pg_search()
    else:
        create_sqlite_search()
    create_views()


def downgrade() -> None:
    drop_views()
    if op.get_bind().dialect.name == "postgresql":
        drop_pg_search()
    else:
        drop_sqlite_search()
