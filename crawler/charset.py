"""A page's real character encoding, when its declaration is wrong or missing.

Browsers, w3lib and Scrapy trust the declared charset (BOM, HTTP header, then <meta>) and
decode with replacement characters when the bytes disagree; a news CMS that writes
windows-1252 behind a server configured for UTF-8 then loses every "é" and curly quote
for good. Here a declaration is used only when the bytes bear it out; otherwise
charset-normalizer guesses, and where it finds several single-byte code pages equally
plausible (windows-1250 and windows-1252 read most Western text alike) the web's legacy
default, windows-1252 (WHATWG Encoding), wins the tie. No library makes this check of a
declaration against the bytes, hence the few lines here.
"""
from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

LEGACY_DEFAULT = "cp1252"


def page_encoding(response) -> str | None:
    """The encoding to decode ``response.body`` with (None: let the parser decide)."""
    body = response.body
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    declared = [read_bom(body)[0], http_content_type_encoding(content_type), html_body_declared_encoding(body)]
    for encoding in filter(None, declared):
        if _bears_out(body, encoding):
            return encoding
    return guess_encoding(body) or next(filter(None, declared), None)


def guess_encoding(body: bytes) -> str | None:
    if _bears_out(body, "utf-8"):
        return "utf-8"
    matches = list(from_bytes(body[:200_000]))
    if not matches:
        return None
    best = matches[0]
    tied = {resolve_encoding(m.encoding) for m in matches
            if m.chaos == best.chaos and m.coherence == best.coherence}
    return LEGACY_DEFAULT if resolve_encoding(LEGACY_DEFAULT) in tied else best.encoding


def _bears_out(body: bytes, encoding: str) -> bool:
    try:
        codec = codecs.lookup(resolve_encoding(encoding) or encoding).name
    except LookupError:
        return False
    try:
        body.decode(codec)
        return True
    except UnicodeDecodeError:
        pass
    if codec != "utf-8":
        return False
    # A UTF-8 page with a few stray bytes is still UTF-8 if it has more well-formed
    # multi-byte characters than broken sequences; legacy text has none of the former.
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    return sum(1 for ch in text if ch > "\x7f") - broken > broken
