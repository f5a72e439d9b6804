"""A small, fixed corpus for the storage tests, written through models.repository.save_article
exactly as the store pipeline writes: the seed article (shared/seed), articles on two
sites with bylines, tags and nested comment threads, an edited article, an exact
duplicate under a second URL, a near duplicate, and two crawl runs."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from models import repository, runs

REPO = Path(__file__).resolve().parents[1]
# The shared seed article, copied verbatim (../shared/seed/000_d6af04d05aa44628.txt).
SEED_FILE = REPO / "fixtures" / "seed" / "000_d6af04d05aa44628.txt"
SEED_TITLE = "US Is Not Delaying Syria Talks With Russia On Aleppo: John Kerry"
SEED_URL = "https://goldwater.example/2016/12/us-is-not-delaying-syria-talks"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def content_hash(title: str | None, body: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\n{body or ''}".encode()).hexdigest()


def comment(ext: str, text: str, *, parent: str | None = None, depth: int = 0, author: str = "reader",
            posted: datetime | None = None, deleted: bool = False) -> dict:
    return {"external_id": ext, "parent_external_id": parent, "depth": depth, "author": author,
            "author_url": None, "posted_at": posted, "edited_at": None, "deleted": deleted,
            "body_text": text, "content_hash": hashlib.sha256(text.encode()).hexdigest()}


def article(url: str, title: str, body: str, *, authors=(), tags=(), published: datetime | None = None,
            section: str | None = None, comments=(), site: str = "goldwater", complete: bool = True) -> dict:
    return {"url": url, "canonical_url": url, "site": site, "title": title, "subtitle": None,
            "authors": list(authors), "tags": list(tags), "published_at": published, "modified_at": None,
            "language": "en", "section": section, "image_url": None, "lead": None, "body_text": body,
            "word_count": len(body.split()), "content_hash": content_hash(title, body),
            "comments": list(comments), "comments_complete": complete}


def seed_article() -> dict:
    """The shared seed article: 'By: NAME | MM-DD-YYYY | SECTION', a photo credit, the title, the body."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    byline = [part.strip() for part in lines[0].split("|")]
    author = byline[0].removeprefix("By:").strip()
    month, day, year = (int(x) for x in byline[1].split("-"))
    title = lines[3].strip()
    body = "\n".join(lines[5:]).strip()
    return article(SEED_URL, title, body, authors=[author], tags=["Syria", "Russia"],
                   published=utc(year, month, day, 9, 30), section=byline[2],
                   comments=[
                       comment("c1", "Talks with Moscow never work, the ceasefire is a farce.",
                               author="Alice", posted=utc(2016, 12, 7, 10, 0)),
                       comment("c2", "Kerry is right, diplomacy takes time.", parent="c1", depth=1,
                               author="Bob", posted=utc(2016, 12, 7, 11, 0)),
                       comment("c3", "Where is the UN in all this?", author="Carol",
                               posted=utc(2016, 12, 8, 8, 0)),
                       comment("c4", "Bob, diplomacy is how Aleppo got here.", parent="c2", depth=2,
                               author="Alice", posted=utc(2016, 12, 8, 9, 0)),
                       comment("c5", "Agree with Carol.", parent="c3", depth=1, author="Dave",
                               posted=utc(2016, 12, 8, 10, 0)),
                   ])


OTHER_ARTICLES = [
    article("https://goldwater.example/2016/12/aleppo-ceasefire-collapses", "Aleppo ceasefire collapses",
            "The ceasefire in eastern Aleppo collapsed on Wednesday.\n\nShelling resumed at dawn, "
            "residents said, and evacuation buses stood empty.",
            authors=["Mary Smith", "Earnest Jones"], tags=["Syria"], published=utc(2016, 12, 8, 14, 0),
            section="World", comments=[comment("k1", "Predictable. Nobody trusted this ceasefire.",
                                               author="Alice", posted=utc(2016, 12, 8, 15, 0))]),
    article("https://dailyplanet.example/news/city-council-budget", "City council passes budget",
            "The council passed the budget after a long night of debate.\n\nLibraries keep their hours; "
            "road repairs wait another year.",
            authors=["Lois Lane"], tags=["Local", "Budget"], published=utc(2016, 12, 8, 18, 0),
            section="Local", site="dailyplanet",
            comments=[comment("p1", "Finally some good news for the libraries.", author="Jimmy",
                              posted=utc(2016, 12, 8, 19, 0)),
                      comment("p2", "Roads are a disgrace.", author="Perry", posted=utc(2016, 12, 9, 7, 0)),
                      comment("p3", "Agreed, Perry.", parent="p2", depth=1, author="Jimmy",
                              posted=utc(2016, 12, 9, 8, 0))]),
    article("https://dailyplanet.example/sport/harbour-marathon", "Record field for the harbour marathon",
            "More than nine thousand runners start the harbour marathon on Sunday.",
            authors=["Clark Kent", "Lois Lane"], tags=["Sport"], published=utc(2016, 12, 9, 6, 0),
            section="Sport", site="dailyplanet"),
]

# Syndicated copy of the seed article on another site: stored, pointing at the first copy.
NEAR_DUPLICATE_URL = "https://dailyplanet.example/world/us-not-delaying-syria-talks"
PRINT_URL = "https://dailyplanet.example/print/city-council-budget"


def seed_corpus(session) -> dict[str, int]:
    """Write the corpus; returns article ids by canonical URL. The caller commits."""
    now = utc(2016, 12, 10, 12, 0)
    ids = {}
    seed = seed_article()
    gold = repository.ensure_site(session, "goldwater", "https://goldwater.example/")
    planet = repository.ensure_site(session, "dailyplanet", "https://dailyplanet.example/")
    ids[seed["url"]] = repository.save_article(session, gold, seed, now=now).article_id
    for item in OTHER_ARTICLES:
        site_id = gold if item["site"] == "goldwater" else planet
        ids[item["url"]] = repository.save_article(session, site_id, item, now=now).article_id
    copy = article(NEAR_DUPLICATE_URL, seed["title"], seed["body_text"].replace("Tuesday", "Tuesday, 6 December"),
                   authors=["Wire Service"], published=utc(2016, 12, 7, 12, 0), section="World",
                   site="dailyplanet")
    ids[NEAR_DUPLICATE_URL] = repository.save_article(
        session, planet, copy, near_duplicate=(ids[seed["url"]], 0.93), now=now).article_id
    # An edit: the marathon article changes after it was first stored (two versions).
    marathon = dict(OTHER_ARTICLES[-1])
    marathon["body_text"] += "\n\nUpdate: the start moves to 9 a.m. because of the storm warning."
    marathon["content_hash"] = content_hash(marathon["title"], marathon["body_text"])
    repository.save_article(session, planet, marathon, now=utc(2016, 12, 10, 18, 0))
    # An exact duplicate: the council story's print page, same content under another URL.
    council = dict(OTHER_ARTICLES[1], url=PRINT_URL, canonical_url=PRINT_URL)
    repository.save_article(session, planet, council, now=now)
    run = runs.start_run(session, gold, now=utc(2016, 12, 10, 11, 0))
    runs.finish_run(session, run, status="finished", finish_reason="finished",
                          counters={"pages_fetched": 12, "articles_new": 2, "comments_new": 6},
                          now=utc(2016, 12, 10, 11, 5))
    run = runs.start_run(session, planet, now=utc(2016, 12, 10, 11, 10))
    runs.finish_run(session, run, status="failed", finish_reason="closespider_errorcount",
                          counters={"pages_fetched": 3, "articles_new": 3, "errors": 5},
                          now=utc(2016, 12, 10, 11, 12))
    return ids
