"""newsdesk export: articles (and their comment threads) as CSV, JSON Lines or Parquet, streamed.

- ``jsonl``: one article per line; with ``--comments`` each article carries its thread
  as a ``comments`` list in reading order (the shape of the crawler's items).
- ``csv`` and ``parquet`` are flat: one row per article; with ``--comments`` one row per
  comment instead (with its article's id, URL and site), in reading order.

Rows are written as they are read, in batches, so memory stays flat on a database of any
size (bench/export.py measures it). Parquet needs pyarrow (the ``parquet`` extra).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from datetime import datetime
from typing import IO, Any, Iterable, Iterator

from models import export as rows
from models.db import get_engine, resolve_url
from models.export import DATETIME_COLUMNS

from . import CommandError, add_db_argument, require_database

FORMATS = ("csv", "jsonl", "parquet")
PARQUET_BATCH_ROWS = 1000


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="export articles (and comments) as CSV, JSON Lines or Parquet",
                       description="Stream articles, or with --comments their comment threads, to a file "
                                   "or stdout. jsonl nests each article's comments; csv and parquet write "
                                   "one row per comment with --comments.")
    p.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (default: jsonl)")
    p.add_argument("--site", help="only this site")
    p.add_argument("--since", metavar="DATE", help="only articles published on or after DATE (YYYY-MM-DD)")
    p.add_argument("--comments", action="store_true",
                   help="include comment threads (jsonl: nested; csv/parquet: one row per comment)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--batch-size", type=int, default=1000, help=argparse.SUPPRESS)
    add_db_argument(p)
    return p


# --- records -> formats -------------------------------------------------------------------

def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_jsonl(records: Iterable[dict], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps(record, default=_json_default, ensure_ascii=False))
        out.write("\n")
        n += 1
    return n


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(value)
    return value


def write_csv(records: Iterable[dict], columns: tuple[str, ...], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for record in records:
        writer.writerow([_csv_value(record[c]) for c in columns])
        n += 1
    return n


def parquet_schema(columns: tuple[str, ...]):
    import pyarrow as pa

    ints = {"article_id", "comment_id", "parent_id", "duplicate_of_id", "word_count", "comment_count",
            "position", "depth"}
    lists = {"authors", "tags"}

    def field_type(name: str):
        if name in DATETIME_COLUMNS:
            return pa.timestamp("us", tz="UTC")
        if name in ints:
            return pa.int64()
        if name in lists:
            return pa.list_(pa.string())
        return pa.string()

    return pa.schema([pa.field(c, field_type(c)) for c in columns])


def _batches(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(records: Iterable[dict], columns: tuple[str, ...], out, batch_rows: int = PARQUET_BATCH_ROWS) -> int:
    """One row group per batch: the writer never holds more than one batch."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise CommandError("--format parquet needs pyarrow: pip install 'newsdesk[parquet]'") from exc

    schema = parquet_schema(columns)
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in _batches(records, batch_rows):
            # Column by column: no per-row dicts for pyarrow to walk, and one row group per batch.
            writer.write_batch(pa.RecordBatch.from_pydict({c: [r[c] for r in batch] for c in columns}, schema=schema))
            n += len(batch)
    return n


def export(connection, fmt: str, out, *, site: str | None = None, since=None, comments: bool = False,
           batch_size: int = 1000) -> int:
    """Write the export to ``out`` (a text stream for csv/jsonl; a path or binary stream for
    parquet); returns the number of records written."""
    if fmt == "jsonl":
        records = (rows.iter_articles_with_comments if comments else rows.iter_articles)(
            connection, site, since, batch_size)
        return write_jsonl(records, out)
    if comments:
        records, columns = rows.iter_comments(connection, site, since, batch_size), rows.COMMENT_ROW_COLUMNS
    else:
        records, columns = rows.iter_articles(connection, site, since, batch_size), rows.ARTICLE_COLUMNS
    if fmt == "csv":
        return write_csv(records, columns, out)
    return write_parquet(records, columns, out)


def run(args) -> int:
    url = resolve_url(args.db)
    if args.since:
        try:
            datetime.fromisoformat(args.since)
        except ValueError:
            raise CommandError(f"--since expects a date like 2024-05-31, got {args.since!r}", code=2) from None
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CommandError("--format parquet needs pyarrow: pip install 'newsdesk[parquet]'") from None
        if not args.output and sys.stdout.isatty():
            raise CommandError("Parquet is binary: give --output FILE or redirect stdout", code=2)
    require_database(url)
    started = time.monotonic()
    engine = get_engine(url)
    with engine.connect() as connection:
        if args.format == "parquet":
            target = args.output or sys.stdout.buffer
            n = export(connection, "parquet", target, site=args.site, since=args.since,
                       comments=args.comments, batch_size=args.batch_size)
        elif args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                n = export(connection, args.format, out, site=args.site, since=args.since,
                           comments=args.comments, batch_size=args.batch_size)
        else:
            try:
                n = export(connection, args.format, sys.stdout, site=args.site, since=args.since,
                           comments=args.comments, batch_size=args.batch_size)
                sys.stdout.flush()
            except BrokenPipeError:
                # `newsdesk export | head`: the reader has had enough; not an error.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
    what = "comments" if args.comments and args.format != "jsonl" else "articles"
    if args.comments and args.format == "jsonl":
        what = "articles with their comments"
    print(f"exported {n} {what} as {args.format} to {args.output or 'stdout'} "
          f"in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0
