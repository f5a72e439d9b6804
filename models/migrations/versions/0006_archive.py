"""archive (WARC records behind each article version; WARC imports)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

What an article was extracted from, so that a better extractor can be run again over it
without the network (``newsdesk reextract``), and what ``newsdesk import-warc`` has done:

- ``articles`` and ``article_versions`` get ``warc_file``/``warc_offset`` (the WARC
  response record of the article page the current / each content came from) and
  ``extractor_version`` (the extractor that made it, crawler/extract/version.py);
  ``article_versions`` also keeps ``fields_json``, the other extracted fields of that
  version (authors, dates, section, tags...).
- ``article_versions`` is unique on ``(article_id, content_hash, extractor_version)``
  instead of ``(article_id, content_hash)``: a re-extraction that changes the authors or
  dates but not the text is a version too. Rows made before this revision have no
  extractor version (NULL) and stay as they were.
- ``article_records``: every archived record one fetch of an article used (its page and
  every comment page or comment API response), grouped by the fetch's ``fetched_at``.
- ``warc_imports``: per WARC file imported, the offset below which every record is done
  (a restarted import skips them) and its counters.

On SQLite, changing the constraint recreates ``article_versions``; the views of 0002 name
it, so they are dropped first and made again after (as 0002's note says).
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

def _search_and_views():
    # Alembic loads revision files by path, not as a package: load 0002 the same way.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("0002_search_and_views.py")
    spec = importlib.util.spec_from_file_location("newsdesk_migration_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pointer_columns() -> list[sa.Column]:
    return [sa.Column("warc_file", sa.Text(), nullable=True),
            sa.Column("warc_offset", sa.BigInteger(), nullable=True),
            sa.Column("extractor_version", sa.String(length=64), nullable=True)]


def upgrade() -> None:
    for column in _pointer_columns():
        op.add_column("articles", column)
    views = _search_and_views()
    views.drop_views()
    with op.batch_alter_table("article_versions", schema=None) as batch:
        for column in _pointer_columns():
            batch.add_column(column)
        batch.add_column(sa.Column("fields_json", sa.Text(), nullable=True))
        batch.drop_constraint("uq_article_versions_article_id_content_hash", type_="unique")
        batch.create_unique_constraint("uq_article_versions_article_id_content_hash_extractor_version",
                                       ["article_id", "content_hash", "extractor_version"])
    views.create_views()

    op.create_table(
        "article_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("warc_file", sa.Text(), nullable=False),
        sa.Column("warc_offset", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_article_records_article_id_articles",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_article_records"),
        sa.UniqueConstraint("article_id", "warc_file", "warc_offset",
                            name="uq_article_records_article_id_warc_file_warc_offset"),
    )
    op.create_index("ix_article_records_article_id_fetched_at", "article_records", ["article_id", "fetched_at"])
    op.create_index("ix_article_records_warc_file_warc_offset", "article_records", ["warc_file", "warc_offset"])

    op.create_table(
        "warc_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("next_offset", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("records", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("articles", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_warc_imports"),
        sa.UniqueConstraint("path", name="uq_warc_imports_path"),
    )


def downgrade() -> None:
    op.drop_table("warc_imports")
    op.drop_index("ix_article_records_warc_file_warc_offset", table_name="article_records")
    op.drop_index("ix_article_records_article_id_fetched_at", table_name="article_records")
    op.drop_table("article_records")
    views = _search_and_views()
    views.drop_views()
    with op.batch_alter_table("article_versions", schema=None) as batch:
        batch.drop_constraint("uq_article_versions_article_id_content_hash_extractor_version", type_="unique")
        batch.create_unique_constraint("uq_article_versions_article_id_content_hash", ["article_id", "content_hash"])
        for name in ("fields_json", "extractor_version", "warc_offset", "warc_file"):
            batch.drop_column(name)
    # Plain DROP COLUMN (SQLite >= 3.35 has it): a batch would recreate ``articles`` and lose
    # its full-text triggers.
    for name in ("extractor_version", "warc_offset", "warc_file"):
        op.execute(f"ALTER TABLE articles DROP COLUMN {name}")
    views.create_views()
