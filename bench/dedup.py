"""Near-duplicate detection: precision and recall on a labelled set, and lookup cost as the
index grows.

    python bench/dedup.py                    # both parts (about 7 minutes; 2.5 GB in bench/out while it runs)
    python bench/dedup.py --quality          # only precision/recall (10 seconds)
    python bench/dedup.py --scale 10000 100000
    python bench/dedup.py --quality --seed 3 --set NEWSDESK_NEARDUP_THRESHOLD=0.6 -v

Quality: bench/dedup_corpus.py turns the 181 benchmark bodies into stories, syndicated
copies and hard negatives (see there). Every article goes through the real item pipelines
(validate → clean → dedup → store) into a fresh SQLite database, in crawl order (a copy is
often stored before its original). A copy is found when its row ends up linked (by
duplicate_of_id, or as an exact-content alias in article_urls) to an article of its own
story; precision counts links to another story as wrong. The baseline is the same run with
the near-duplicate index switched off (exact content hash only).

Scale: the labelled set's originals are stored with the pipeline, then the database is
filled with synthetic articles (random signatures and band buckets, bulk inserted) up to
each size, and a fresh child process times the lookup (``find``) of every copy and
negative against it and reports its peak RSS (VmHWM). Beside it, the
baseline a naive index would do: comparing the signature with every stored one.

Not part of the test suite's pass/fail (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from dedup_corpus import LabelledArticle, build  # noqa: E402


def pipelines(db_url: str, settings: dict):
    from scrapy.utils.test import get_crawler

    from crawler.runner import newsdesk_settings

    from pipelines.clean import CleanPipeline
    from pipelines.dedup import DedupPipeline
    from pipelines.store import StorePipeline
    from pipelines.validate import ValidatePipeline

    crawler = get_crawler(settings_dict=newsdesk_settings(NEWSDESK_DATABASE_URL=db_url, **settings))
    crawler.stats.open_spider()
    stages = [cls.from_crawler(crawler) for cls in (ValidatePipeline, CleanPipeline, DedupPipeline, StorePipeline)]
    stages[-1].open_spider()
    return crawler, stages


def item_for(article: LabelledArticle):
    from crawler.items import ArticleItem

    return ArticleItem(url=article.url, canonical_url=article.url, site=article.site, title=article.title,
                       body_text=article.body, published_at=article.published_at,
                       fetched_at=None)


def run_pipeline(articles: list[LabelledArticle], db_url: str, settings: dict) -> tuple[dict, float]:
    from scrapy.exceptions import DropItem

    crawler, stages = pipelines(db_url, settings)
    started = time.perf_counter()
    for article in articles:
        item = item_for(article)
        try:
            for stage in stages:
                item = stage.process_item(item)
        except DropItem:
            continue
    elapsed = time.perf_counter() - started
    return crawler.stats.get_stats(), elapsed


def score(articles: list[LabelledArticle], db_url: str) -> dict:
    """Precision and recall of the links the database shows."""
    from sqlalchemy import select

    from models.db import session_factory
    from models.tables import Article, ArticleUrl

    story_of = {a.url: a.story for a in articles}
    with session_factory(db_url)() as session:
        rows = {r.id: r for r in session.execute(select(Article.id, Article.canonical_url, Article.duplicate_of_id))}
        url_to_article = dict(session.execute(select(ArticleUrl.url, ArticleUrl.article_id)).all())
    row_story = {aid: story_of[r.canonical_url] for aid, r in rows.items()}
    stored: dict[int, list[str]] = {}
    linked = correct = 0
    wrong: list[str] = []
    for article in articles:
        aid = url_to_article.get(article.url)
        if aid is None:
            continue  # dropped by validation (body too short)
        stored.setdefault(article.story, []).append(article.url)
        row = rows[aid]
        target = aid if row.canonical_url != article.url else row.duplicate_of_id
        if target is None:
            continue
        linked += 1
        if row_story[target] == article.story:
            correct += 1
        else:
            wrong.append(f"{article.kind} {article.url} -> {rows[target].canonical_url}")
    should = sum(len(urls) - 1 for urls in stored.values())
    return {"stored": sum(len(u) for u in stored.values()), "should_link": should, "linked": linked,
            "correct": correct, "precision": correct / linked if linked else 1.0,
            "recall": correct / should if should else 1.0, "wrong": wrong}


def quality(args) -> None:
    articles = build(seed=args.seed)
    kinds = {}
    for a in articles:
        kinds[a.kind] = kinds.get(a.kind, 0) + 1
    print(f"labelled set: {len(articles)} articles from 181 benchmark bodies "
          + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    print(f"{'':34} {'precision':>9} {'recall':>7} {'links':>6} {'wrong':>6} {'of':>5} {'ms/article':>10}")
    for label, settings in (("baseline: exact content hash only", {"NEWSDESK_NEARDUP_ENABLED": False}),
                            ("newsdesk: + MinHash LSH index", dict(args.settings))):
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite:///{tmp}/quality.db"
            stats, elapsed = run_pipeline(articles, db, settings)
            result = score(articles, db)
        print(f"{label:34} {result['precision']:9.3f} {result['recall']:7.3f} {result['linked']:6} "
              f"{result['linked'] - result['correct']:6} {result['should_link']:5} "
              f"{1000 * elapsed / len(articles):10.2f}")
        if args.verbose:
            for line in result["wrong"]:
                print("   wrong:", line)
            print("   stats:", {k: v for k, v in stats.items() if k.startswith("newsdesk/")})


# --- scale ------------------------------------------------------------------------------

def fill_synthetic(db_path: Path, upto: int, bands: int, permutations: int, batch: int = 20000) -> None:
    """Bulk-insert synthetic articles (and their signatures and band buckets) up to ``upto`` rows."""
    import numpy as np

    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")  # 1 GB while loading only; the lookups use the default
    have = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    site_id = con.execute("SELECT id FROM sites ORDER BY id LIMIT 1").fetchone()[0]
    rng = np.random.default_rng(have)
    start = con.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0] + 1
    now = "2024-01-01 00:00:00.000000"
    remaining = upto - have
    while remaining > 0:
        n = min(batch, remaining)
        ids = range(start, start + n)
        con.executemany(
            "INSERT INTO articles (id, site_id, url, canonical_url, title, body_text, word_count, content_hash,"
            " comment_count, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?)",
            [(i, site_id, f"https://synthetic.example/{i}", f"https://synthetic.example/{i}", f"Synthetic {i}",
              f"Synthetic article number {i}.", f"{i:064x}", now, now) for i in ids])
        sigs = rng.integers(0, 2 ** 32, size=(n, permutations), dtype=np.uint32)
        con.executemany("INSERT INTO article_signatures (article_id, minhash, shingle_count) VALUES (?, ?, 200)",
                        [(i, sigs[k].astype("<u4").tobytes()) for k, i in enumerate(ids)])
        buckets = rng.integers(-2 ** 63, 2 ** 63 - 1, size=(n, bands), dtype=np.int64)
        rows = sorted((int(b), i) for k, i in enumerate(ids) for b in buckets[k])
        con.executemany("INSERT INTO article_lsh (bucket, article_id) VALUES (?, ?)", rows)
        con.commit()
        start += n
        remaining -= n
    con.close()


LOOKUP_CHILD = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, {repo!r}); sys.path.insert(0, {bench!r})
from dedup_corpus import build
from models.db import session_factory
from models.neardup import DatabaseNearDuplicateIndex
from models.shingles import Signature
from models.tables import ArticleSignature
from pipelines.clean import clean_paragraphs
from pipelines.dedup import MinHashSigner
from sqlalchemy import select
from crawler.runner import newsdesk_settings
settings = newsdesk_settings(**{settings!r})
index = DatabaseNearDuplicateIndex.from_settings(settings)
signer = MinHashSigner.from_settings(settings)
queries = [a for a in build(seed={seed}) if a.kind != "original"]
signed = [(signer.sign(clean_paragraphs(a.body)), clean_paragraphs(a.body), a.published_at) for a in queries]
def peak_rss_mb():
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent
    # across fork+exec, so a big parent would show up as this child's peak.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rss_before = peak_rss_mb()
times, found = [], 0
with session_factory({url!r})() as session:
    if {naive}:  # the baseline: compare with every stored signature
        for sig, body, published in signed[:3]:
            t = time.perf_counter()
            best = 0.0
            for raw, in session.execute(select(ArticleSignature.minhash).execution_options(yield_per=5000)):
                best = max(best, sig.estimated_jaccard(Signature.from_bytes(raw)))
            times.append(time.perf_counter() - t)
    else:
        for sig, body, published in signed[:10]:  # warm the connection and the statement cache
            index.find(session, sig, body, published_at=published)
        for sig, body, published in signed:
            t = time.perf_counter()
            hit = index.find(session, sig, body, published_at=published)
            times.append(time.perf_counter() - t)
            found += hit is not None
print(json.dumps({{"median_ms": 1000 * statistics.median(times), "p95_ms": 1000 * sorted(times)[int(len(times) * .95)],
                  "lookups": len(times), "found": found, "rss_before_mb": rss_before,
                  "peak_rss_mb": peak_rss_mb()}}))
"""


