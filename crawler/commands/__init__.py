"""One module per `newsdesk` subcommand: add_parser(subparsers) and run(args) -> exit code
(crawler/cli.py builds the parser from them), and what they share: the one-line user error,
the --db argument, the check that a database exists."""
from __future__ import annotations

import argparse

from rich.console import Console
from sqlalchemy import select

from models.db import display_url, has_schema
from models.tables import Site


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
        raise CommandError(f"no newsdesk database at {display_url(url)} (run `newsdesk db upgrade` or a crawl first)")


def require_site(session, name: str | None) -> None:
    """An unknown --site is an error, the same in every command."""
    if not name:
        return
    if session.scalar(select(Site.id).where(Site.name == name)) is None:
        known = ", ".join(session.scalars(select(Site.name).order_by(Site.name))) or "none yet"
        raise CommandError(f"no site named {name!r} in the database (sites: {known})")


def port_number(text: str) -> int:
    """argparse type of --port: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def console() -> Console:
    """A rich Console for command output. Piped or captured output is not a terminal, whose
    width rich would take as 80 columns: URLs and table cells would wrap mid-word there."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = max(out.width, 250)
    return out
