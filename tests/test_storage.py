"""Storage on both backends: every test here runs on SQLite (a temporary file) and on the
PostgreSQL server on 127.0.0.1 (a fresh database). With CI=true PostgreSQL must be there.

Writes go through models.repository.save_article as the store pipeline calls it; reads
are what an analyst or the CLI sees: search hits, views, the README's questions, exports.
"""
from __future__ import annotations

import csv
import json
import re
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, delete, func, select, text, update

from helpers import REPO, run_newsdesk
from models import repository
from models.db import current_revision, get_engine, head_revision, resolve_url, session_factory, upgrade
from models.search import search, search_comments
from models.tables import Article, ArticleVersion, Comment
from storage_corpus import (
    NEAR_DUPLICATE_URL,
    SEED_TITLE,
    SEED_URL,
    article,
    comment,
    seed_corpus,
    utc,
)

BACKENDS = ["sqlite", "postgresql"]
DOC = REPO / "docs" / "database.md"


# --- databases ----------------------------------------------------------------------------

def _new_pg_database(server_url: str) -> str:
    name = f"newsdesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(server_url: str, url: str) -> None:
    get_engine(url).dispose()
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def sqlite_corpus(tmp_path_factory) -> str:
    url = resolve_url(str(tmp_path_factory.mktemp("corpus") / "corpus.db"))
    upgrade(url)
    with session_factory(url).begin() as session:
        seed_corpus(session)
    return url


@pytest.fixture(scope="module")
def pg_corpus(pg_server_url) -> str:
    url = _new_pg_database(pg_server_url)
    upgrade(url)
    with session_factory(url).begin() as session:
        seed_corpus(session)
    yield url
    _drop_pg_database(pg_server_url, url)


@pytest.fixture(params=BACKENDS)
def corpus(request) -> str:
    """The seeded corpus (read-only: shared by the tests of a module)."""
    return request.getfixturevalue(f"{'sqlite' if request.param == 'sqlite' else 'pg'}_corpus")


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path) -> str:
    """A fresh, empty database at the head revision, for tests that write."""
    url = resolve_url(str(tmp_path / "test.db")) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    return url


def write(url: str, site: str, item: dict, **kw):
    with session_factory(url).begin() as session:
        site_id = repository.ensure_site(session, site, f"https://{site}.example/")
        return repository.save_article(session, site_id, item, **kw)


def scalar(url: str, stmt):
    with session_factory(url)() as session:
        return session.scalar(stmt)


def rows(url: str, sql: str, **params):
    with session_factory(url)() as session:
        return [tuple(r) for r in session.execute(text(sql), params)]


def story(n: int = 1, body: str = "Harbour cranes stand idle as dockers strike for a second week.", **kw) -> dict:
    return article(f"https://planet.example/news/{n}", kw.pop("title", f"Dock strike day {n}"), body,
                   site="planet", **kw)


# --- save_article: outcomes, versions, bylines, threads --------------------------------------

def test_new_article_is_stored_with_its_byline_in_order_and_its_tags(db):
    result = write(db, "planet", story(authors=["Zoe Adams", "Ann Brown", "Zoe Adams"], tags=["Port", "Labour"]))
    assert result.outcome == "new"
    assert rows(db, "SELECT authors, tags, version_count, comment_count FROM article_overview") == [
        ("Zoe Adams, Ann Brown", "Labour, Port", 1, 0)]


def test_same_content_again_is_unchanged_and_only_touches_last_seen(db):
    first = write(db, "planet", story(), now=utc(2024, 5, 1, 8, 0))
    again = write(db, "planet", story(), now=utc(2024, 5, 2, 8, 0))
    assert (first.outcome, again.outcome, again.article_id) == ("new", "unchanged", first.article_id)
    with session_factory(db)() as session:
        row = session.get(Article, first.article_id)
        assert (row.first_seen_at, row.last_seen_at) == (utc(2024, 5, 1, 8, 0), utc(2024, 5, 2, 8, 0))
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1


def test_edited_article_is_updated_keeps_its_old_version_and_is_searchable_by_its_new_text(db):
    write(db, "planet", story(body="Dockers strike over pensions."))
    result = write(db, "planet", story(body="Dockers end their strike after a pensions deal."))
    assert result.outcome == "updated"
    assert rows(db, "SELECT body_text FROM article_versions ORDER BY id") == [
        ("Dockers strike over pensions.",), ("Dockers end their strike after a pensions deal.",)]
    with session_factory(db)() as session:
        assert [h.article_id for h in search(session, "pensions deal")] == [result.article_id]
        assert search(session, "strike over") == []