def measure(url: str, settings: dict, seed: int, naive: bool) -> dict:
    code = LOOKUP_CHILD.format(repo=str(REPO), bench=str(REPO / "bench"), settings=settings, seed=seed,
                               url=url, naive=naive)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(1)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scale(args) -> None:
    from models.db import resolve_url

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "dedup-scale.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = resolve_url(str(path))
    settings = dict(args.settings)
    articles = build(seed=args.seed)
    originals = [a for a in articles if a.kind == "original"]
    run_pipeline(originals, url, settings)
    from crawler.runner import newsdesk_settings

    bands = int(newsdesk_settings(**settings)["NEWSDESK_NEARDUP_BANDS"])
    permutations = int(newsdesk_settings(**settings)["NEWSDESK_NEARDUP_PERMUTATIONS"])
    print(f"\nlookup cost: {len(articles) - len(originals)} lookups (copies and negatives) against N stored "
          f"articles ({permutations} permutations, {bands} bands); each size measured in a fresh process")
    print(f"{'stored articles':>15} {'fill s':>7} {'lookup median ms':>16} {'p95 ms':>7} {'found':>6} "
          f"{'peak RSS MB':>11} {'(before lookups)':>16} {'naive scan ms':>14} {'db MB':>7}")
    for size in args.scale:
        t = time.perf_counter()
        fill_synthetic(path, size, bands, permutations)
        fill = time.perf_counter() - t
        r = measure(url, settings, args.seed, naive=False)
        naive = f"{measure(url, settings, args.seed, naive=True)['median_ms']:14.1f}" if not args.no_naive \
            else f"{'–':>14}"
        size_mb = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()) / 2 ** 20
        print(f"{size:>15,} {fill:7.1f} {r['median_ms']:16.2f} {r['p95_ms']:7.2f} {r['found']:6} "
              f"{r['peak_rss_mb']:11.1f} {r['rss_before_mb']:16.1f} {naive} {size_mb:7.0f}", flush=True)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quality", action="store_true", help="only precision/recall")
    parser.add_argument("--scale", type=int, nargs="*", help="only lookup cost, at these sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a NEWSDESK_NEARDUP_* setting, e.g. --set NEWSDESK_NEARDUP_THRESHOLD=0.5")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive full-scan baseline")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/dedup-scale.db")
    parser.add_argument("-v", "--verbose", action="store_true", help="list wrong links and the stats")
    args = parser.parse_args()
    args.settings = dict(kv.split("=", 1) for kv in args.set)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    if args.scale is None and not args.quality:
        args.scale = [10_000, 100_000, 1_000_000]
        args.quality = True
    if args.quality:
        quality(args)
    if args.scale:
        scale(args)


if __name__ == "__main__":
    main()
