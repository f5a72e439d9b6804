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
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy.exc import OperationalError

from models.db import DatabaseConfigError

# Shared by the commands, which import them from crawler.commands; named here too for code
# written against crawler.cli.
from .commands import CommandError, add_db_argument, require_database  # noqa: F401
from .sites import ConfigError

COMMANDS = ["demo", "crawl", "db", "search", "export", "stats", "serve", "duplicates", "schedule", "runs", "cron",
            "forget", "extract", "reextract", "import-warc", "health"]


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line reported as one line (the usage is one --help away),
    and no abbreviated options: `--site` must not quietly mean `--sites`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _version() -> str:
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
        module = importlib.import_module(f"crawler.commands.{name.replace('-', '_')}")
        p = module.add_parser(sub)
        p.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
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