def test_same_content_under_another_url_is_one_article_seen_twice(db):
    first = write(db, "planet", story(1))
    copy = dict(story(1), url="https://planet.example/print/1", canonical_url="https://planet.example/print/1")
    result = write(db, "planet", copy)
    assert (result.outcome, result.article_id) == ("duplicate", first.article_id)
    assert scalar(db, select(func.count()).select_from(Article)) == 1
    assert sorted(r[0] for r in rows(db, "SELECT url FROM article_urls")) == [
        "https://planet.example/news/1", "https://planet.example/print/1"]


def test_near_duplicate_is_stored_pointing_at_the_first_copy(db):
    first = write(db, "planet", story(1))
    result = write(db, "wire", article("https://wire.example/1", "Dock strike day 1",
                                       "Harbour cranes stand idle as dockers strike for a second week now.",
                                       site="wire"), near_duplicate=(first.article_id, 0.91))
    assert result.outcome == "new"
    assert rows(db, "SELECT site, duplicate_of_id FROM article_overview ORDER BY article_id") == [
        ("planet", None), ("wire", first.article_id)]


THREAD = [
    comment("1", "First!", posted=utc(2024, 5, 1, 9)),
    comment("2", "A reply to the first.", parent="1", depth=1, posted=utc(2024, 5, 1, 10)),
    comment("3", "Second top-level comment.", posted=utc(2024, 5, 1, 11)),
    comment("4", "A reply to the reply.", parent="2", depth=2, posted=utc(2024, 5, 1, 12)),
]


def test_reply_is_stored_under_its_parent(db):
    result = write(db, "planet", story(comments=THREAD))
    assert result.comments_new == 4
    stored = rows(db, "SELECT c.external_id, p.external_id, c.depth FROM comments c "
                      "LEFT JOIN comments p ON p.id = c.parent_id ORDER BY c.external_id")
    assert stored == [("1", None, 0), ("2", "1", 1), ("3", None, 0), ("4", "2", 2)]


def test_recrawl_adds_only_new_comments_and_never_a_second_row(db):
    write(db, "planet", story(comments=THREAD[:2]))
    result = write(db, "planet", story(comments=THREAD))
    assert (result.outcome, result.comments_new) == ("unchanged", 2)
    assert scalar(db, select(func.count()).select_from(Comment)) == 4


def test_comment_gone_from_a_complete_thread_is_marked_deleted_not_removed(db):
    write(db, "planet", story(comments=THREAD))
    partial = write(db, "planet", story(comments=THREAD[:2], complete=False))
    assert partial.comments_deleted == 0  # a thread fetched in part proves nothing
    result = write(db, "planet", story(comments=[c for c in THREAD if c["external_id"] != "3"]))
    assert result.comments_deleted == 1
    assert rows(db, "SELECT external_id FROM comments WHERE deleted_at IS NOT NULL") == [("3",)]
    assert rows(db, "SELECT comment_count, deleted_comment_count FROM article_overview") == [(3, 1)]
    assert scalar(db, select(func.count()).select_from(Comment)) == 4


def test_search_index_follows_inserts_updates_and_deletes(db):
    """The FTS tables (SQLite triggers) / generated tsvectors (PostgreSQL) are kept in step."""
    result = write(db, "planet", story(comments=[comment("1", "Solidarity with the crane operators.")]))
    with session_factory(db).begin() as session:
        assert [h.article_id for h in search(session, "cranes")] == [result.article_id]
        assert [h.author for h in search_comments(session, "solidarity")] == ["reader"]
        session.execute(update(Comment).values(body_text="Thoughts with the pilots."))
        session.execute(update(Article).values(title="Pilots strike"))
    with session_factory(db).begin() as session:
        assert search_comments(session, "solidarity") == []
        assert len(search_comments(session, "pilots")) == 1
        assert [h.title for h in search(session, "pilots")] == ["Pilots strike"]
        session.execute(delete(Article))
    with session_factory(db)() as session:
        assert search(session, "cranes") == [] and search(session, "pilots") == []
        assert search_comments(session, "pilots") == []


# --- search ---------------------------------------------------------------------------------

def test_search_finds_the_seed_article_from_lavrov_bad_faith(corpus):
    with session_factory(corpus)() as session:
        hits = search(session, "Lavrov bad faith")
    assert hits[0].title == SEED_TITLE
    assert {h.url for h in hits} == {SEED_URL, NEAR_DUPLICATE_URL}  # the original and its syndicated copy
    assert "[Lavrov]" in hits[0].snippet or "[bad]" in hits[0].snippet
    assert hits[0].site in ("goldwater", "dailyplanet") and hits[0].published_at.year == 2016
    assert hits[0].rank >= hits[-1].rank


