"""The dev-set mode of bench/extraction.py: newsdesk's ``extract_page`` beside trafilatura's
``bare_extraction(..., with_metadata=True)`` on ../shared/data/news-extraction-dev (2,487 pages),
every field (title, authors, date, body F1, body snippets), scored by
../shared/tools/extraction_score.py overall, per source and per language.

    python bench/extraction.py --dev                    # newsdesk re-run, trafilatura from its cache
    python bench/extraction.py --dev --rerun-trafilatura  # both in one run (the figures to publish)

Each of the 2 worker processes takes pages from a shared queue and, when both run, extracts
each page with both extractors back to back, so a busy machine slows both alike. trafilatura's
predictions and timing are cached in bench/out/ under its version and the hash of the cases
file, so iterating on newsdesk re-runs newsdesk only; the header says which figures are from
this run. Prediction files: bench/out/dev-newsdesk.jsonl and dev-trafilatura-*.jsonl.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import subprocess
import sys
import time
import warnings
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DEV_CASES = REPO.parent / "shared" / "data" / "news-extraction-dev" / "cases.jsonl"
DEV_SCORER = REPO.parent / "shared" / "tools" / "extraction_score.py"
FIELDS = (("title", "title"), ("authors", "authors"), ("date", "date"), ("body", "body F1"),
          ("body_snippets", "snippets"))
MIN_LANGUAGE_PAGES = 10

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w:.-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.I)


def decode_as_baseline(raw: bytes) -> str:
    """The dev README's decoding for trafilatura: UTF-8 if valid, else the charset the page
    declares (ISO-8859-1 read as windows-1252), else windows-1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if m := _DECLARED.search(raw[:4096]):
        name = (m.group(1) or m.group(2)).decode("ascii", "replace").lower()
        name = "windows-1252" if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii") else name
        try:
            return raw.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    return raw.decode("windows-1252", errors="replace")


def newsdesk_fields(raw: bytes, url: str) -> dict:
    from crawler.extract import NotAnArticle, extract_page

    try:
        item = extract_page(raw, url, with_comments=False)
    except NotAnArticle as exc:
        return {"title": None, "authors": [], "published": None, "body": None, "refused": exc.reason}
    return {"title": item.title, "authors": item.authors,
            "published": item.published_at and item.published_at.isoformat(), "body": item.body_text}


def trafilatura_fields(raw: bytes, url: str) -> dict:
    from trafilatura import bare_extraction

    doc = bare_extraction(decode_as_baseline(raw), url=url, with_metadata=True)
    if doc is None:
        return {"title": None, "authors": [], "published": None, "body": None}
    doc = doc if isinstance(doc, dict) else doc.as_dict()
    authors = [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]
    return {"title": doc.get("title"), "authors": authors, "published": doc.get("date"), "body": doc.get("text")}


EXTRACTORS = {"newsdesk": newsdesk_fields, "trafilatura": trafilatura_fields}
_NAMES: tuple[str, ...] = ()


def _init_worker(names: tuple[str, ...]) -> None:
    global _NAMES
    _NAMES = names
    sys.path.insert(0, str(REPO))
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


def _work(case: tuple[str, str, str]) -> dict:
    case_id, url, path = case
    raw = gzip.decompress(Path(path).read_bytes())
    out = {"id": case_id}
    for name in _NAMES:
        start = time.perf_counter()
        try:
            fields = EXTRACTORS[name](raw, url)
        except Exception as exc:  # an extractor crash is a failed page, not a failed run
            fields = {"title": None, "authors": [], "published": None, "body": None,
                      "error": f"{type(exc).__name__}: {exc}"[:200]}
        out[name] = (fields, time.perf_counter() - start)
    return out


def _warm_up(names) -> None:
    # one-time costs (py3langid's model, justext's stop lists, imports) are not per-page costs
    html = b"<html><head><title>t</title></head><body><article><h1>t</h1><p>" + b"word " * 200 + b"</p></article></body></html>"
    for name in names:
        EXTRACTORS[name](html, "https://example.com/2024/01/02/x")


def _warm_worker(names):
    _init_worker(names)
    _warm_up(names)


def run_extractors(cases: list[dict], cases_dir: Path, names: tuple[str, ...], processes: int):
    """{name: (predictions in case order, seconds summed over pages)}"""
    jobs = [(c["id"], c["url"], str(cases_dir / c["html"])) for c in cases]
    results: dict[str, dict] = {n: {} for n in names}
    seconds = {n: 0.0 for n in names}
    with get_context("spawn").Pool(processes, initializer=_warm_worker, initargs=(names,)) as pool:
        for done, row in enumerate(pool.imap_unordered(_work, jobs, chunksize=8), 1):
            for n in names:
                fields, secs = row[n]
                results[n][row["id"]] = {"id": row["id"], **fields}
                seconds[n] += secs
            if done % 250 == 0:
                print(f"  {done}/{len(jobs)} pages", file=sys.stderr, flush=True)
    return {n: ([results[n][c["id"]] for c in cases], seconds[n]) for n in names}


