"""near duplicates (near-duplicate index)

MinHash signatures of article bodies and their LSH band buckets, kept in the database so
that the index survives restarts, is shared by every crawler process and never has to be
held in memory (see models/neardup.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("shingle_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_article_signatures_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_signatures")),
    )
    # The primary key (bucket, article_id) is the lookup index; WITHOUT ROWID on SQLite
    # makes it the table itself.
    op.create_table(
        "article_lsh",
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("bucket", "article_id", name=op.f("pk_article_lsh")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("article_lsh")
    op.drop_table("article_signatures")
