"""CleanPipeline: plain, normalised text, and the hashes deduplication and storage key on."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace

from crawler.items import ArticleItem, CommentItem

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANKS = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_line(text: str | None) -> str | None:
    if text is None:
        return None
    text = _SPACES.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFC", text))).strip()
    return text or None


def clean_paragraphs(text: str | None) -> str | None:
    """Paragraphs separated by exactly one blank line; line breaks inside a paragraph kept."""
    if text is None:
        return None
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")))
    paragraphs = []
    for block in _BLANKS.split(text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs) or None


def content_hash(title: str | None, body: str | None) -> str:
    """Hash of normalised title and body: case, punctuation and spacing do not count."""
    norm = " ".join(re.findall(r"\w+", f"{title or ''}\n{body or ''}".casefold()))
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def comment_hash(comment: CommentItem) -> str:
    norm = " ".join(re.findall(r"\w+", (comment.body_text or "").casefold()))
    return hashlib.sha256(f"{comment.author or ''}\x1f{norm}".encode("utf-8")).hexdigest()


class CleanPipeline:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        if not isinstance(item, ArticleItem):
            return item
        title = clean_line(item.title)
        body = clean_paragraphs(item.body_text)
        authors = list(dict.fromkeys(a for a in (clean_line(a) for a in item.authors) if a))
        tags = list(dict.fromkeys(t for t in (clean_line(t) for t in item.tags) if t))
        comments = []
        for comment in item.comments:
            comment = replace(comment, body_text=clean_paragraphs(comment.body_text) or "",
                              author=clean_line(comment.author))
            comments.append(replace(comment, content_hash=comment_hash(comment)))
        return replace(
            item, title=title, subtitle=clean_line(item.subtitle), lead=clean_paragraphs(item.lead),
            body_text=body, authors=authors, tags=tags, section=clean_line(item.section),
            comments=comments, content_hash=content_hash(title, body),
            word_count=len(re.findall(r"\w+", body or "")),
        )