def test_search_narrows_by_site_date_and_limit(corpus):
    with session_factory(corpus)() as session:
        assert [h.url for h in search(session, "Lavrov bad faith", site="goldwater")] == [SEED_URL]
        assert [h.url for h in search(session, "Lavrov", since="2016-12-07T10:00")] == [NEAR_DUPLICATE_URL]
        assert search(session, "Lavrov", since=date(2016, 12, 8)) == []
        assert len(search(session, "Lavrov", limit=1)) == 1
        assert search(session, "Lavrov", site="no-such-site") == []


def test_search_understands_phrases_exclusions_and_or(corpus):
    def titles(query):
        with session_factory(corpus)() as session:
            return sorted({h.title for h in search(session, query)})

    assert titles('"bad faith"') == [SEED_TITLE]
    assert titles('"faith bad"') == []
    assert titles("ceasefire -Kerry") == ["Aleppo ceasefire collapses"]
    assert titles("budget OR marathon") == ["City council passes budget", "Record field for the harbour marathon"]
    assert titles("budget marathon") == []  # AND by default
    assert titles("LAVROV") == [SEED_TITLE]  # case-insensitive
    assert titles("-Kerry") == []  # exclusions alone find nothing (rather than everything else)


@pytest.mark.parametrize("query", [
    '"Lavrov', 'Lavrov"', 'bad:faith', 'title:Lavrov', 'NEAR(Lavrov faith)', 'Lavrov*', '*', '^Lavrov',
    "Lavrov's", '(Lavrov', 'Lavrov AND', 'OR', 'NOT Lavrov', '-', '--', '""', "'", '\\', '{title}: x',
    'Lavrov & | ! <->', '', '   ', 'Lavrov -"bad faith', 'ŁÓDŹ 東京 😀',
])
def test_search_never_fails_on_what_people_type(corpus, query):
    with session_factory(corpus)() as session:
        hits = search(session, query)
        search_comments(session, query)
    if re.fullmatch(r"[\W_]*", query):
        assert hits == []


def test_search_comments_finds_comment_text_with_its_article(corpus):
    with session_factory(corpus)() as session:
        hits = search_comments(session, "ceasefire")
        assert sorted((h.author, h.article_title) for h in hits) == [
            ("Alice", "Aleppo ceasefire collapses"), ("Alice", SEED_TITLE)]
        assert all("[ceasefire]" in h.snippet for h in hits)
        assert [h.article_url for h in search_comments(session, "ceasefire", since="2016-12-08")] == [
            "https://goldwater.example/2016/12/aleppo-ceasefire-collapses"]


# --- views ----------------------------------------------------------------------------------

def test_article_overview_has_bylines_in_order_and_live_comment_counts(corpus):
    got = rows(corpus, "SELECT site, authors, tags, comment_count, version_count, duplicate_of_id IS NOT NULL "
                       "FROM article_overview ORDER BY article_id")
    assert got == [
        ("goldwater", "Earnest Jones", "Russia, Syria", 5, 1, False),
        ("goldwater", "Mary Smith, Earnest Jones", "Syria", 1, 1, False),
        ("dailyplanet", "Lois Lane", "Budget, Local", 3, 1, False),
        ("dailyplanet", "Clark Kent, Lois Lane", "Sport", 0, 2, False),
        ("dailyplanet", "Wire Service", None, 0, 1, True),
    ]


def test_comment_threads_read_in_order_with_depth(corpus):
    got = rows(corpus, "SELECT position, depth, author, external_id FROM comment_threads "
                       "WHERE article_url = :article_url ORDER BY position", article_url=SEED_URL)
    assert got == [(1, 0, "Alice", "c1"), (2, 1, "Bob", "c2"), (3, 2, "Alice", "c4"),
                   (4, 0, "Carol", "c3"), (5, 1, "Dave", "c5")]


def test_daily_counts_count_articles_and_comments_per_site_and_day(corpus):
    got = [(str(day), site, a, d, c) for day, site, a, d, c in rows(
        corpus, "SELECT day, site, articles, duplicates, comments FROM daily_counts ORDER BY day, site")]
    assert got == [
        ("2016-12-07", "dailyplanet", 1, 1, 0), ("2016-12-07", "goldwater", 1, 0, 2),
        ("2016-12-08", "dailyplanet", 1, 0, 1), ("2016-12-08", "goldwater", 1, 0, 4),
        ("2016-12-09", "dailyplanet", 1, 0, 2),
    ]


