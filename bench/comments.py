"""Time to read a large comment thread, per comment system, beside a baseline on the same page.

    python bench/comments.py                  # 2,000 comments per thread
    python bench/comments.py --comments 5000

Each system's article of the forum demo site (fixtures/sites/forum) is grown to N comments
(random replies, every thread on one page) and rendered by the demo server's own renderer;
then, on the same bytes:

- ``baseline: parse``: Page.parse (lxml tree, the cost every extraction pays anyway);
- ``baseline: trafilatura comments``: trafilatura's comment extraction (one flat text, no
  authors, times or nesting: what other crawlers offer);
- ``extract_comments + merge_threads``: newsdesk's structured thread.

Not part of the test suite's pass/fail (STYLE.md: benchmarks print figures beside a baseline).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the forum site is a test-only server (tests/sites/)

SYSTEMS = ("wp-block", "jsonld-nested", "microdata", "generic", "selectors")


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=2000)
    args = parser.parse_args()

    import trafilatura

    from sites import forum, open_site
    from crawler.extract.comments import extract_comments, merge_threads
    from crawler.extract.page import Page
    from crawler.sites import load_sites

    forum.THREADS_PER_PAGE = 10 ** 9  # the whole thread on one page
    site = open_site("forum")
    site.url = "http://127.0.0.1:1"
    rules = load_sites(REPO / "sites.toml")["forum"].rules
    print(f"{'system':<14} {'KiB':>6} {'comments':>8} {'parse':>8} {'trafilatura':>12} {'newsdesk':>9}")
    for system in SYSTEMS:
        article = site.by_system(system)
        rng = random.Random(system)
        ids = [c["id"] for c in article["comments"]]
        next_id = max(c["id"] for a in site.articles for c in a["comments"]) + 1
        while len(article["comments"]) < args.comments:
            i = len(article["comments"])
            parent = rng.choice(ids + [None] * 20)
            article["comments"].append({"id": next_id, "parent": parent, "author": f"reader{i % 50}", "author_url": None,
                                        "posted": f"2024-06-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00",
                                        "text": f"Comment {i}: a few words about the story, and a second clause."})
            ids.append(next_id)
            next_id += 1
        _, _, body, _ = site._route(site.path_of(article))
        raw, url = body.encode("utf-8"), site.url + site.path_of(article)
        parse_s, page = timed(lambda: Page.parse(raw, url, rules=rules))
        flat_s, _ = timed(lambda: trafilatura.extract(raw.decode("utf-8"), include_comments=True, url=url))
        ours_s, merged = timed(lambda: merge_threads([extract_comments(Page.parse(raw, url, rules=rules))]))
        print(f"{system:<14} {len(raw) // 1024:>6} {len(merged):>8} {parse_s:>7.2f}s {flat_s:>11.2f}s {ours_s:>8.2f}s")


if __name__ == "__main__":
    main()
