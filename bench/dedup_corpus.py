"""The labelled near-duplicate set of bench/dedup.py, built from the 181 benchmark bodies.

Each body becomes a *story*: an original on a publisher's site, and 1–3 syndicated copies
on other sites edited the way wire copy is (new headline, paragraphs added or cut, the
copying site's boilerplate around it, sentences and paragraphs reordered, a few words
changed), sometimes an exact copy under a second URL. Hard negatives are stories of their
own: a different article on the same topic (the same names and vocabulary, a quote or
two in common, written anew) and a follow-up that repeats a paragraph or two of an
earlier story's background; every article of a site also shares that site's boilerplate.
Deterministic for a seed.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCHMARK = Path("/work/shared/data/article-extraction-benchmark/ground-truth.json")
BASE_TIME = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)

PUBLISHERS = {
    "daily-planet": ("", "Sign up for the Daily Planet newsletter and get the day's top stories in your inbox every "
                         "morning. You can unsubscribe at any time."),
    "metro-herald": ("", "Follow the Metro Herald on Facebook and Twitter for breaking news, and download our app "
                         "for alerts."),
    "northern-post": ("Northern Post staff report.", "Copyright 2024 Northern Post Media. All rights reserved. This "
                      "material may not be published, broadcast, rewritten or redistributed."),
    "evening-courier": ("", "Have a news tip? Contact the Evening Courier newsroom by email or call our tip line, "
                            "which is open around the clock."),
}
SYNDICATORS = {
    "wire-today": ("(Wire Today) —", "This story was distributed by Wire Today. Reporting contributed by staff "
                   "in several bureaus. Editing by the Wire Today news desk."),
    "newsroll": ("", "Read more stories like this on Newsroll, where we collect the best reporting from around the "
                     "web. Newsroll may earn a commission from links on this page."),
    "aggregator-one": ("Originally published by a partner site.", "More from Aggregator One: the latest headlines "
                       "in politics, business, technology, sport and culture, updated every few minutes."),
    "local-gazette": ("", "The Local Gazette is an independent newspaper serving the community since 1921. Support "
                          "local journalism: subscribe today."),
    "globe-feed": ("Globe Feed —", "Comments are closed for this story. Please read our community guidelines "
                   "before posting on other articles."),
    "the-digest": ("", "The Digest republishes reporting from partner newsrooms under licence. Opinions expressed "
                       "are those of the original authors."),
}
SITES = {**PUBLISHERS, **SYNDICATORS}

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(A-Z0-9À-ÝА-Я])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass
class LabelledArticle:
    story: int  # articles of one story are duplicates of each other; nothing else is
    kind: str  # original, copy, exact, same_topic, follow_up
    site: str
    url: str
    title: str
    body: str
    published_at: datetime | None
    edits: list[str] = field(default_factory=list)


def load_bodies(path: Path = BENCHMARK) -> list[tuple[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(value["url"], value["articleBody"].strip()) for _, value in sorted(data.items())]


def paragraphs(body: str) -> list[str]:
    paras = [p.strip() for p in re.split(r"\n+", body) if p.strip()]
    if len(paras) == 1:  # one block: make paragraphs of three sentences
        sentences = _SENTENCE.split(paras[0])
        paras = [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
    return paras


def title_from(url: str, body: str) -> str:
    slug = [w for w in re.split(r"[-_/.]+", url.rstrip("/").rsplit("/", 1)[-1]) if w.isalpha()]
    if len(slug) >= 4:
        return " ".join(slug[:12]).capitalize()
    return " ".join(body.split()[:10])


def wrap(site: str, paras: list[str]) -> str:
    head, foot = SITES[site]
    paras = list(paras)
    if head:
        paras[0] = f"{head} {paras[0]}"
    return "\n\n".join(paras + [foot])


class Editor:
    """The edits a syndicating desk makes."""

    def __init__(self, rng: random.Random, vocabulary: list[str]):
        self.rng = rng
        self.vocabulary = vocabulary

    def local_paragraph(self, words: list[str]) -> str:
        """A paragraph of new text on the story's subject (its words, in new sentences)."""
        out = []
        for _ in range(self.rng.randint(2, 3)):
            n = self.rng.randint(10, 22)
            sentence = [self.rng.choice(words) for _ in range(n)]
            out.append(" ".join(sentence).capitalize() + ".")
        return " ".join(out)

    def edit(self, paras: list[str]) -> tuple[list[str], list[str]]:
        rng = self.rng
        words = " ".join(paras).split() or ["news"]
        kinds = rng.sample(["add", "remove", "reorder", "words", "boilerplate"], k=rng.randint(2, 4))
        paras = list(paras)
        if "remove" in kinds and len(paras) >= 4:
            cut = max(1, int(len(paras) * rng.uniform(0.1, 0.3)))
            if rng.random() < 0.6:  # wire trims cut from the end
                paras = paras[:-cut]
            else:
                for _ in range(cut):
                    paras.pop(rng.randrange(1, len(paras)))
        if "reorder" in kinds:
            if len(paras) >= 3 and rng.random() < 0.5:
                i = rng.randrange(1, len(paras) - 1)
                paras[i], paras[i + 1] = paras[i + 1], paras[i]
            else:
                paras = [" ".join(rng.sample(s, len(s))) if len(s := _SENTENCE.split(p)) > 1 else p
                         for p in paras]
        if "words" in kinds:
            def touch(p: str) -> str:
                out = []
                for w in p.split():
                    r = rng.random()
                    if r < 0.01:
                        continue
                    out.append(rng.choice(words) if r < 0.025 else w)
                return " ".join(out)
            paras = [touch(p) for p in paras]
        if "add" in kinds:
            for _ in range(rng.randint(1, 2)):
                paras.insert(rng.randint(1, len(paras)), self.local_paragraph(words))
        return paras, kinds


