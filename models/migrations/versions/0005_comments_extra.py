"""comments extra (comment thread extras)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Two crawl_runs counters for comment threads: ``comments_deleted`` (comments gone from a
thread fetched whole, or shown as deleted by the source, marked in this run) and
``comment_threads_failed`` (threads stored incomplete because a page or response of
theirs could not be fetched or read; the reasons are in ``stats_json`` under
``newsdesk/comment_threads_failed/<reason>``). ADD COLUMN only: on SQLite no table is
recreated, so the FTS triggers and views of 0002 are untouched.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COUNTERS = ("comments_deleted", "comment_threads_failed")


def upgrade() -> None:
    for name in COUNTERS:
        op.add_column("crawl_runs", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        for name in COUNTERS:
            batch.drop_column(name)
