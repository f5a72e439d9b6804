"""newsdesk extract PATH_OR_URL...: what newsdesk makes of any page, every field and the comments
(like ``scrapy parse``), through the same entry point the spider uses.

A path is read as bytes (gzip'd files are recognised by their magic number); an http(s) URL
is fetched. One input prints one JSON document; several print one JSON object per line, each
with its ``path``. A page that is not an article (a listing, an error page, a PDF, empty
bytes) gets one line on stderr saying so, and the exit code is 1.
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from .. import settings as defaults
from ..extract import NotAnArticle, extract_page
from ..extract.comments import extract_comments, parse_comment_response
from ..extract.comments.assembly import ThreadAssembly
from ..extract.page import Page
from . import CommandError

_USER_AGENT = "newsdesk-extract (+https://github.com/newsdesk)"
_MAX_BYTES = 20 * 1024 * 1024


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("extract", help="print every field newsdesk extracts from pages (files or URLs)",
                       description="Extract the article (title, authors, dates, body, comments...) from saved "
                                   "pages or URLs and print it as JSON.")
    p.add_argument("inputs", nargs="+", metavar="PATH_OR_URL", help="an HTML file (may be gzip'd) or an http(s) URL")
    p.add_argument("--url", help="the page's URL, for a saved file (relative links, dates in the URL)")
    p.add_argument("--format", choices=("json", "jsonl"),
                   help="json: one indented document (default for one input); jsonl: one object per line "
                        "(default for several)")
    p.add_argument("--no-comments", action="store_true", help="skip the comment thread")
    return p


class InputError(Exception):
    """An input that cannot be read or fetched (one line for the user)."""


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def read_file(path: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file") from None
    except IsADirectoryError:
        raise InputError("is a directory") from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"broken gzip file ({exc})") from None
    return data


def fetch(url: str) -> tuple[bytes, str | None, str]:
    """(body, charset from Content-Type, final URL) of one GET; HTTP errors are input errors."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept": "text/html,*/*"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read(_MAX_BYTES + 1)
            if len(body) > _MAX_BYTES:
                raise InputError(f"larger than {_MAX_BYTES // (1024 * 1024)} MB")
            return body, response.headers.get_content_charset(), response.geturl()
    except urllib.error.HTTPError as exc:
        raise InputError(f"not an article: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise InputError(f"could not fetch: {exc.reason}") from None
    except (TimeoutError, OSError, ValueError) as exc:
        raise InputError(f"could not fetch: {exc}") from None


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def article_record(item, path: str) -> dict:
    record = {"path": path}
    record.update(_jsonable(dataclasses.asdict(item)))
    return record


def extract_one(source: str, url: str | None, with_comments: bool) -> dict:
    if _is_url(source):
        body, charset, final_url = fetch(source)
        item = extract_page(body, url or final_url, encoding=charset, with_comments=with_comments,
                            require_article=True)
        partial: list[str] = []
        if with_comments and item.comments_complete is False:
            item, partial = follow_comment_pages(item, body, final_url, charset)
    else:
        body = read_file(source)
        page_url = url or Path(source).resolve().as_uri()
        item = extract_page(body, page_url, with_comments=with_comments, require_article=True)
        partial = []
    record = article_record(item, source)
    if partial:  # not a field of the item: the comment systems that can never show a whole thread
        record["comment_partial_sources"] = partial
    return record


def follow_comment_pages(item, body: bytes, url: str, charset: str | None) -> tuple[object, list[str]]:
    """Fetch the further pages of the comment thread and merge them, with the spider's
    ThreadAssembly (the same rule for "complete"); also the sources that hold only part of it."""
    assembly = ThreadAssembly(url, defaults.NEWSDESK_MAX_COMMENT_PAGES)
    assembly.read(lambda: extract_comments(Page.parse(body, url, encoding=charset)))
    while (request := assembly.next_request()) is not None:
        try:
            page_body, _, page_url = fetch(request.url)
        except InputError as exc:
            assembly.fail(f"comment page not fetched ({exc})")
            continue
        if assembly.read(lambda: parse_comment_response(request.kind, page_body, page_url)) is None:  # noqa: B023 - called at once
            assembly.fail(f"unreadable {request.kind} response")
    thread = assembly.result()
    item = dataclasses.replace(item, comments=thread.comments, comment_count_reported=thread.reported_count,
                               comment_errors=thread.errors, comments_complete=thread.complete)
    return item, thread.partial_sources


def thread_note(record: dict) -> str | None:
    """One line saying why the printed thread is not the whole thread, when it is not."""
    if record.get("comments_complete") is not False:
        return None
    if errors := record.get("comment_errors"):
        return "comment thread incomplete: " + "; ".join(errors)
    if partial := record.get("comment_partial_sources"):
        return ("comment thread incomplete: read from " + ", ".join(partial)
                + ", which shows only part of a thread (a WordPress comment feed holds the newest comments)")
    return None


def run(args) -> int:
    if args.url and len(args.inputs) > 1:
        raise CommandError("--url names the URL of one saved page; give one PATH with it", code=2)
    fmt = args.format or ("json" if len(args.inputs) == 1 else "jsonl")
    failed = 0
    for source in args.inputs:
        try:
            record = extract_one(source, args.url, not args.no_comments)
        except NotAnArticle as exc:
            failed += 1
            print(f"newsdesk extract: {source}: not an article: {exc.reason}", file=sys.stderr)
            continue
        except InputError as exc:
            failed += 1
            print(f"newsdesk extract: {source}: {exc}", file=sys.stderr)
            continue
        except Exception as exc:  # a page nobody foresaw: say which and go on with the others
            failed += 1
            print(f"newsdesk extract: {source}: extraction failed ({type(exc).__name__}: {exc})", file=sys.stderr)
            continue
        if note := thread_note(record):
            print(f"newsdesk extract: {source}: {note}", file=sys.stderr)
        try:
            print(json.dumps(record, ensure_ascii=False, indent=2 if fmt == "json" else None))
            sys.stdout.flush()
        except BrokenPipeError:  # `newsdesk extract ... | head`: the reader has what it wanted
            sys.stderr.close()
            return 0
    return 1 if failed else 0
