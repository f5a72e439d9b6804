"""Article body extraction: newsdesk's extractor beside trafilatura, same run, same pages.

    python bench/extraction.py                 # 181 pages, 3 timed rounds (about 1 minute)
    python bench/extraction.py --rounds 5      # more rounds for a steadier median on a busy machine
    python bench/extraction.py --data DIR --scorer PATH/body_f1.py
    python bench/extraction.py --dev           # every field on the 2,487-page dev set (bench/extraction_dev.py)
    python bench/extraction.py --dev --rerun-trafilatura   # both extractors in one run, no cache

Pages: ../shared/data/article-extraction-benchmark/html/*.html.gz (181 news and blog
pages, MIT licensed, with hand-made ground truth). Each page's bytes go, undecoded:

- to newsdesk through the entry point the spider uses: ``Page.parse(bytes, url)`` then
  ``parse_article(page, with_comments=False)`` (the spider extracts comments separately);
  a page newsdesk refuses as "not an article" counts as an empty body;
- to trafilatura's own entry point with its defaults: ``trafilatura.extract(bytes)``.

Both prediction files are written to bench/out/ and scored with the benchmark's scorer
(../shared/tools/body_f1.py). Timing: each round times every page with both extractors
back to back (so a busy machine slows both alike); the figure is the median over rounds of
the mean ms per page. One warm-up pass over a few pages comes first, so that one-time costs
(py3langid's model, justext's stop lists, imports) are not charged to the first pages.

Not part of the test suite's pass/fail (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DATA = REPO.parent / "shared" / "data" / "article-extraction-benchmark"
SCORER = REPO.parent / "shared" / "tools" / "body_f1.py"
sys.path.insert(0, str(REPO))


def newsdesk_body(raw: bytes, url: str) -> str:
    from crawler.extract import NotAnArticle, parse_article
    from crawler.extract.page import Page

    try:
        page = Page.parse(raw, url)
        return parse_article(page, with_comments=False).body_text or ""
    except NotAnArticle:
        return ""


def trafilatura_body(raw: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(raw) or ""


EXTRACTORS = {"newsdesk": newsdesk_body, "trafilatura": trafilatura_body}


def load_pages(data: Path) -> list[tuple[str, str, bytes]]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((data / "html").glob("*.html.gz")):
        key = path.name.removesuffix(".html.gz")
        pages.append((key, truth.get(key, {}).get("url", ""), gzip.decompress(path.read_bytes())))
    return pages


def run_round(pages) -> tuple[dict, dict]:
    """One pass over every page with both extractors: (predictions, seconds) per extractor."""
    predictions = {name: {} for name in EXTRACTORS}
    seconds = {name: 0.0 for name in EXTRACTORS}
    for key, url, raw in pages:
        for name, extract in EXTRACTORS.items():
            start = time.perf_counter()
            body = extract(raw, url)
            seconds[name] += time.perf_counter() - start
            predictions[name][key] = {"articleBody": body}
    return predictions, seconds


def score(scorer: Path, predictions: Path, truth: Path) -> dict:
    out = subprocess.run([sys.executable, str(scorer), str(predictions), "--truth", str(truth)],
                         capture_output=True, text=True, check=True).stdout.split()
    # "F1 0.975  precision 0.965  recall 0.986  accuracy 0.442  pages 181"
    return {out[i].lower(): float(out[i + 1]) for i in range(0, len(out) - 1, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="benchmark folder (html/ and ground-truth.json)")
    ap.add_argument("--scorer", type=Path, default=SCORER, help="path to body_f1.py")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds (the median is reported)")
    ap.add_argument("--dev", action="store_true",
                    help="title/authors/date/body on ../shared/data/news-extraction-dev instead (see extraction_dev.py)")
    ap.add_argument("--cases", type=Path, default=None, help="--dev: the cases file (default: the dev set's)")
    ap.add_argument("--dev-scorer", type=Path, default=None, help="--dev: path to extraction_score.py")
    ap.add_argument("--processes", type=int, default=2, help="--dev: worker processes")
    ap.add_argument("--rerun-trafilatura", action="store_true",
                    help="--dev: run trafilatura too instead of reading its cached predictions")
    args = ap.parse_args()
    if args.dev:
        from extraction_dev import DEV_CASES, DEV_SCORER, run_dev

        cases, scorer = args.cases or DEV_CASES, args.dev_scorer or DEV_SCORER
        for what, path in (("cases file", cases), ("scorer", scorer)):
            if not path.is_file():
                print(f"extraction.py: {what} {path} not found", file=sys.stderr)
                return 2
        return run_dev(cases, scorer, max(1, args.processes), args.rerun_trafilatura)
    warnings.filterwarnings("ignore")  # dateutil's and trafilatura's warnings about odd pages
    import logging

    logging.disable(logging.WARNING)

    pages = load_pages(args.data)
    run_round(pages[:5])  # warm-up: one-time loads are not per-page costs
    per_round = []
    for _ in range(max(1, args.rounds)):
        predictions, seconds = run_round(pages)
        per_round.append(seconds)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name in EXTRACTORS:
        path = OUT / f"extraction-{name}.json"
        path.write_text(json.dumps(predictions[name], ensure_ascii=False), encoding="utf-8")
        rows[name] = score(args.scorer, path, args.data / "ground-truth.json")
        rounds_ms = [s[name] / len(pages) * 1000 for s in per_round]
        rows[name]["ms"] = statistics.median(rounds_ms)
        rows[name]["ms_all"] = rounds_ms
    ratio = statistics.median(s["newsdesk"] / s["trafilatura"] for s in per_round)

    print(f"{len(pages)} pages, {len(per_round)} timed rounds (median ms/page; every round: "
          "newsdesk then trafilatura on each page)")
    print(f"{'extractor':<13} {'F1':>6} {'precision':>10} {'recall':>7} {'accuracy':>9} {'ms/page':>8}   rounds")
    for name, r in rows.items():
        print(f"{name:<13} {r['f1']:>6.3f} {r['precision']:>10.3f} {r['recall']:>7.3f} {r['accuracy']:>9.3f} "
              f"{r['ms']:>8.1f}   {' '.join(f'{m:.1f}' for m in r['ms_all'])}")
    print(f"time ratio newsdesk/trafilatura (median over rounds): {ratio:.2f}x")
    print(f"predictions: {OUT.relative_to(REPO)}/extraction-newsdesk.json, extraction-trafilatura.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