def test_export_reading_order_is_the_views_order(corpus):
    from models.export import iter_comments

    with get_engine(corpus).connect() as conn:
        exported = [(c["comment_id"], c["position"], c["depth"]) for c in iter_comments(conn)]
    assert exported == rows(corpus, "SELECT comment_id, position, depth FROM comment_threads "
                                    "ORDER BY article_id, position")


# --- the README's ten questions ---------------------------------------------------------------

def readme_questions() -> list[tuple[str, str, str]]:
    section = DOC.read_text(encoding="utf-8").split("## Ten analyst questions", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"### (\d+)\. (.+?)\n\n```sql\n(.*?)```", section, re.S)


QUESTIONS = readme_questions()
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


def normalised(value):
    """One value as both backends' answers can be compared: times as UTC text, numbers as floats."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, float)):
        return round(float(value), 6)
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return value[:19].replace("T", " ")
    return value


def answer(url: str, sql: str) -> list[tuple]:
    return [tuple(normalised(v) for v in row) for row in rows(url, sql.strip().rstrip(";"))]


EXPECTED_FIRST_ROWS = {
    "1": ("goldwater", SEED_TITLE, "Earnest Jones", 5),
    "2": ("2016-12-07", "dailyplanet", 1, 0),
    "3": ("Earnest Jones", 2, 6),
    "4": ("Alice", 3, 2),
    "5": (1, 0, "Alice", "2016-12-07 10:00:00", "Talks with Moscow never work, the ceasefire is a farce."),
    "6": (1, SEED_TITLE, "goldwater", 5, 2),
    "8": ("dailyplanet", SEED_TITLE, "goldwater", SEED_URL, 0.93),
    "10": ("dailyplanet", "failed", "closespider_errorcount", "2016-12-10 11:10:00", "2016-12-10 11:12:00",
           3, 3, 0, 5),
}


def test_the_readme_has_ten_questions():
    assert [n for n, _, _ in QUESTIONS] == [str(i) for i in range(1, 11)]


@pytest.mark.parametrize("number,question,sql", QUESTIONS, ids=[f"q{n}" for n, _, _ in QUESTIONS])
def test_readme_question_answers_on_both_backends(sqlite_corpus, pg_corpus, number, question, sql):
    on_sqlite, on_postgres = answer(sqlite_corpus, sql), answer(pg_corpus, sql)
    assert on_sqlite, f"question {number} ({question}) has no answer on the corpus"
    assert on_sqlite == on_postgres
    if number in EXPECTED_FIRST_ROWS:
        assert on_sqlite[0] == EXPECTED_FIRST_ROWS[number]
    if number == "7":  # the edited marathon article: its two versions, oldest first
        assert [r[2] for r in on_sqlite] == [2, 2] and "storm warning" in on_sqlite[1][4]


def test_readme_fulltext_sql_finds_the_seed_article(corpus):
    dialect = "postgresql" if corpus.startswith("postgresql") else "sqlite"
    sql = re.search(rf"```sql\n-- {dialect}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    assert answer(corpus, sql)[0][1] == SEED_TITLE


# --- exports --------------------------------------------------------------------------------

def export(corpus: str, tmp_path, *args: str) -> str:
    from crawler.cli import main

    out = tmp_path / f"export-{uuid.uuid4().hex[:6]}"
    assert main(["export", "--db", corpus, "-o", str(out), *args]) == 0
    return str(out)


def test_export_jsonl_carries_each_thread_in_reading_order(corpus, tmp_path):
    path = export(corpus, tmp_path, "--format", "jsonl", "--comments")
    records = [json.loads(line) for line in open(path, encoding="utf-8")]
    assert [r["canonical_url"] for r in records][0] == SEED_URL and len(records) == 5
    seed = records[0]
    assert seed["authors"] == ["Earnest Jones"] and seed["published_at"] == "2016-12-07T09:30:00+00:00"
    assert [(c["external_id"], c["depth"], c["position"]) for c in seed["comments"]] == [
        ("c1", 0, 1), ("c2", 1, 2), ("c4", 2, 3), ("c3", 0, 4), ("c5", 1, 5)]
    assert records[1]["authors"] == ["Mary Smith", "Earnest Jones"]
    assert records[3]["comments"] == []


def test_export_csv_articles_and_comment_rows(corpus, tmp_path):
    articles = list(csv.DictReader(open(export(corpus, tmp_path, "--format", "csv"), encoding="utf-8")))
    assert len(articles) == 5 and articles[1]["authors"] == "Mary Smith; Earnest Jones"
    assert articles[0]["body_text"].count("\n\n") >= 3  # paragraphs survive the CSV round trip
    comments = list(csv.DictReader(open(export(corpus, tmp_path, "--format", "csv", "--comments",
                                               "--site", "dailyplanet"), encoding="utf-8")))
    assert [(c["external_id"], c["depth"], c["site"]) for c in comments] == [
        ("p1", "0", "dailyplanet"), ("p2", "0", "dailyplanet"), ("p3", "1", "dailyplanet")]


def test_export_parquet_keeps_types(corpus, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(export(corpus, tmp_path, "--format", "parquet", "--since", "2016-12-08"))
    assert table.num_rows == 3
    assert table.column("authors").to_pylist()[0] == ["Mary Smith", "Earnest Jones"]
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    comments = pq.read_table(export(corpus, tmp_path, "--format", "parquet", "--comments"))
    assert comments.num_rows == 9 and comments.column("position").to_pylist()[:5] == [1, 2, 3, 4, 5]


def test_export_to_stdout_and_its_errors(corpus, capsys):
    from crawler.cli import main

    assert main(["export", "--db", corpus, "--format", "jsonl", "--site", "goldwater"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["site"] for line in out.splitlines()] == ["goldwater", "goldwater"]
    assert "exported 2 articles" in err
    assert main(["export", "--db", corpus, "--since", "last week"]) == 2
    assert "--since expects a date" in capsys.readouterr().err


# --- commands on both backends ------------------------------------------------------------------

@pytest.mark.e2e
def test_newsdesk_search_command_finds_the_seed_article(corpus):
    result = run_newsdesk("search", "Lavrov bad faith", "--db", corpus, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("1. US Is Not Delaying Syria Talks")
    assert "Lavrov accused Washington of bad faith" in result.stdout
    result = run_newsdesk("search", "Lavrov bad faith", "--db", corpus, "--json", "--site", "goldwater", timeout=60)
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == [SEED_URL]


def test_stats_shows_sites_days_duplicates_and_last_runs(corpus, capsys):
    from crawler.cli import main

    assert main(["stats", "--db", corpus]) == 0
    out = capsys.readouterr().out
    planet = next(line for line in out.splitlines() if "dailyplanet" in line and "failed" in line)
    assert re.search(r"dailyplanet\s*│\s*3\s*│\s*1\s*│\s*1\s*│\s*3\s*│\s*0", planet)  # articles, near dups, dup URLs, comments
    assert "2016-12-09" in out and "Latest crawl runs" in out
    assert main(["stats", "--db", corpus, "--site", "nowhere"]) == 1


@pytest.mark.e2e
def test_db_upgrade_and_current_on_an_empty_database(request, tmp_path):
    for backend in BACKENDS:
        url = str(tmp_path / "fresh.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
        before = run_newsdesk("db", "current", "--db", url, timeout=60)
        assert (before.returncode, before.stdout.strip()) == (0, "(empty)")
        upgraded = run_newsdesk("db", "upgrade", "--db", url, timeout=60)
        assert upgraded.returncode == 0, upgraded.stderr
        assert upgraded.stdout.strip() == f"{head_revision()} (head)"
        assert run_newsdesk("db", "current", "--db", url, timeout=60).stdout.strip() == f"{head_revision()} (head)"


def test_search_migration_downgrades_and_upgrades_with_data(db):
    from alembic import command

    from models.db import alembic_config

    write(db, "planet", story())
    cfg = alembic_config(db)
    with get_engine(db).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert current_revision(db) == "0001"
    upgrade(db)  # re-creates the index over the rows already there
    with session_factory(db)() as session:
        assert [h.title for h in search(session, "dockers")] == ["Dock strike day 1"]


# --- PostgreSQL connections ---------------------------------------------------------------------

def test_dropped_postgres_connection_is_replaced(pg_url, pg_server_url):
    upgrade(pg_url)
    engine = get_engine(pg_url)
    with engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # what a server restart or an idle timeout does to a pooled connection
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
    admin.dispose()
    with session_factory(pg_url)() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != pid
        assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_plain_postgresql_url_uses_psycopg(pg_url):
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    assert resolve_url(plain).startswith("postgresql+psycopg://")
    assert resolve_url(plain.replace("postgresql://", "postgres://")).startswith("postgresql+psycopg://")
