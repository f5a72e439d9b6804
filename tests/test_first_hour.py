"""A first hour as a new user lives it: every command of the README's table used wrongly once
ends with one line on stderr naming the problem, a non-zero exit, no traceback and no file
left behind; piped output keeps URLs whole; `--version` answers.

Argument and configuration errors are checked in-process (crawler.cli.main, as the console
script calls it); only what needs the real engine runs as a child process.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from helpers import REPO, run_newsdesk, run_scrapy
from models.db import resolve_url, session_factory, upgrade
from storage_corpus import article, seed_corpus

pytestmark = pytest.mark.e2e  # the real commands in child processes

UNREACHABLE_PG = "postgresql+psycopg://postgres:SECRET@127.0.0.1:1/news"
LONG_URL = "https://goldwater.example/2016/12/" + "a-very-long-headline-slug-" * 6 + "end"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty current directory (where ./newsdesk.db would appear) and no database in the environment."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("NEWSDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("NEWSDESK_DEMO_URL", raising=False)
    return cwd


@pytest.fixture
def news_db(tmp_path) -> str:
    """A small database (outside the working directory) with a long article URL."""
    from models import repository

    path = tmp_path / "news.db"
    url = resolve_url(str(path))
    upgrade(url)
    with session_factory(url).begin() as session:
        seed_corpus(session)
        site = repository.ensure_site(session, "goldwater")
        repository.save_article(session, site, article(LONG_URL, "Lavrov's long headline",
                                                       "Lavrov spoke at length. " * 30))
    return str(path)


def newsdesk(capsys, *args: str) -> tuple[int, str, str]:
    """`newsdesk ARGS` in this process: (exit code, stdout, stderr)."""
    from crawler.cli import main

    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse: --help, --version, a bad command line
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


WRONG_USAGES = [
    # (command line, what the one line must say); {db} is an existing database
    (["demo", "--site", "forum"], "unrecognized arguments: --site forum"),
    (["demo", "--sites", "/nonexistent/sites.toml"], "no such file"),
    (["demo", "--db", "/nonexistent/dir/news.db"], "directory /nonexistent/dir does not exist"),
    (["crawl", "demo", "-s", "DOWNLOAD_DELAY=abc"], "DOWNLOAD_DELAY=abc: expects a number"),
    (["crawl", "demo", "--url", "notaurl"], "'notaurl' is not an http(s) URL"),
    (["crawl", "demo"], "NEWSDESK_DEMO_URL"),
    (["crawl", "demo", "--db", UNREACHABLE_PG, "--sites", "{sites}"], "Connection refused"),
    (["schedule", "--now"], "NEWSDESK_DEMO_URL"),
    (["schedule", "--max-parallel", "0"], "--max-parallel must be at least 1"),
    (["runs", "--db", "{db}", "--site", "nosuch"], "no site named 'nosuch'"),
    (["runs", "--db", UNREACHABLE_PG], "Connection refused"),
    (["cron", "--log-dir", "/nonexistent"], "--log-dir '/nonexistent' is not a directory"),
    (["forget", "--db", "{db}", "notaurl"], "not an http(s) URL"),
    (["search", "Lavrov", "--db", "{db}", "--site", "nosuch"], "no site named 'nosuch'"),
    (["search", "Lavrov"], "no newsdesk database at"),
    (["export", "--db", "{db}", "--output", "/nonexistent/dir/x.csv"], "directory /nonexistent/dir does not exist"),
    (["stats", "--db", "{db}", "--site", "nosuch"], "no site named 'nosuch'"),
    (["stats", "--db", "{db}", "--days", "-1"], "--days must be at least 1"),
    (["stats", "--db", "postgresql+nodriver://postgres@127.0.0.1/news"], "no database driver 'postgresql+nodriver'"),
    (["stats", "--db", "postgresql+pg8000://postgres@127.0.0.1/news"], "driver of postgresql+pg8000 is not installed"),
    (["stats", "--db", UNREACHABLE_PG], "Connection refused"),
    (["serve", "--db", "{db}", "--port", "99999"], "99999 is not a port number"),
    (["serve", "--db", "{db}", "--port", "{busy}"], "Address already in use"),
    (["serve", "--db", "{db}", "--app", "builtin", "--port", "{busy}"], "Address already in use"),
    (["duplicates", "--db", "{db}", "--limit", "-1"], "--limit must be 0"),
    (["db", "current", "--db", "/nonexistent/dir/news.db"], "directory /nonexistent/dir does not exist"),
    (["db", "downgrade"], "invalid choice: 'downgrade'"),
    (["extract", "/nonexistent/page.html"], "no such file"),
]


@pytest.mark.parametrize("argv,message", WRONG_USAGES, ids=[" ".join(a[:3]) for a, _ in WRONG_USAGES])
def test_wrong_usage_is_one_clear_line(argv, message, workdir, news_db, capsys, monkeypatch):
    monkeypatch.chdir(REPO) if argv[0] in ("crawl", "schedule", "cron") else None  # the repository's sites.toml
    sites = workdir.parent / "sites.toml"
    sites.write_text('[sites.demo]\nstart_urls = ["http://127.0.0.1:1/"]\n', encoding="utf-8")
    before = sorted(p.name for p in workdir.iterdir()) + sorted(p.name for p in REPO.iterdir())
    with _busy_port() as busy:
        args = [a.format(db=news_db, busy=busy.getsockname()[1], sites=sites) for a in argv]
        code, _, err = newsdesk(capsys, *args)
    assert_one_line_error(code, err, message)
    assert "SECRET" not in err
    assert sorted(p.name for p in workdir.iterdir()) + sorted(p.name for p in REPO.iterdir()) == before, \
        "a failed command left a file behind"


def test_a_start_url_that_cannot_be_reached_fails_the_crawl(demo_site, tmp_path):
    # The site's feed answers; the page asked for with --url does not: that is not a success.
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[sites.x]\nfeeds = ["{demo_site.url}/feed/"]\nmax_pages = 3\n', encoding="utf-8")
    result = run_newsdesk("crawl", "x", "--sites", str(sites), "--db", str(tmp_path / "x.db"),
                          "--url", "http://127.0.0.1:1/", "-s", "RETRY_TIMES=0", timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("newsdesk crawl: error: could not reach --url: "
                                                             "http://127.0.0.1:1/")
    assert "Traceback" not in result.stderr


def test_scrapy_crawl_of_an_unknown_site_is_one_clear_error(tmp_path):
    result = run_scrapy("crawl", "news", "-a", "site=nosuch", "-s", "LOG_LEVEL=ERROR", cwd=REPO, timeout=120)
    assert "no site named 'nosuch'" in result.stderr and "Traceback" not in result.stderr
    assert not (REPO / "newsdesk.db").exists()


def test_looking_at_a_database_that_is_not_there_creates_none(workdir, capsys):
    for argv in (["db", "current"], ["schedule", "--list"]):
        code, out, err = newsdesk(capsys, *argv)
        assert code == 0 and err == "" and out.strip() in ("(empty)", "no scheduled jobs in this database "
                                                                       "(start `newsdesk schedule` once)")
    assert list(workdir.iterdir()) == []


def test_version(capsys):
    code, out, _ = newsdesk(capsys, "--version")
    assert code == 0 and out.startswith("newsdesk ")


def test_piped_output_keeps_urls_whole(news_db, capsys):
    code, out, _ = newsdesk(capsys, "search", "Lavrov long", "--db", news_db)
    assert code == 0 and f"    {LONG_URL}\n" in out


def test_database_passwords_are_never_printed(monkeypatch):
    from crawler.commands.demo import next_commands
    from models.db import display_url

    assert display_url(UNREACHABLE_PG) == "postgresql+psycopg://postgres:***@127.0.0.1:1/news"
    assert "SECRET" not in " ".join(next_commands("demo", display_url(UNREACHABLE_PG), {}))
