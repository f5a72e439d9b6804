"""Page classification: precision and recall of "is an article" (crawler/extract/classify.py).

    python bench/classify.py                  # saved sets + the demo sites (about 3 minutes)
    python bench/classify.py --wordpress      # also a live WordPress site (tests/sites/wordpress.py; root)
    python bench/classify.py --sets nonarticles,demo --errors   # some sets, and list every miss

The question is the one the spider asks of a page no article URL pattern names:
``looks_like_article(Page.parse(bytes, url))``. Sets:

- ``benchmark``: the 181 article pages of ../shared/data/article-extraction-benchmark (all articles);
- ``dev``: the 2,487 article pages of ../shared/data/news-extraction-dev (all articles; per source too);
- ``nonarticles``: fixtures/pages/nonarticles (labels.json: listings, archives, tag, author,
  date and search pages, home pages, error, attachment and static pages; none is an article);
- ``demo``, ``forum``, ``hostile``: every HTML page of the bundled demo sites, served on 127.0.0.1
  and walked link by link; a page is an article when the site's content says it is one;
- ``wordpress`` (``--wordpress``): every page of the test WordPress site, walked the same way; its
  published posts (not the password-protected one) are the articles.

The baseline, measured in the same run on the same pages, is the rule this classifier replaced
(running text above word-count thresholds, after article markup and a count of headline links),
kept verbatim below. Not part of the test suite's pass/fail (STYLE.md).
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
NONARTICLES = REPO / "fixtures" / "pages" / "nonarticles"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def baseline_rule(page) -> bool:
    """The classification before this bench existed (verbatim logic, for the comparison)."""
    from crawler.extract.metadata import extract_body, extract_title
    from crawler.extract.sources import element_text, json_ld_article
    from crawler.extract.xpaths import NOT_FOUND

    if page.tree.xpath(NOT_FOUND):
        return False
    if json_ld_article(page).get("@type") not in (None, "WebPage") or page.meta_first("og:type") == "article":
        return True
    teasers = page.tree.xpath("//main//h2/a | //main//h3/a | //article//h2/a | //*[contains(@class,'teaser') "
                              "or contains(@class,'post-list') or contains(@class,'entry-summary')]//a[1]")
    if len(teasers) >= 4:
        return False
    paragraphs = [p for p in (element_text(e) for e in page.tree.xpath("//p")) if len(p.split()) >= 12]
    words = sum(len(p.split()) for p in paragraphs)
    links = len(page.tree.xpath("//a[@href]"))
    if words >= 150 and words / max(links, 1) > 2 and len(page.tree.xpath("//h1")) <= 1:
        return True
    body = extract_body(page, extract_title(page)) or ""
    blocks = [b for b in body.split("\n\n") if len(b.split()) >= 12 or len(b) >= 60]
    words_in_body = sum(len(b.split()) for b in blocks)
    return words_in_body >= 150 or sum(len(b) for b in blocks) >= 1500 or (
        words_in_body >= 60 and any(len(b.split()) >= 40 for b in blocks))


# --- the sets: (name, url, bytes, is_article) --------------------------------------------

def benchmark_pages():
    data = SHARED / "article-extraction-benchmark"
    truth = json.loads((data / "ground-truth.json").read_text())
    for key, case in sorted(truth.items()):
        yield key, case["url"], gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()), True


def dev_pages():
    data = SHARED / "news-extraction-dev"
    for line in (data / "cases.jsonl").read_text().split("\n"):
        if not line.strip():
            continue
        case = json.loads(line)
        yield case["id"], case["url"], gzip.decompress((data / case["html"]).read_bytes()), True


def nonarticle_pages():
    labels = json.loads((NONARTICLES / "labels.json").read_text())
    for name, label in sorted(labels.items()):
        yield f"{name} ({label['kind']})", label["url"], gzip.decompress((NONARTICLES / name).read_bytes()), False


def walk(base: str, is_article, limit: int = 400, skip=lambda url: False):
    """Every same-site HTML page reachable from BASE (comment pages and feeds left out)."""
    from lxml import html as lxml_html

    host = urlsplit(base).netloc
    queue, seen = [base], {base}
    while queue and len(seen) <= limit:
        url = queue.pop(0)
        if skip(url):
            continue
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                ctype, body, url = response.headers.get("Content-Type", ""), response.read(), response.geturl()
        except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError):
            continue
        if "html" not in ctype or not body.strip():
            continue
        yield url, url, body, is_article(url)
        try:
            tree = lxml_html.fromstring(body)
        except Exception:  # noqa: BLE001 - a hostile page may not parse; it has no links then
            continue
        for href in tree.xpath("//a/@href"):
            try:  # a hostile page's href may not even split ("http://[" is an invalid IPv6 host)
                link = urldefrag(urljoin(url, href))[0]
                parts = urlsplit(link)
            except ValueError:
                continue
            if parts.netloc != host or re.search(r"comment-page-|cpage=|replytocom=|/feed/?$|\.(xml|json|pdf|jpe?g|png)$"
                                                 r"|/wp-(json|admin|login|includes|content)", link):
                continue
            if link not in seen:
                seen.add(link)
                queue.append(link)


def demo_pages(name: str):
    """An article's other comment pages (?page=2, ?talk=2) are that article: labelled by the path."""
    from sites import (
        open_site,  # tests/sites: the demo site and the test-only forum and hostile sites
    )

    with open_site(name) as site:
        articles = {site.url + site.path_of(a) for a in site.articles}
        def skip(url):
            return False
        if name == "hostile":
            from sites.hostile import CASE_DATE, CASES

            # The hostile site's article-like cases that a crawl reads as articles; the huge
            # transcripts never reach the classifier (cut by the download size limit).
            articles |= {f"{site.url}/{CASE_DATE}/{slug}/" for slug, case in CASES.items()
                         if case.startswith(("latin1", "cp1251", "broken", "defined", "slow"))}
            def skip(url):
                return CASES.get(url.rstrip("/").rsplit("/", 1)[-1], "").startswith("huge")
        yield from walk(site.url + "/", lambda u: u.split("?")[0] in articles, skip=skip)


