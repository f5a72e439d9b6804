"""What the tests share besides fixtures (those stay in conftest.py): the real `newsdesk` and
`scrapy` commands in child processes, a demo site that holds its answers until a test lets
them through, the small sites.toml blocks the scheduling, lock and re-crawl tests write,
reading the database, and waiting for a condition with a deadline.

A test that starts a child process through run_newsdesk/start_newsdesk/run_scrapy must carry
the ``e2e`` marker (conftest.py sets ``current_test_is_e2e`` before each test's fixtures run):
``pytest -m "not e2e"`` stays the fast in-process layer."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Set by conftest.py's pytest_runtest_setup for the test being set up (module fixtures included).
current_test_is_e2e = False


def _require_e2e(what: str) -> None:
    if not current_test_is_e2e:
        raise AssertionError(f"{what} starts a child process: mark the test (or its module) "
                             "with @pytest.mark.e2e, so that `pytest -m 'not e2e'` stays fast")


# Every site a test crawls is on 127.0.0.1, which a crawl refuses by default
# (crawler/downloadermiddlewares/safety.py); a test passing env={...: ""} checks that default.
LOCAL_CRAWLS = {"NEWSDESK_ALLOW_PRIVATE_ADDRESSES": "1"}


def _env(extra: dict | None) -> dict:
    return {**os.environ, **LOCAL_CRAWLS, "PYTHONPATH": str(REPO), **(extra or {})}


def run_newsdesk(*args: str, env: dict | None = None, timeout: float = 300, cwd: Path = REPO):
    """Run the real `newsdesk` command (as `python -m crawler.cli`) in a child process."""
    _require_e2e("run_newsdesk")
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env=_env(env),
                          capture_output=True, text=True, timeout=timeout)


def start_newsdesk(*args: str, log: Path, env: dict | None = None, cwd: Path = REPO) -> subprocess.Popen:
    """Start the real `newsdesk` command in the background (a scheduler, a crawl to race or
    kill); its output goes to ``log``."""
    _require_e2e("start_newsdesk")
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, env=_env(env),
                                stdout=out, stderr=subprocess.STDOUT, text=True)


def start_scrapy(*args: str, log: Path, env: dict | None = None, cwd: Path = REPO) -> subprocess.Popen:
    """Start `scrapy` in the background; its output goes to ``log``."""
    _require_e2e("start_scrapy")
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=_env(env),
                                stdout=out, stderr=subprocess.STDOUT, text=True)


def run_scrapy(*args: str, env: dict | None = None, timeout: float = 300, cwd: Path = REPO):
    _require_e2e("run_scrapy")
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=_env(env),
                          capture_output=True, text=True, timeout=timeout)


def crawl_demo(site, db: str | Path, *extra: str, site_name: str = "demo", timeout: float = 300):
    """`newsdesk crawl demo --db DB` against a running DemoSite; fails the test on a non-zero exit."""
    result = run_newsdesk("crawl", site_name, "--db", str(db), *extra,
                          env={"NEWSDESK_DEMO_URL": site.url}, timeout=timeout)
    assert result.returncode == 0, f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


class SiteControl:
    """Events instead of delays for a demo site in a test. While the gate is closed the site
    holds its answers, so a crawl is under way, and stays under way, for exactly as long as
    the test needs (until a kill, a stop request, three rivals skipped), however fast or slow
    the machine is; ``site.delay`` would only make that likely. ``before_each_request`` changes
    the site at a moment the crawl defines (e.g. the first request after a run was recorded
    finished), not at a moment the test hopes is between two crawls."""

    def __init__(self, site):
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._before: list = []
        handle = site._handle

        def controlled(h):
            with self._lock:  # one request at a time through the hooks: each change happens once
                for action in self._before:
                    action()
            # Bounded, so that a test that forgets to open the gate fails instead of hanging.
            self._open.wait(600)
            try:
                handle(h)
            except OSError:  # the crawler went away (killed) while its request was held
                pass

        site._handle = controlled

    def close(self):
        self._open.clear()

    def open(self):
        self._open.set()

    def before_each_request(self, action) -> None:
        """Call ``action()`` before every request is answered (it decides whether it is time)."""
        with self._lock:
            self._before.append(action)


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
    """Poll ``condition`` until it returns something true; the timeout only ends a test that
    would otherwise hang, so make it generous (minutes): it never decides a pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    tail = log.read_text(encoding="utf-8")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


def log_says(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text(encoding="utf-8", errors="replace")


def statuses(requests: list[tuple[str, str, int]], path: str) -> list[int]:
    return [status for _, p, status in requests if p == path]


def first_index(requests: list[tuple[str, str, int]], paths) -> int:
    paths = set(paths)
    return next(i for i, (_, p, _) in enumerate(requests) if p in paths)
