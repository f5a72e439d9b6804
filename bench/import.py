"""WARC import throughput: `newsdesk import-warc` on N cores beside a one-process trafilatura loop.

    python bench/import.py                   # 181 real pages, 3 rounds, 2 workers
    python bench/import.py --rounds 5 --workers 2 --copies 2

Input: a WARC written here (bench/out/import-bench.warc.gz) holding the 181 news and blog pages
of ../shared/data/article-extraction-benchmark as HTTP responses under their own URLs (warcio,
gzip per record); ``--copies N`` adds N-1 more copies of each page under other host names (so
they are other URLs; their content makes them duplicates, as syndicated copies in CC-NEWS are).

Measured in the same run, alternately, each round:

- baseline: one process reads the WARC with warcio's ArchiveIterator and calls
  ``trafilatura.bare_extraction(body, url=url)`` on each HTML response;
- newsdesk: ``WarcImporter.import_file`` (what `newsdesk import-warc` runs) into a fresh SQLite
  database with the whole pipeline on: the spider's extraction and comment threads, validate,
  clean, dedup (MinHash signature and the near-duplicate lookup), store — ``--workers``
  extraction processes and one writer. Its time includes indexing the file, forking the pool and
  every commit.

Both run after a warm-up (imports, trafilatura's and py3langid's models), so start-up is not
charged to either. Pages/s = HTML response records / seconds; the figure is the median of the
rounds. The machine is shared: compare the two columns of one run, not runs with each other.

Beside wall-clock rates, each run's CPU time per page (user + system, of every process: the
import's writer and its workers) and, before and after, how much of a second core this session
gets right now (two busy processes against one: 2.00x when both cores are free). The kernel
shares the cores between sessions (autogroup), so while other sessions keep the machine busy a
pool of workers gets about what one process gets, and the wall-clock ratio says more about the
load than about the import; the CPU ratio does not depend on it: "on 2 free cores" is
2 x loop CPU / import CPU, the ratio a CPU-bound import would reach with both cores to itself.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DATA = REPO.parent / "shared" / "data" / "article-extraction-benchmark"
sys.path.insert(0, str(REPO))


def build_warc(data: Path, target: Path, copies: int) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((data / "html").glob("*.html.gz")):
        key = path.name.removesuffix(".html.gz")
        url = truth.get(key, {}).get("url") or f"https://bench.invalid/{key}"
        pages.append((url, gzip.decompress(path.read_bytes())))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for copy in range(copies):
            for url, body in pages:
                if copy:
                    parts = urlsplit(url)
                    url = urlunsplit((parts.scheme, f"copy{copy}.{parts.hostname}", parts.path, parts.query, ""))
                headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
                writer.write_record(writer.create_warc_record(
                    url, "response", payload=BytesIO(body),
                    http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")))
    return len(pages) * copies


def cpu_seconds() -> float:
    """User + system time of this process and of its reaped children (the import's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _burn(n: int = 3_000_000) -> None:
    total = 0
    for i in range(n):
        total += i


def second_core() -> float:
    """How much two busy processes get done against one, now: 2.0 with both cores free."""
    started = time.perf_counter()
    _burn()
    one = time.perf_counter() - started
    started = time.perf_counter()
    pids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            _burn()
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return 2 * one / (time.perf_counter() - started)


def timed(fn, *args):
    """fn's result, wall seconds and CPU seconds (this process and its children)."""
    cpu, started = cpu_seconds(), time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - started, cpu_seconds() - cpu


def trafilatura_loop(warc: Path) -> tuple[int, float]:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    started, pages = time.perf_counter(), 0
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                continue
            if "html" not in (record.http_headers.get_header("Content-Type") or ""):
                continue
            body = record.content_stream().read()
            trafilatura.bare_extraction(body, url=record.rec_headers.get_header("WARC-Target-URI"))
            pages += 1
    return pages, time.perf_counter() - started


def newsdesk_import(warc: Path, workers: int, workdir: Path, round_no: int) -> tuple[int, float, dict]:
    from crawler.warc.importer import WarcImporter
    from models.db import resolve_url

    db = resolve_url(str(workdir / f"import-{round_no}.db"))
    importer = WarcImporter(db, sites={}, workers=workers)
    importer.open()
    started = time.perf_counter()
    outcome = importer.import_file(str(warc))
    seconds = time.perf_counter() - started
    importer.close("finished")
    return outcome.records, seconds, importer.stats.get_stats()


def stage_costs(warc: Path, workdir: Path) -> dict[str, float]:
    """ms per page of each stage, one process, after a warm-up pass: where the import's time goes."""
    import trafilatura

    from crawler.extract import parse_article
    from crawler.extract.comments import extract_comments
    from crawler.extract.page import Page
    from crawler.warc.importer import RecordExtractor, WarcImporter
    from crawler.warc.reader import RecordReader, scan_responses
    from models.db import resolve_url

    heads = list(scan_responses(str(warc)))
    reader = RecordReader()
    records = [reader.read(str(warc), h.offset) for h in heads]
    extractor = RecordExtractor(str(warc), {h.url: h.offset for h in heads}, {}, None, {})
    for r in records:  # warm-up
        extractor(r.warc_offset)

    def timed(fn) -> float:
        started = time.perf_counter()
        for r in records:
            try:
                fn(r)
            except Exception:  # a page that is not an article still cost its time
                pass
        return (time.perf_counter() - started) * 1000 / len(records)

    out = {"trafilatura.bare_extraction": timed(lambda r: trafilatura.bare_extraction(r.body, url=r.url)),
           "newsdesk Page.parse + parse_article": timed(lambda r: parse_article(Page.parse(r.body, r.url),
                                                                                 with_comments=False)),
           "newsdesk extract_comments": timed(lambda r: extract_comments(Page.parse(r.body, r.url)))}
    results = []
    out["worker: one record, spider + thread + validate/clean/dedup"] = timed(
        lambda r: results.append(extractor(r.warc_offset)))
    importer = WarcImporter(resolve_url(str(workdir / "stages.db")), sites={}, workers=1)
    importer.open()
    started = time.perf_counter()
    for result in results:
        if result.item is not None:
            with importer.sessions.begin() as session:
                importer.store.save(session, result.item, importer.site_id(session, result.item))
    out["writer: store one article (StorePipeline.save + commit)"] = (time.perf_counter() - started) * 1000 / len(records)
    importer.close("finished")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=1, help="copies of each page (other hosts: duplicates)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)
    warc = OUT / "import-bench.warc.gz"
    records = build_warc(args.data, warc, args.copies)
    print(f"WARC: {warc} ({records} HTML responses, {warc.stat().st_size / 1e6:.1f} MB); "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # Warm-up: imports and models for both, before anything is timed.
        trafilatura_loop(warc)
        newsdesk_import(warc, args.workers, workdir, 0)
        base, ours, base_cpu, ours_cpu, last_stats = [], [], [], [], {}
        cores = [second_core()]
        for n in range(1, args.rounds + 1):
            (pages, _), seconds, cpu = timed(trafilatura_loop, warc)
            base.append(pages / seconds)
            base_cpu.append(cpu * 1000 / pages)
            (done, _, last_stats), seconds, cpu = timed(newsdesk_import, warc, args.workers, workdir, n)
            ours.append(done / seconds)
            ours_cpu.append(cpu * 1000 / done)
            print(f"round {n}: trafilatura loop {base[-1]:.1f} pages/s ({base_cpu[-1]:.0f} ms CPU/page), "
                  f"newsdesk import {ours[-1]:.1f} pages/s ({ours_cpu[-1]:.0f} ms CPU/page), "
                  f"{ours[-1] / base[-1]:.2f}x")
        cores.append(second_core())
    b, o = statistics.median(base), statistics.median(ours)
    bc, oc = statistics.median(base_cpu), statistics.median(ours_cpu)
    ratios = statistics.median(x / y for x, y in zip(ours, base, strict=False))
    cpu_ratio = statistics.median(2 * x / y for x, y in zip(base_cpu, ours_cpu, strict=False))
    stored = last_stats.get("newsdesk/articles_new", 0)
    dups = sum(v for k, v in last_stats.items() if k.startswith("newsdesk/duplicates/"))
    skipped = sum(v for k, v in last_stats.items() if k.startswith(("newsdesk/skipped/", "newsdesk/articles_dropped/")))
    print()
    print(f"| run ({args.rounds} rounds, median) | processes | pages/s | vs loop | CPU ms/page | "
          "vs loop on 2 free cores |")
    print("|---|---|---|---|---|---|")
    print(f"| warcio + trafilatura.bare_extraction loop | 1 | {b:.1f} | 1.00x | {bc:.1f} | 1.00x |")
    print(f"| newsdesk import-warc, whole pipeline (extract, comments, validate, clean, dedup, store) | "
          f"{args.workers} workers + 1 writer | {o:.1f} | {ratios:.2f}x | {oc:.1f} | {cpu_ratio:.2f}x |")
    print(f"\nsecond core available to this session: {cores[0]:.2f}x before, {cores[1]:.2f}x after "
          "(2.00x: both cores free)")
    print("\n| stage (one process, same pages) | ms/page |\n|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for stage, ms in stage_costs(warc, Path(tmp)).items():
            print(f"| {stage} | {ms:.0f} |")
    print(f"\nlast round: {stored} articles stored, {dups} duplicates, {skipped} pages not stored (not articles, "
          f"too short); load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