def wordpress_pages():
    from sites.wordpress import WordPressSite

    with WordPressSite() as site:
        posts = {p["url"] for p in site.truth()["posts"].values()
                 if p["type"] == "post" and p["status"] == "publish" and not p["protected"]}
        yield from walk(site.url, lambda u: u in posts)


def save_demo_nonarticles(dest: Path = NONARTICLES) -> None:
    """Save the demo sites' non-article pages (listings, sections, home, site pages) into the labelled set."""
    labels_file = dest / "labels.json"
    labels = json.loads(labels_file.read_text()) if labels_file.exists() else {}
    for name in ("demo", "forum", "hostile"):
        kept = Counter()
        for _, url, raw, is_article in demo_pages(name):
            path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
            kind = ("home" if path == "/" else "listing (page 2+)" if "/page/" in path else "section" if "/section/"
                    in path else "calendar" if "date=" in path or "calendar" in path else "site page")
            if is_article or kept[kind] >= 3 or b"\x00" in raw[:2048]:  # binary bytes are no page
                continue
            kept[kind] += 1
            file = f"demosite-{name}-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home") + ".html.gz"
            raw = raw.replace(urlsplit(url).netloc.encode(), f"{name}.demo.example".encode())
            (dest / file).write_bytes(gzip.compress(raw, mtime=0))
            labels[file] = {"url": f"http://{name}.demo.example{path}", "kind": kind,
                            "from": f"newsdesk's {name} demo site (crawler/demosite)"}
    labels_file.write_text(json.dumps(dict(sorted(labels.items())), indent=1, ensure_ascii=False) + "\n")


SETS = {
    "benchmark": benchmark_pages, "dev": dev_pages, "nonarticles": nonarticle_pages,
    "demo": lambda: demo_pages("demo"), "forum": lambda: demo_pages("forum"), "hostile": lambda: demo_pages("hostile"),
    "wordpress": wordpress_pages,
}


def classify(raw: bytes, url: str) -> tuple[bool, bool, str]:
    from crawler.extract import NotAnArticle, looks_like_article
    from crawler.extract.page import Page

    try:
        page = Page.parse(raw, url)
    except NotAnArticle as exc:
        return False, False, exc.reason
    verdict, reason = looks_like_article(page)
    return verdict, baseline_rule(Page.parse(raw, url)), reason


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="benchmark,dev,nonarticles,demo,forum,hostile")
    parser.add_argument("--wordpress", action="store_true", help="also crawl a live WordPress site (needs root)")
    parser.add_argument("--errors", action="store_true", help="list every page classified wrongly")
    parser.add_argument("--save-demo-nonarticles", action="store_true",
                        help="(re)save the demo sites' non-article pages into fixtures/pages/nonarticles")
    args = parser.parse_args(argv)
    if args.save_demo_nonarticles:
        save_demo_nonarticles()
        return 0
    names = [n for n in args.sets.split(",") if n] + (["wordpress"] if args.wordpress else [])
    unknown = [n for n in names if n not in SETS]
    if unknown:
        parser.error(f"unknown set(s): {', '.join(unknown)} (known: {', '.join(SETS)})")

    rows, total, total_base = [], Counter(), Counter()
    misses = []
    started = time.monotonic()
    for name in names:
        counts, base, by_source = Counter(), Counter(), {}
        for key, url, raw, truth in SETS[name]():
            verdict, baseline, reason = classify(raw, url)
            cell = ("tp" if verdict else "fn") if truth else ("fp" if verdict else "tn")
            counts[cell] += 1
            base[("tp" if baseline else "fn") if truth else ("fp" if baseline else "tn")] += 1
            if name == "dev":
                by_source.setdefault(key.rsplit("-", 1)[0].replace("-dev", ""), Counter())[cell] += 1
            if cell in ("fp", "fn"):
                misses.append((name, cell, key, url, reason))
        rows.append((name, counts, base))
        rows.extend((f"  dev, {src}", c, None) for src, c in sorted(by_source.items()))
        total.update(counts)
        total_base.update(base)
    rows.append(("all", total, total_base))

    def pr(c: Counter) -> tuple[str, str, str]:
        def ratio(a, b):
            return f"{a / b:.3f}" if b else "-"
        return (ratio(c["tp"], c["tp"] + c["fp"]), ratio(c["tp"], c["tp"] + c["fn"]),
                ratio(c["tn"], c["tn"] + c["fp"]))

    print("| set | pages | articles | not articles | precision | recall | non-articles kept out "
          "| baseline precision | baseline recall | baseline kept out |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c, b in rows:
        p, r, k = pr(c)
        bp, br, bk = pr(b) if b is not None else ("", "", "")
        print(f"| {name} | {sum(c.values())} | {c['tp'] + c['fn']} | {c['fp'] + c['tn']} | {p} | {r} | {k} "
              f"| {bp} | {br} | {bk} |")
    print(f"\n(precision: of the pages called articles, how many are; recall: of the articles, how many are "
          f"called articles; kept out: of the other pages, how many are not called articles; "
          f"{time.monotonic() - started:.0f} s)")
    if args.errors:
        for name, cell, key, url, reason in misses:
            print(f"{name}\t{'false article' if cell == 'fp' else 'missed article'}\t{key}\t{url}\t{reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
