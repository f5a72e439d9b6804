"""Fuzz the readers of untrusted input with >= 10,000 inputs (the CI test runs a few hundred).

    python bench/fuzz.py                  # 10,000 inputs, seed 1
    python bench/fuzz.py --inputs 20000 --seed 7

Targets and inputs are tests/fuzz_targets.py's: extract_page, the comment extractors (on a
page, and on comment-page / WordPress-feed / Disqus responses), canonical_url and
canonical_for_page, charset detection, the spider's sitemap and feed parsing, and dates; with
random bytes and text, and real pages (fixtures/pages, ../shared/data's benchmark and dev
set) mutated. Prints per target: inputs, unexpected exceptions (anything but NotAnArticle /
InvalidURL), inputs over 2 s CPU, max and median CPU seconds per input; and the same figures
for the unmutated real pages (the baseline, measured in this run). CPU time, not wall time:
the figures do not depend on how busy the machine is. Exit 1 on any unexpected exception or
slow input; each is written to bench/out/fuzz-failures/ to reproduce.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import fuzz_targets as fz  # noqa: E402

OUT = REPO / "bench" / "out" / "fuzz-failures"

# (target, share of the inputs, how an input is made)
def _page(rng):
    pages = fz.real_pages()
    return fz.mutate(pages[rng.randrange(len(pages))], rng) if rng.random() < 0.85 else rng.randbytes(
        rng.randint(0, 4000))


def _text(rng, pool):
    if rng.random() < 0.4:
        return rng.choice(pool)
    if rng.random() < 0.5:
        return rng.choice(pool) + "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 40)))
    return "".join(chr(rng.choice((rng.randint(32, 126), rng.randint(0, 0x10FFFF) & 0xD7FF)))
                   for _ in range(rng.randint(0, 300)))


def _xml(rng, base):
    return fz.mutate(base, rng) if rng.random() < 0.8 else rng.randbytes(rng.randint(0, 3000))


PLAN = [
    (fz.target_extract_page, 0.10, _page),
    (fz.target_comments, 0.08, _page),
    (fz.target_comment_responses, 0.07, _page),
    (fz.target_charset, 0.10, _page),
    (fz.target_sitemap, 0.10, lambda rng: _xml(rng, fz.SITEMAP)),
    (fz.target_feed, 0.10, lambda rng: _xml(rng, fz.FEED)),
    (fz.target_url, 0.30, lambda rng: _text(rng, fz.ODD_URLS + [fz.URL])),
    (fz.target_date, 0.15, lambda rng: _text(rng, fz.ODD_DATES)),
]


def run(inputs: int, seed: int) -> int:
    rng = random.Random(seed)
    started = time.monotonic()
    fz.warm_up()
    print(f"warm-up (dateparser's languages, once per process): {time.monotonic() - started:.1f}s", flush=True)
    failures = 0
    rows = []
    # Baseline: the real pages as they are.
    base_times = [fz.timed(fz.target_extract_page, page) for page in fz.real_pages()]
    for target, share, make in PLAN:
        count = max(1, round(inputs * share))
        times, errors, slow = [], 0, 0
        for i in range(count):
            value = make(rng)
            try:
                seconds = fz.timed(target, value)
            except Exception:  # noqa: BLE001 - what the bench is looking for
                errors += 1
                _keep(target.__name__, i, value, traceback.format_exc())
                continue
            times.append(seconds)
            if seconds > fz.MAX_SECONDS:
                slow += 1
                _keep(target.__name__, i, value, f"{seconds:.2f} s CPU")
        failures += errors + slow
        rows.append((target.__name__.removeprefix("target_"), count, errors, slow, max(times, default=0),
                     statistics.median(times) if times else 0))
        print(f"  {rows[-1][0]}: {count} inputs, {errors} exceptions, {slow} slow, max {rows[-1][4]:.2f}s",
              flush=True)
    total = sum(r[1] for r in rows)
    print(f"\n{total} inputs in {time.monotonic() - started:.0f}s wall (machine shared; times below are CPU)\n")
    print("| target | inputs | unexpected exceptions | over 2 s | max s/input | median s/input |")
    print("|---|---|---|---|---|---|")
    for name, count, errors, slow, worst, median in rows:
        print(f"| {name} | {count} | {errors} | {slow} | {worst:.2f} | {median:.3f} |")
    print(f"| baseline: extract_page on the {len(base_times)} real pages unmutated | {len(base_times)} | 0 | "
          f"{sum(t > fz.MAX_SECONDS for t in base_times)} | {max(base_times):.2f} | {statistics.median(base_times):.3f} |")
    print(f"\ntotal: {total} inputs, {failures} unexpected exceptions or slow inputs")
    return 1 if failures else 0


def _keep(name: str, i: int, value, why: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    (OUT / f"{name}-{i}.input").write_bytes(data)
    (OUT / f"{name}-{i}.txt").write_text(why, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raise SystemExit(run(args.inputs, args.seed))
