"""The writer of `newsdesk import-warc` (crawler/warc/importer.py): results are stored in batches, one
transaction each that also moves the file's progress, so a crash keeps a whole batch with its
progress or neither; a batch that fails is stored again one article per transaction.

(The import killed with SIGKILL and run again, end to end, is in tests/test_archive.py.)
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from sqlalchemy.exc import OperationalError

from crawler.items import ArticleItem
from crawler.warc.importer import WarcImporter, _Batch
from crawler.warc.worker import RecordResult
from models import archive
from models.db import resolve_url

SIZE = 10_000  # the (pretend) file's size: its records are at 0, 100, 200, ...


def result(n: int, *, article: bool = True) -> RecordResult:
    if not article:
        return RecordResult(n * 100, reason="not an article")
    url = f"https://news.example.org/2026/01/0{n}/story-{n}/"
    body = f"Story {n}. " + " ".join(f"word{n}w{i}" for i in range(150))
    return RecordResult(n * 100, item=ArticleItem(
        url=url, canonical_url=url, site="news.example.org", title=f"Story {n}", body_text=body,
        content_hash=f"hash-{n}", word_count=151, fetched_at=datetime(2026, 1, 2, tzinfo=timezone.utc)))


@pytest.fixture
def writer(tmp_path):
    db = tmp_path / "import.db"
    importer = WarcImporter(resolve_url(str(db)), sites={}, workers=1,
                            overrides={"NEWSDESK_IMPORT_BATCH_ARTICLES": 3, "NEWSDESK_IMPORT_BATCH_SECONDS": 3600})
    importer.open()
    path = str(tmp_path / "input.warc.gz")
    with importer.sessions.begin() as session:
        archive.import_state(session, path, SIZE)
    batch = _Batch(importer, path, [n * 100 for n in range(SIZE // 100)])
    return importer, batch, db


def stored(db) -> tuple[list[str], int, int]:
    with sqlite3.connect(db) as conn:
        titles = [t for (t,) in conn.execute("SELECT title FROM articles ORDER BY title")]
        next_offset, records = conn.execute("SELECT next_offset, records FROM warc_imports").fetchone()
    return titles, next_offset, records


def feed(batch: _Batch, results: list[RecordResult]) -> int:
    """What import_file does with the pool's results: add each, commit a full batch."""
    articles = 0
    for r in results:
        batch.add(r)
        if batch.full():
            articles += batch.commit()
    return articles


def test_a_batch_is_committed_with_the_progress_past_its_records(writer):
    importer, batch, db = writer
    assert feed(batch, [result(1), result(2, article=False), result(3), result(4)]) == 3
    # Three articles make a batch: they and the progress past record 4 in one commit.
    assert stored(db) == (["Story 1", "Story 3", "Story 4"], 401, 5)
    assert feed(batch, [result(5), result(6, article=False)]) == 0  # the open batch: not in the database
    assert stored(db)[1] == 401
    assert batch.commit(SIZE, finished=True) == 1
    assert stored(db) == (["Story 1", "Story 3", "Story 4", "Story 5"], SIZE, SIZE // 100)
    assert importer.stats.get_value("newsdesk/articles_new") == 4


def test_a_crash_inside_a_batch_keeps_neither_its_articles_nor_its_progress(writer, monkeypatch):
    importer, batch, db = writer
    feed(batch, [result(1), result(2), result(3)])
    feed(batch, [result(4), result(5)])

    def killed(*args, **kwargs):  # the process dies after storing the batch, before its commit
        raise KeyboardInterrupt

    monkeypatch.setattr(archive, "record_progress", killed)
    with pytest.raises(KeyboardInterrupt):
        batch.commit()
    assert stored(db) == (["Story 1", "Story 2", "Story 3"], 301, 4)  # resumes at record 4: nothing lost, nothing twice


def test_a_batch_that_fails_is_stored_one_article_at_a_time(writer, monkeypatch):
    importer, batch, db = writer
    save = importer.store.save

    def failing(session, item, site_id=None):
        if item.title == "Story 2":
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return save(session, item, site_id)

    monkeypatch.setattr(importer.store, "save", failing)
    assert feed(batch, [result(1), result(2), result(3)]) == 2
    assert stored(db) == (["Story 1", "Story 3"], 301, 4)
    assert importer.stats.get_value("newsdesk/errors/store") == 1
    assert importer.stats.get_value("newsdesk/articles_new") == 2
