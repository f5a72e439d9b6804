"""The ``newsdesk`` command: a thin layer that parses arguments and calls the same
functions the tests call. Each subcommand lives in crawler/commands/NAME.py with
``add_parser(subparsers)`` and ``run(args) -> int``.

Every error a user can cause (bad configuration, unknown site, unreachable URL, bad
--db) ends with one line on stderr naming the problem and a non-zero exit, never a
traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ["demo", "crawl", "db", "search", "export", "stats", "serve", "duplicates", "schedule", "runs", "cron",
            "forget", "extract"]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1 (or .code)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line reported as one line (the usage is one --help away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsdesk")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="newsdesk", description="Crawl news sites into a clean database of articles and comment threads.")
    parser.add_argument("--version", action="version", version=f"newsdesk {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"crawler.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(handler=module.run)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH_OR_URL",
                        help="SQLite file or SQLAlchemy URL (default: $NEWSDESK_DATABASE_URL, else ./newsdesk.db)")


def port_number(text: str) -> int:
    """argparse type of --port: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def console():
    """A rich Console for command output. Piped or captured output is not a terminal, whose
    width rich would take as 80 columns: URLs and table cells would wrap mid-word there."""
    from rich.console import Console

    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = max(out.width, 250)
    return out


def require_site(session, name: str | None) -> None:
    """An unknown --site is an error, the same in every command."""
    if not name:
        return
    from sqlalchemy import select

    from models.tables import Site

    if session.scalar(select(Site.id).where(Site.name == name)) is None:
        known = ", ".join(session.scalars(select(Site.name).order_by(Site.name))) or "none yet"
        raise CommandError(f"no site named {name!r} in the database (sites: {known})")


def require_database(url: str) -> None:
    """The analyst commands read an existing database: say so when there is none at ``url``."""
    from models.db import display_url, has_schema

    if not has_schema(url):
        raise CommandError(f"no newsdesk database at {display_url(url)} (run `newsdesk db upgrade` or a crawl first)")


def main(argv: list[str] | None = None) -> int:
    from models.db import DatabaseConfigError

    from .sites import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (CommandError, ConfigError, DatabaseConfigError) as exc:
        print(f"newsdesk {args.command}: error: {exc}", file=sys.stderr)
        return getattr(exc, "code", 1) if isinstance(exc, CommandError) else 2
    except KeyboardInterrupt:
        print(f"newsdesk {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # database down, disk full...: one line, and the class for a bug report
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            # psycopg's messages run over several lines ("connection refused\n\tIs the server running...").
            reason = " ".join(line.strip() for line in str(exc.orig).splitlines() if line.strip())
            print(f"newsdesk {args.command}: database error: {reason}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    # `python -m crawler.cli` runs this file as __main__, a second copy of the module: the
    # commands raise crawler.cli.CommandError, so call main() of the imported module, whose
    # except clauses name that same class.
    from crawler.cli import main as package_main

    sys.exit(package_main())
