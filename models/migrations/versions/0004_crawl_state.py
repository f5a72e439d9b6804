"""crawl state (per-URL fetch state, crawl locks, scheduler)

- ``seen_urls``: per article URL, the validators and content hash of its last full fetch,
  for conditional re-crawls (models/fetchstate.py).
- ``crawl_locks``: one row per site being crawled, with its holder and expiry
  (models/crawllock.py).
- ``apscheduler_jobs``: the job store of ``newsdesk schedule``, in APScheduler 3's own
  layout (SQLAlchemyJobStore would otherwise create it itself, outside the migrations).
- ``crawl_runs.origin`` (what started the run) and ``crawl_runs.message`` (why it failed
  or was skipped).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_seen_urls_site_id_sites")),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL",
                                name=op.f("fk_seen_urls_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_urls")),
        sa.UniqueConstraint("url", name=op.f("uq_seen_urls_url")),
    )
    op.create_index(op.f("ix_seen_urls_site_id"), "seen_urls", ["site_id"], unique=False)
    op.create_index(op.f("ix_seen_urls_article_id"), "seen_urls", ["article_id"], unique=False)

    op.create_table(
        "crawl_locks",
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="SET NULL",
                                name=op.f("fk_crawl_locks_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_crawl_locks")),
    )

    # Exactly the table APScheduler 3's SQLAlchemyJobStore defines (it checks for the table
    # by name and leaves an existing one alone).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    op.create_index(op.f("ix_apscheduler_jobs_next_run_time"), "apscheduler_jobs", ["next_run_time"], unique=False)

    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("message")
        batch_op.drop_column("origin")
    op.drop_index(op.f("ix_apscheduler_jobs_next_run_time"), table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_table("crawl_locks")
    op.drop_index(op.f("ix_seen_urls_article_id"), table_name="seen_urls")
    op.drop_index(op.f("ix_seen_urls_site_id"), table_name="seen_urls")
    op.drop_table("seen_urls")
