"""newsdesk db upgrade|current: the schema is Alembic's, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import argparse

from ..cli import CommandError, add_db_argument


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("db", help="database schema: upgrade or show the current revision")
    p.add_argument("action", choices=["upgrade", "current"])
    add_db_argument(p)
    return p


def run(args) -> int:
    from models.db import current_revision, display_url, head_revision, resolve_url, sqlite_file_missing, upgrade

    url = resolve_url(args.db)
    if args.action == "current" and sqlite_file_missing(url):
        raise CommandError(f"no database at {display_url(url)} (`newsdesk db upgrade` creates it)")
    if args.action == "upgrade":
        upgrade(url)
    rev = current_revision(url)
    print(f"{rev or '(empty)'}{' (head)' if rev == head_revision() else ''}")
    return 0
