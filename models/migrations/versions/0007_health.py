"""extraction health per run, and the problems monitors found (issue 14)

Revision ID: 0007
Revises: 0006 (0005 until the archive migration 0006 is on main)
Create Date: 2026-12-03

``run_health``: one row per crawl run with the field coverage of the articles it stored,
comments per article, threads failed, the share of pages classified as articles, error and
skip rates (by reason in ``reasons_json``), pages/s, and the share of article pages each
per-site selector rule matched (``rule_hits_json``). ``health_problems``: what a monitor
found wrong with a site, from when it opened to when a later check found it gone (alerts go
out once at each end). ``crawl_runs.status`` gains the value ``degraded`` (no DDL: a string).
New tables only: the FTS triggers and views of 0002 are untouched.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COVERAGE = ("title", "authors", "published", "body", "section", "image", "language")


def upgrade() -> None:
    op.create_table(
        "run_health",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id", ondelete="CASCADE",
                                                        name="fk_run_health_run_id_crawl_runs"), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id", name="fk_run_health_site_id_sites")),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        *[sa.Column(f"{name}_coverage", sa.Float()) for name in COVERAGE],
        sa.Column("comments_per_article", sa.Float()),
        sa.Column("comment_threads_failed", sa.Integer(), nullable=False),
        sa.Column("article_share", sa.Float()),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("error_rate", sa.Float()),
        sa.Column("skip_rate", sa.Float()),
        sa.Column("reasons_json", sa.Text()),
        sa.Column("pages_per_second", sa.Float()),
        sa.Column("rule_hits_json", sa.Text()),
        sa.Column("problems_json", sa.Text()),
        sa.PrimaryKeyConstraint("run_id", name="pk_run_health"),
    )
    op.create_index("ix_run_health_site_run", "run_health", ["site_id", "run_id"])
    op.create_table(
        "health_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id", name="fk_health_problems_site_id_sites"),
                  nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_run_id", sa.Integer(), sa.ForeignKey(
            "crawl_runs.id", ondelete="SET NULL", name="fk_health_problems_opened_run_id_crawl_runs")),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
        sa.Column("cleared_run_id", sa.Integer(), sa.ForeignKey(
            "crawl_runs.id", ondelete="SET NULL", name="fk_health_problems_cleared_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("id", name="pk_health_problems"),
    )
    op.create_index("ix_health_problems_site_open", "health_problems", ["site_id", "cleared_at"])


def downgrade() -> None:
    op.drop_index("ix_health_problems_site_open", table_name="health_problems")
    op.drop_table("health_problems")
    op.drop_index("ix_run_health_site_run", table_name="run_health")
    op.drop_table("run_health")