def markov_text(rng: random.Random, source: str, n_words: int) -> str:
    """A new text in the vocabulary of ``source``: word pairs of the original, rarely longer runs."""
    words = source.split()
    successors: dict[str, list[str]] = {}
    for a, b in zip(words, words[1:], strict=False):
        successors.setdefault(a, []).append(b)
    out, current = [], rng.choice(words)
    for _ in range(n_words):
        out.append(current)
        nxt = successors.get(current)
        current = rng.choice(nxt) if nxt and rng.random() < 0.55 else rng.choice(words)
    text = " ".join(out)
    return "\n\n".join(" ".join(text.split()[i:i + 60]) for i in range(0, len(out), 60))


def build(seed: int = 7, path: Path = BENCHMARK) -> list[LabelledArticle]:
    rng = random.Random(seed)
    bodies = load_bodies(path)
    rng.shuffle(bodies)
    n_stories = len(bodies) * 2 // 3
    stories, others = bodies[:n_stories], bodies[n_stories:]
    out: list[LabelledArticle] = []
    serial = iter(range(1, 10 ** 6))
    story_ids = iter(range(10 ** 6))

    def url_for(site: str, title: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower())[:50].strip("-") or "story"
        return f"https://{site}.example/2024/03/{next(serial)}-{slug}/"

    originals = []
    for url, body in stories:
        story = next(story_ids)
        paras = paragraphs(body)
        site = rng.choice(list(PUBLISHERS))
        title = title_from(url, body)
        when = BASE_TIME + timedelta(hours=rng.randint(0, 24 * 20))
        original = LabelledArticle(story, "original", site, url_for(site, title), title, wrap(site, paras), when)
        out.append(original)
        originals.append((original, paras))
        editor = Editor(rng, body.split())
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            copy_site = rng.choice(list(SYNDICATORS))
            new_paras, kinds = editor.edit(paras)
            headline = rng.choice([title, f"{title.split(':')[0]} — what we know", f"Report: {title}",
                                   " ".join(reversed(title.split()[:6])).capitalize()])
            published = None if rng.random() < 0.1 else when + timedelta(hours=rng.randint(1, 72))
            out.append(LabelledArticle(story, "copy", copy_site, url_for(copy_site, headline), headline,
                                       wrap(copy_site, new_paras), published, kinds))
        if rng.random() < 0.1:
            # The same page under a second URL the canonicaliser cannot know (a CMS id URL).
            out.append(LabelledArticle(story, "exact", site, f"https://{site}.example/story.php?id={next(serial)}",
                                       title, original.body, when, ["exact"]))

    # Hard negatives, each a story of its own.
    for original, paras in originals:
        text = original.body
        if len(text.split()) < 120 or _CJK.search(text):
            continue
        if rng.random() < 0.6:
            sentences = [s for p in paras for s in _SENTENCE.split(p) if 6 < len(s.split()) <= 40]
            quotes = rng.sample(sentences, k=min(len(sentences), rng.randint(1, 2)))
            new = markov_text(rng, "\n".join(paras), len(text.split())).split("\n\n")
            for q in quotes:
                new.insert(rng.randint(0, len(new)), q)
            site = rng.choice([s for s in SITES if s != original.site])
            out.append(LabelledArticle(next(story_ids), "same_topic", site, url_for(site, original.title),
                                       original.title, wrap(site, new),
                                       original.published_at + timedelta(hours=rng.randint(-12, 12)),
                                       ["same topic"]))
    for url, body in others:
        if not originals:
            break
        earlier, earlier_paras = rng.choice(originals)
        paras = paragraphs(body)
        # Background, not the story: a paragraph or two, at most a quarter of the earlier one.
        budget = len(" ".join(earlier_paras).split()) // 4
        borrowed = []
        for para in rng.sample(earlier_paras, k=len(earlier_paras))[:rng.randint(1, 2)]:
            if len(para.split()) <= budget:
                borrowed.append(para)
                budget -= len(para.split())
        paras = paras[:1] + borrowed + paras[1:] if rng.random() < 0.5 else paras + borrowed
        site = rng.choice([earlier.site] + list(SITES))
        title = title_from(url, body)
        out.append(LabelledArticle(next(story_ids), "follow_up", site, url_for(site, title), title,
                                   wrap(site, paras), earlier.published_at + timedelta(days=rng.randint(1, 5)),
                                   ["background from an earlier story"] if borrowed else []))
    rng.shuffle(out)  # crawl order: a copy is often stored before its original
    return out
