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
            "forget", "extract", "health"]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1 (or .code)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk", description="Crawl news sites into a clean database of articles and comment threads.")
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


def require_database(url: str) -> None:
    """The analyst commands read an existing database: say so when there is none at ``url``."""
    from models.db import has_schema

    if not has_schema(url):
        raise CommandError(f"no newsdesk database at {url} (run `newsdesk db upgrade` or a crawl first)")


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
            print(f"newsdesk {args.command}: database error: {exc.orig}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    # `python -m crawler.cli` runs this file as __main__, a second copy of the module: the
    # commands raise crawler.cli.CommandError, so call main() of the imported module, whose
    # except clauses name that same class.
    from crawler.cli import main as package_main

    sys.exit(package_main())
