"""newsdesk db upgrade|current: the schema is Alembic's, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import argparse

from models.db import current_revision, head_revision, resolve_url, upgrade

from . import add_db_argument


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("db", help="database schema: upgrade or show the current revision")
    p.add_argument("action", choices=["upgrade", "current"])
    add_db_argument(p)
    return p


def run(args) -> int:
    url = resolve_url(args.db)
    if args.action == "upgrade":
        upgrade(url)
    rev = current_revision(url)
    print(f"{rev or '(empty)'}{' (head)' if rev == head_revision() else ''}")
    return 0
