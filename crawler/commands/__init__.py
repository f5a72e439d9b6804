"""One module per `newsdesk` subcommand: add_parser(subparsers) and run(args) -> exit code
(crawler/cli.py builds the parser from them), and what they share: the one-line user error,
the --db argument, the check that a database exists."""
from __future__ import annotations

import argparse

from models.db import has_schema


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1 (or .code)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH_OR_URL",
                        help="SQLite file or SQLAlchemy URL (default: $NEWSDESK_DATABASE_URL, else ./newsdesk.db)")


def require_database(url: str) -> None:
    """The analyst commands read an existing database: say so when there is none at ``url``."""
    if not has_schema(url):
        raise CommandError(f"no newsdesk database at {url} (run `newsdesk db upgrade` or a crawl first)")