def _write(path: Path, predictions: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as w:
        for p in predictions:
            w.write(json.dumps(p, ensure_ascii=False) + "\n")


def _score(scorer: Path, cases: Path, predictions: Path, by: str) -> dict:
    out = subprocess.run([sys.executable, str(scorer), str(cases), str(predictions), "--by", by, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _cell(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _delta(a, b) -> str:
    return "-" if a is None or b is None else f"{a - b:+.3f}"


def _table(title: str, groups: list[str], nd: dict, tf: dict) -> list[str]:
    lines = [title, "", "| set | pages | extractor | " + " | ".join(h for _, h in FIELDS) + " |",
             "|---|---:|---|" + "---:|" * len(FIELDS)]
    for g in groups:
        a, b = nd["groups"][g], tf["groups"][g]
        va = [a.get(m, {}).get("mean") for m, _ in FIELDS]
        vb = [b.get(m, {}).get("mean") for m, _ in FIELDS]
        lines.append(f"| {g} | {a['pages']} | newsdesk | " + " | ".join(map(_cell, va)) + " |")
        lines.append("| | | trafilatura | " + " | ".join(map(_cell, vb)) + " |")
        lines.append("| | | difference | " + " | ".join(_delta(x, y) for x, y in zip(va, vb, strict=False)) + " |")
    return lines + [""]


def _shortfalls(groups: list[str], nd: dict, tf: dict, title_floor: bool = True) -> list[str]:
    """The issue's target: >= 0.02 above trafilatura on every field overall and per source,
    not below it for a language with >= 10 pages; title >= 0.85 overall."""
    out = []
    for g in groups:
        margin = 0.0 if g.startswith("language=") else 0.02
        for m, h in FIELDS:
            a, b = nd["groups"][g].get(m, {}).get("mean"), tf["groups"][g].get(m, {}).get("mean")
            if a is not None and b is not None and a - b < margin - 1e-9:
                out.append(f"{g} {h}: {a:.3f} vs {b:.3f} ({a - b:+.3f}, needs {margin:+.2f})")
    title = nd["groups"]["all"]["title"]["mean"]
    if title_floor and title is not None and title < 0.85:
        out.append(f"all title {title:.3f} < 0.85")
    return out


def _cache_key(cases_path: Path) -> str:
    import trafilatura

    digest = hashlib.sha256(cases_path.read_bytes()).hexdigest()[:16]
    return f"{trafilatura.__version__}-{digest}"


def run_dev(cases_path: Path, scorer: Path, processes: int, rerun_trafilatura: bool) -> int:
    cases = [json.loads(line) for line in cases_path.open(encoding="utf-8") if line.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    key = _cache_key(cases_path)
    tf_path, tf_meta = OUT / f"dev-trafilatura-{key}.jsonl", OUT / f"dev-trafilatura-{key}.json"
    nd_path = OUT / "dev-newsdesk.jsonl"
    cached = tf_path.exists() and tf_meta.exists() and not rerun_trafilatura
    names = ("newsdesk",) if cached else ("newsdesk", "trafilatura")
    print(f"{len(cases)} cases, {processes} processes; running {' and '.join(names)}"
          + (f" (trafilatura from its cache {tf_path.name}, measured {json.loads(tf_meta.read_text())['when']})"
             if cached else " side by side in one run"), file=sys.stderr, flush=True)
    start = time.time()
    runs = run_extractors(cases, cases_path.parent, names, processes)
    wall = time.time() - start
    _write(nd_path, runs["newsdesk"][0])
    ms = {"newsdesk": runs["newsdesk"][1] / len(cases) * 1000}
    if cached:
        ms["trafilatura"] = json.loads(tf_meta.read_text())["ms_per_page"]
    else:
        _write(tf_path, runs["trafilatura"][0])
        ms["trafilatura"] = runs["trafilatura"][1] / len(cases) * 1000
        tf_meta.write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                       "ms_per_page": ms["trafilatura"], "pages": len(cases)}))

    nd = {by: _score(scorer, cases_path, nd_path, by) for by in ("source", "language")}
    tf = {by: _score(scorer, cases_path, tf_path, by) for by in ("source", "language")}
    sources = [g for g in nd["source"]["groups"]]
    languages = ["all"] + [g for g, s in nd["language"]["groups"].items()
                           if g != "all" and s["pages"] >= MIN_LANGUAGE_PAGES]
    refused = sum(1 for p in runs["newsdesk"][0] if p.get("refused"))
    errors = {n: sum(1 for p in (runs[n][0] if n in runs else []) if p.get("error")) for n in EXTRACTORS}

    print(f"news-extraction-dev: {len(cases)} pages; newsdesk {ms['newsdesk']:.1f} ms/page, trafilatura "
          f"{ms['trafilatura']:.1f} ms/page{' (cached run)' if cached else ' (same run)'}, per process, "
          f"{processes} processes, {wall:.0f} s wall; newsdesk refused {refused} pages as not articles"
          + "".join(f", {n} crashed on {k}" for n, k in errors.items() if k))
    print()
    for line in _table("By source:", sources, nd["source"], tf["source"]):
        print(line)
    for line in _table(f"By language (>= {MIN_LANGUAGE_PAGES} pages):", languages, nd["language"], tf["language"]):
        print(line)
    short = _shortfalls(sources, nd["source"], tf["source"]) + \
        _shortfalls(languages[1:], nd["language"], tf["language"], title_floor=False)
    print("Target (>= +0.02 overall and per source, >= 0 per language, title >= 0.85): "
          + ("met" if not short else f"{len(short)} shortfalls"))
    for s in short:
        print(f"  {s}")
    print(f"predictions: {nd_path.relative_to(REPO)}, {tf_path.relative_to(REPO)}; per-case scores: "
          f"{scorer} CASES PRED --json")
    return 0
