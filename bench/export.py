"""Peak memory of `newsdesk export` on a large database, beside a naive fetchall export.

    python bench/export.py                      # 100,000 articles x 5 comments, SQLite in bench/out/
    python bench/export.py --db postgresql+psycopg://postgres@127.0.0.1/newsdesk_bench
    python bench/export.py --articles 20000     # quicker

The database is filled once with synthetic articles (~2.5 KB of body each, bylines, tags)
and nested comment threads, written with bulk inserts (the FTS triggers / generated
tsvectors fire as on a crawl), and reused by later runs with the same size. Each export
then runs in its own child process, which reports its peak RSS (getrusage ru_maxrss), so
the figures are measured in the same run on the same data:

- ``python (imports only)``: the interpreter with SQLAlchemy, the driver and pyarrow loaded;
- ``baseline: fetchall → jsonl``: the obvious export: fetch every article and every comment,
  group the comments by article in a dict, write JSON Lines;
- ``newsdesk export ...``: the real command (crawler.cli.main), streaming.

Not part of the test suite's pass/fail (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

VARIANTS = {
    "imports": "python (imports only)",
    "baseline": "baseline: fetchall → jsonl --comments",
    "jsonl": "newsdesk export jsonl --comments",
    "csv": "newsdesk export csv --comments",
    "parquet": "newsdesk export parquet",
    "parquet-comments": "newsdesk export parquet --comments",
}
LIMIT_MB = 300


# --- the synthetic database -------------------------------------------------------------------

def _sentences(rng: random.Random, n: int = 4000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ran", "to", "vel", "sur", "dan", "pe", "lis", "or", "na", "tem", "bri", "gus"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(3000)]
    words += ["minister", "harbour", "strike", "council", "election", "market", "storm", "court", "budget"]
    out = []
    for _ in range(n):
        ws = rng.choices(words, k=rng.randint(8, 22))
        out.append(" ".join(ws).capitalize() + ".")
    return out


def build(url: str, n_articles: int, comments_per_article: int, body_words: int) -> None:
    from sqlalchemy import func, select, text

    from models.db import get_engine, upgrade
    from models.tables import (
        Article,
        ArticleAuthor,
        ArticleTag,
        ArticleUrl,
        ArticleVersion,
        Author,
        Comment,
        Site,
        Tag,
    )

    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Article))
        have_c = conn.scalar(select(func.count()).select_from(Comment))
    if have == n_articles and have_c == n_articles * comments_per_article:
        print(f"reusing {url}: {have:,} articles, {have_c:,} comments", file=sys.stderr)
        return
    if have:
        raise SystemExit(f"{url} has {have:,} articles, not {n_articles:,}: give an empty database or delete the file")
    rng = random.Random(7)
    sentences = _sentences(rng)
    now = datetime(2024, 6, 1, tzinfo=timezone.utc)
    t0 = time.monotonic()
    with engine.begin() as conn:
        conn.execute(Site.__table__.insert(), [{"id": i + 1, "name": f"site{i + 1}", "base_url": f"https://site{i + 1}.example/",
                                                "created_at": now} for i in range(4)])
        conn.execute(Author.__table__.insert(), [{"id": i + 1, "name": f"Author {i + 1}"} for i in range(300)])
        conn.execute(Tag.__table__.insert(), [{"id": i + 1, "name": f"tag{i + 1}"} for i in range(80)])
    batch = 2000
    comment_id = 0
    for start in range(0, n_articles, batch):
        articles, urls, versions, bylines, tags, comments = [], [], [], [], [], []
        for aid in range(start + 1, min(start + batch, n_articles) + 1):
            body, words = [], 0
            while words < body_words:
                para = " ".join(rng.choices(sentences, k=5))
                body.append(para)
                words += len(para.split())
            body_text = "\n\n".join(body)
            title = rng.choice(sentences)[:90]
            published = now - timedelta(minutes=aid * 7)
            url = f"https://site{aid % 4 + 1}.example/{published:%Y/%m}/story-{aid}"
            chash = f"{aid:064x}"
            articles.append({"id": aid, "site_id": aid % 4 + 1, "url": url, "canonical_url": url, "title": title,
                             "subtitle": None, "published_at": published, "modified_at": None, "language": "en",
                             "section": rng.choice(["World", "Local", "Sport", "Business"]), "image_url": None,
                             "lead": body[0][:200], "body_text": body_text, "word_count": words,
                             "content_hash": chash, "duplicate_of_id": None, "duplicate_similarity": None,
                             "comment_count": comments_per_article, "first_seen_at": published,
                             "last_seen_at": published})
            urls.append({"id": aid, "article_id": aid, "url": url, "first_seen_at": published, "last_seen_at": published})
            versions.append({"id": aid, "article_id": aid, "title": title, "body_text": None, "modified_at": None,
                             "fetched_at": published, "content_hash": chash})
            for pos, author in enumerate(rng.sample(range(1, 301), rng.choice([1, 1, 2]))):
                bylines.append({"article_id": aid, "author_id": author, "position": pos})
            for tag in rng.sample(range(1, 81), 3):
                tags.append({"article_id": aid, "tag_id": tag})
            first = comment_id + 1
            depth_of = {}
            for k in range(comments_per_article):
                comment_id += 1
                parent = rng.randrange(first, comment_id) if k and rng.random() < 0.5 else None
                depth = depth_of[parent] + 1 if parent else 0
                depth_of[comment_id] = depth
                text_ = " ".join(rng.choices(sentences, k=2))
                posted = published + timedelta(minutes=10 * (k + 1))
                comments.append({"id": comment_id, "article_id": aid, "external_id": str(k + 1), "parent_id": parent,
                                 "depth": depth, "author": f"reader{rng.randrange(5000)}", "author_url": None,
                                 "posted_at": posted, "body_text": text_, "content_hash": f"{comment_id:064x}",
                                 "first_seen_at": posted, "last_seen_at": posted, "edited_at": None,
                                 "deleted_at": None})
        with engine.begin() as conn:
            conn.execute(Article.__table__.insert(), articles)
            conn.execute(ArticleUrl.__table__.insert(), urls)
            conn.execute(ArticleVersion.__table__.insert(), versions)
            conn.execute(ArticleAuthor.__table__.insert(), bylines)
            conn.execute(ArticleTag.__table__.insert(), tags)
            if comments:
                conn.execute(Comment.__table__.insert(), comments)
        done = min(start + batch, n_articles)
        if done % 20000 == 0 or done == n_articles:
            print(f"  built {done:,} articles in {time.monotonic() - t0:.0f}s", file=sys.stderr)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("sites", "authors", "tags", "articles", "article_urls", "article_versions", "comments"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))


# --- one measurement, in a child process --------------------------------------------------------

def baseline_export(url: str, out_path: Path) -> int:
    """The obvious way: everything into memory, then write."""
    from sqlalchemy import select

    from models.db import get_engine
    from models.tables import Article, Comment, Site

    with get_engine(url).connect() as conn:
        articles = conn.execute(select(Article.__table__, Site.name.label("site"))
                                .join(Site, Site.id == Article.site_id).order_by(Article.id)).fetchall()
        comments = conn.execute(select(Comment.__table__).order_by(Comment.article_id, Comment.id)).fetchall()
    threads: dict[int, list[dict]] = {}
    for c in comments:
        threads.setdefault(c.article_id, []).append(dict(c._mapping))
    with open(out_path, "w", encoding="utf-8") as out:
        for a in articles:
            record = dict(a._mapping)
            record["comments"] = threads.get(a.id, [])
            out.write(json.dumps(record, default=str) + "\n")
    return len(articles)


def child(variant: str, url: str, out_path: Path) -> None:
    import pyarrow  # noqa: F401  (every variant carries the same imports)
    import sqlalchemy  # noqa: F401

    from crawler.cli import main

    started = time.monotonic()
    if variant == "baseline":
        baseline_export(url, out_path)
    elif variant != "imports":
        fmt = variant.split("-")[0]
        args = ["export", "--db", url, "--format", fmt, "-o", str(out_path)]
        if variant in ("jsonl", "csv", "parquet-comments"):
            args.append("--comments")
        assert main(args) == 0
    seconds = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = out_path.stat().st_size if out_path.exists() else 0
    print(json.dumps({"variant": variant, "seconds": seconds, "peak_mb": peak_kb / 1024, "bytes": size}))


def measure(variant: str, url: str, keep: bool) -> dict:
    suffix = {"baseline": "jsonl", "parquet-comments": "parquet"}.get(variant, variant)
    out_path = OUT / f"export-bench-{variant}.{suffix}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, __file__, "--child", variant, "--db", url, "--out", str(out_path)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if not keep and out_path.exists():
        out_path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database (default: bench/out/export-bench-N.db)")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--comments-per-article", type=int, default=5)
    parser.add_argument("--body-words", type=int, default=400)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    parser.add_argument("--keep", action="store_true", help="keep the exported files in bench/out/")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from models.db import resolve_url

    if args.child:
        child(args.child, args.db, Path(args.out))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    url = resolve_url(args.db or str(OUT / f"export-bench-{args.articles}.db"))
    build(url, args.articles, args.comments_per_article, args.body_words)
    n_comments = args.articles * args.comments_per_article
    print(f"\nexport of {args.articles:,} articles with {n_comments:,} comments from "
          f"{url.split('://')[0]} (peak RSS of each export's own process; limit {LIMIT_MB} MB)\n")
    header = f"{'variant':40} {'seconds':>8} {'records/s':>10} {'peak RSS':>10} {'output':>10}"
    print(header)
    print("-" * len(header))
    results = {}
    for variant in args.variants.split(","):
        r = measure(variant, url, args.keep)
        results[variant] = r
        records = n_comments if variant in ("csv", "parquet-comments") else args.articles
        rate = f"{records / r['seconds']:,.0f}" if variant != "imports" else "–"
        print(f"{VARIANTS[variant]:40} {r['seconds']:8.1f} {rate:>10} {r['peak_mb']:8.0f} MB "
              f"{r['bytes'] / 2**20:7.0f} MB", flush=True)
    streaming = [v for v in results if v not in ("imports", "baseline")]
    if streaming:
        worst = max(results[v]["peak_mb"] for v in streaming)
        verdict = "under" if worst < LIMIT_MB else "OVER"
        line = f"\nnewsdesk export peak RSS: at most {worst:.0f} MB ({verdict} the {LIMIT_MB} MB limit)"
        if "baseline" in results:
            line += f"; the fetchall baseline peaked at {results['baseline']['peak_mb']:.0f} MB"
        print(line)


if __name__ == "__main__":
    main()
