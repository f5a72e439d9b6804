"""What the scheduling, lock and re-crawl tests share: a small demo site's sites.toml, fresh
article bodies, reading the database, and waiting for a condition with a deadline."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

DENY = """deny_patterns = ['/tag/', '/author/', '/images/', '\\?replytocom=']"""
ARTICLE_PATTERN = r"""article_patterns = ['/\d{4}/\d{2}/\d{2}/[^/]+/$']"""


def site_block(name: str, url: str, *, schedule: str | None = None, concurrency: int = 1,
               revisit_days: float = 0, extra: str = "") -> str:
    """A [sites.NAME] table for a DemoSite at ``url``. revisit_days = 0 by default, so that
    every known article is asked conditionally whatever today's date is."""
    lines = [f"[sites.{name}]", f'start_urls = ["{url}/"]', f'feeds = ["{url}/feed/"]', ARTICLE_PATTERN, DENY,
             f"concurrency = {concurrency}", f"revisit_days = {revisit_days}"]
    if schedule:
        lines.append(f'schedule = "{schedule}"')
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n\n[sites." + name + ".rules]\ntimezone = \"America/New_York\"\ndate_order = \"MDY\"\n"


def write_sites(path: Path, *blocks: str) -> Path:
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def fresh_body(topic: str) -> list[str]:
    """Three paragraphs no other article has (distinct content hash, no near duplicate)."""
    words = topic.lower().split()
    return [f"Paragraph {n} on {topic}: " + " ".join(f"{w}{n}{i}" for i in range(12) for w in words) + "."
            for n in range(1, 4)]


def rows(db: Path, sql: str, *args) -> list[tuple]:
    """Rows from the SQLite database, or [] while the schema is not there yet."""
    if not Path(db).exists():
        return []
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise


def wait_for(condition, timeout: float, what: str, interval: float = 0.1, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    tail = log.read_text(encoding="utf-8")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


def statuses(requests: list[tuple[str, str, int]], path: str) -> list[int]:
    return [status for _, p, status in requests if p == path]


def first_index(requests: list[tuple[str, str, int]], paths) -> int:
    paths = set(paths)
    return next(i for i, (_, p, _) in enumerate(requests) if p in paths)
