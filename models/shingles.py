"""Shingles and MinHash signatures of article bodies (deduplication level 3).

A body's shingles are word n-grams of its sentences (characters for Chinese and Japanese);
two bodies' resemblance is how much of the shorter one's shingles the other has. The MinHash
signature (computed by pipelines/dedup.py) estimates their Jaccard similarity from 128 hash
values; models/neardup.py stores signatures and their LSH bands in the database.
"""
from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from array import array
from dataclasses import dataclass

# Chinese and Japanese are written without spaces: each character is a token there.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
# Sentence ends (and paragraph breaks). Shingles never cross them, so a copy whose
# sentences or paragraphs were reordered has the same shingles as the original.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+|[。！？]+|\n+")


def shingles(text: str | None, size: int = 4) -> set[str]:
    """Word ``size``-grams of each sentence of the normalised text (a shorter sentence of
    two words or more is one shingle). Case, accents' composition and punctuation do not
    count."""
    if not text:
        return set()
    text = unicodedata.normalize("NFKC", text).casefold()
    result: set[str] = set()
    for sentence in _SENTENCE_END.split(text):
        tokens = _TOKEN.findall(sentence)
        if len(tokens) >= size:
            result.update(" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1))
        elif len(tokens) >= 2:
            result.add(" ".join(tokens))
    return result


def resemblance(a: set[str], b: set[str]) -> float:
    """How much of the shorter text the longer one repeats, damped when their lengths
    differ a lot: ``|A∩B| / sqrt(|A|·|B|)`` (the cosine of the two shingle sets).

    Jaccard punishes a copy that was trimmed or padded (a syndicated version with two
    paragraphs cut has a Jaccard of 0.6 with its original); containment alone calls a
    short brief quoted inside a long feature a copy of it. The cosine sits between them.
    """
    if not a or not b:
        return 0.0
    common = len(a & b) if len(a) <= len(b) else len(b & a)
    return common / (len(a) * len(b)) ** 0.5


@dataclass(frozen=True)
class Signature:
    """A MinHash signature: ``hashvalues[i]`` is the minimum of permutation i over the shingles."""

    hashvalues: tuple[int, ...]
    shingle_count: int

    def to_bytes(self) -> bytes:
        values = array("I", self.hashvalues)
        if values.itemsize != 4:  # pragma: no cover - every platform newsdesk runs on has 32-bit "I"
            raise RuntimeError("array('I') is not 32-bit here")
        return values.tobytes() if array("I", [1]).tobytes()[0] == 1 else _swapped(values)

    @classmethod
    def from_bytes(cls, data: bytes, shingle_count: int = 0) -> "Signature":
        values = array("I")
        values.frombytes(data)
        if array("I", [1]).tobytes()[0] != 1:  # pragma: no cover - big-endian host
            values.byteswap()
        return cls(tuple(values), shingle_count)

    def buckets(self, bands: int) -> list[int]:
        """One signed 64-bit bucket hash per band (band number included in the hash)."""
        rows = len(self.hashvalues) // bands
        raw = self.to_bytes()
        out = []
        for band in range(bands):
            digest = hashlib.blake2b(raw[band * rows * 4:(band + 1) * rows * 4], digest_size=8,
                                     person=band.to_bytes(2, "little") + b"nd-lsh").digest()
            out.append(int.from_bytes(digest, "little", signed=True))
        return out

    def to_text(self) -> str:
        """``count:base64`` (how an item carries it from the dedup to the store pipeline)."""
        return f"{self.shingle_count}:{base64.b64encode(self.to_bytes()).decode('ascii')}"

    @classmethod
    def from_text(cls, text: str) -> "Signature":
        count, _, data = text.partition(":")
        return cls.from_bytes(base64.b64decode(data), int(count))

    def estimated_jaccard(self, other: "Signature") -> float:
        if len(self.hashvalues) != len(other.hashvalues) or not self.hashvalues:
            return 0.0
        same = sum(1 for x, y in zip(self.hashvalues, other.hashvalues, strict=False) if x == y)
        return same / len(self.hashvalues)


def _swapped(values: array) -> bytes:  # pragma: no cover - big-endian host
    values = array("I", values)
    values.byteswap()
    return values.tobytes()
