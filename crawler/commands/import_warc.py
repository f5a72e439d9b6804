"""newsdesk import-warc PATH_OR_URL...: articles (and their comment threads) out of WARC files.

Inputs: WARC files (``.warc.gz`` or ``.warc``), glob patterns, directories (their WARC files),
listing files (one path or URL a line, gzip'd or not: Common Crawl's ``warc.paths.gz``, whose
``crawl-data/CC-NEWS/...`` paths are read against ``--base-url``), and http(s) URLs of any of
these (a WARC is downloaded into ``--cache`` first). What runs is crawler/warc/importer.py: every
core extracting, one writer, resumable per file and offset.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import os
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import CommandError, add_db_argument

CC_BASE_URL = "https://data.commoncrawl.org/"
_LISTING_SUFFIXES = (".paths", ".paths.gz", ".txt", ".txt.gz", ".lst", ".list")
_WARC_SUFFIXES = (".warc", ".warc.gz")


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("import-warc", help="import the articles and comment threads of WARC files (CC-NEWS too)",
                       description="Run every HTML response of WARC files through extraction, cleaning, "
                                   "deduplication and storage, on every core; an interrupted import goes on "
                                   "where it stopped when run again.")
    p.add_argument("inputs", nargs="+", metavar="PATH_OR_URL",
                   help="WARC file, glob, directory, file listing paths (warc.paths.gz), or an http(s) URL of one")
    p.add_argument("--workers", type=int, metavar="N", help="extraction processes (default: one per core)")
    p.add_argument("--site", help="store every article under this site (default: from each page's host)")
    p.add_argument("--sites", metavar="FILE", help="sites file whose rules apply by host (default: $NEWSDESK_SITES, else ./sites.toml)")
    p.add_argument("--base-url", default=CC_BASE_URL,
                   help=f"what relative paths in a listing are relative to (default {CC_BASE_URL})")
    p.add_argument("--cache", default="warc-cache", metavar="DIR", help="where downloaded WARC files go (default ./warc-cache)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a setting (repeatable), e.g. NEWSDESK_MIN_BODY_WORDS=50")
    add_db_argument(p)
    return p


# --- inputs --------------------------------------------------------------------------------

def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _read_lines(data: bytes) -> list[str]:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [line.strip() for line in data.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _looks_like_listing(path: Path) -> bool:
    """A listing of paths or URLs (by its name, else by its first line); anything else is read as WARC."""
    if path.name.endswith(_WARC_SUFFIXES):
        return False
    if path.name.endswith(_LISTING_SUFFIXES):
        return True
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        with open(path, "rb") as fh:
            head = fh.read(4096)
    first = head.split(b"\n", 1)[0].strip()
    return bool(first) and not head.startswith(b"WARC/") and (
        first.startswith((b"/", b"./", b"http://", b"https://", b"crawl-data/"))
        or first.endswith((b".warc", b".warc.gz")))


def download(url: str, cache: Path) -> str:
    """A remote WARC, downloaded once into the cache (under its own name) and read from there."""
    import urllib.error
    import urllib.request

    cache.mkdir(parents=True, exist_ok=True)
    target = cache / (Path(urlsplit(url).path).name or "download.warc.gz")
    if target.exists():
        return str(target)
    part = target.with_name(target.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": "newsdesk import-warc"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response, open(part, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise CommandError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None
    part.rename(target)
    return str(target)


def fetch_listing(url: str) -> list[str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "newsdesk import-warc"}),
                                    timeout=60) as response:
            return _read_lines(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CommandError(f"cannot read listing {url}: {getattr(exc, 'reason', exc)}") from None


def expand_inputs(inputs: list[str], *, base_url: str, cache: Path, depth: int = 0) -> list[str]:
    """Local WARC paths, in the order given (a file named twice is read once)."""
    out: list[str] = []
    for item in inputs:
        if _is_url(item):
            name = urlsplit(item).path
            if name.endswith(_LISTING_SUFFIXES) and depth == 0:
                out += expand_inputs([urljoin(item, line) if not _is_url(line) and not line.startswith("crawl-data/")
                                      else urljoin(base_url, line) if not _is_url(line) else line
                                      for line in fetch_listing(item)], base_url=base_url, cache=cache, depth=1)
            else:
                out.append(download(item, cache))
            continue
        matches = sorted(glob.glob(item, recursive=True)) if glob.has_magic(item) else [item]
        if not matches:
            raise CommandError(f"{item}: no file matches", code=2)
        for match in matches:
            path = Path(match)
            if path.is_dir():
                out += sorted(str(p) for p in path.rglob("*") if p.name.endswith(_WARC_SUFFIXES))
            elif not path.exists():
                raise CommandError(f"{item}: no such file", code=2)
            elif depth == 0 and _looks_like_listing(path):
                lines = _read_lines(path.read_bytes())
                resolved = []
                for line in lines:
                    if _is_url(line):
                        resolved.append(line)
                    elif line.startswith("crawl-data/"):  # Common Crawl's layout
                        local = path.parent / line
                        resolved.append(str(local) if local.exists() else urljoin(base_url, line))
                    else:
                        resolved.append(str(path.parent / line) if not os.path.isabs(line) else line)
                out += expand_inputs(resolved, base_url=base_url, cache=cache, depth=1)
            else:
                out.append(str(path))
    return list(dict.fromkeys(os.path.abspath(p) for p in out))


# --- progress ------------------------------------------------------------------------------

def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ImportProgress:
    """One line: records done of the file, articles stored, rate, ETA. Redrawn in place on a
    terminal; a plain line every ``interval`` seconds otherwise (logs, tests)."""

    def __init__(self, stream=None, interval: float | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() and os.environ.get("NEWSDESK_PROGRESS") != "log"
        self.interval = interval if interval is not None else (0.5 if self.live else 5.0)
        self.articles_before = 0
        self.articles = 0

    def indexing(self, path: str, position: tuple[int, int]) -> None:
        self._line(f"file {position[0]}/{position[1]} {Path(path).name}: indexing records", force=True)

    def start_file(self, path: str, position: tuple[int, int], *, total: int, done: int) -> None:
        self.name, self.position, self.total, self.first = Path(path).name, position, total, done
        self.done, self.started, self.shown = done, time.monotonic(), 0.0
        self.articles_before += self.articles
        self.articles = 0
        if done:
            self._line(f"file {position[0]}/{position[1]} {self.name}: resuming after {done:,} records done before",
                       force=True)

    def advance(self, done: int, *, articles: int, final: bool = False) -> None:
        self.done, self.articles = done, articles
        now = time.monotonic()
        if not final and now - self.shown < self.interval:
            return
        self.shown = now
        elapsed = max(now - self.started, 1e-6)
        rate = (self.done - self.first) / elapsed
        left = self.total - self.done
        eta = _duration(left / rate) if rate > 0 and left else "-"
        pct = 100.0 * self.done / self.total if self.total else 100.0
        self._line(f"file {self.position[0]}/{self.position[1]} {self.name}: records {self.done:,}/{self.total:,} "
                   f"({pct:.0f}%) | articles {self.articles_before + self.articles:,} | {rate:.1f} records/s | "
                   f"ETA {eta}", force=final)

    def _line(self, text: str, force: bool = False) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K" + text + ("\n" if force else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


# --- the command ---------------------------------------------------------------------------

def run(args) -> int:
    from models.db import resolve_url

    from ..sites import config_path, load_sites
    from ..warc.importer import NotAWarc, WarcImporter
    from .crawl import parse_overrides

    db_url = resolve_url(args.db)
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be at least 1", code=2)
    overrides = parse_overrides(args.set)
    sites = load_sites(args.sites) if (args.sites or config_path(None).exists()) else {}
    paths = expand_inputs(args.inputs, base_url=args.base_url, cache=Path(args.cache))
    if not paths:
        raise CommandError("no WARC files in the inputs", code=2)
    progress = ImportProgress()
    importer = WarcImporter(db_url, sites=sites, forced_site=args.site, workers=args.workers,
                            overrides=overrides, progress=progress)
    importer.open()
    reason = "finished"
    outcomes = []
    started = time.monotonic()
    try:
        for n, path in enumerate(paths, 1):
            outcome = importer.import_file(path, (n, len(paths)))
            if outcome.already_done:
                print(f"{path}: already imported, skipped", file=sys.stderr)
            outcomes.append(outcome)
    except KeyboardInterrupt:
        reason = "cancelled"
        raise
    except NotAWarc as exc:
        reason = "failed"
        raise CommandError(str(exc)) from None
    except Exception:
        reason = "failed"
        raise
    finally:
        importer.close(reason)
    stats = importer.stats.get_stats()
    seconds = time.monotonic() - started
    records = sum(o.records for o in outcomes)
    print(f"imported {len(paths)} WARC file(s) into {db_url} in {seconds:.1f}s: {records:,} HTML records read "
          f"({records / seconds if seconds else 0:.1f}/s), articles {stats.get('newsdesk/articles_new', 0)} new, "
          f"{stats.get('newsdesk/articles_updated', 0)} updated, {stats.get('newsdesk/articles_unchanged', 0)} "
          f"unchanged, {sum(v for k, v in stats.items() if k.startswith('newsdesk/duplicates/'))} duplicates; "
          f"comments {stats.get('newsdesk/comments_new', 0)} new")
    skipped = {k.rpartition("/")[2]: v for k, v in stats.items()
               if k.startswith(("newsdesk/skipped/", "newsdesk/articles_dropped/")) and v}
    if skipped:
        print("not stored: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])))
    return 0
