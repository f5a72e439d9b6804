"""Bylines and datelines written in the page's text, for pages whose markup does not say who
wrote them or when: "By: Earnest Jones | 12-07-2016 | News", "05/10/2018 - Publicado por:
Clarissa Borba - Categoria: Saúde", "Von Moritz Bachmann publiziert am 25. September 2018",
"Updated: November 18 at 4:46 PM". Hand-written: no library reads free-text bylines, and the
lead words are few and well known per language.
"""
from __future__ import annotations

import re

from .dates import ZONE_ABBREVIATION
from .page import Page

# Blocks that are not the article's own byline: comments, related stories, asides, footers.
IN_PAGE_FURNITURE = ("ancestor::*[contains(@class, 'comment') or contains(@id, 'comment') or "
                     "contains(@class, 'reply') or contains(@class, 'related') or self::aside or self::footer]")

# A byline: a lead word, the names, then date/section parts after separators
# ("By: Earnest Jones | 12-07-2016 | News", "Von Hans Müller · 12.03.2019", "Por Ana Ruiz - 3 horas").
_BYLINE_LEAD = re.compile(r"^\s*(?:(?i:written by|posted by|by|von|por|par|door|av|af|autor(?:a|in)?:)|di)\s*:?\s+")
_BYLINE_SEP = re.compile(r"\s+[|•·—–]\s+|\s+-\s+|\s*\|\s*|\n")
# A lead phrase after a date: "05/10/2018 - Publicado por: Clarissa Borba - Categoria: Saúde".
_BYLINE_INNER = re.compile(r"(?:^|\s[-|•·—–]\s)(?i:published by|posted by|written by|publicado por|postado por|"
                           r"escrito por|pubblicato da|scritto da|geschrieben von|publié par|écrit par)\s*:?\s+")
_SECTION_LABEL = re.compile(r"^(?i:category|categoria|categoría|catégorie|kategorie|section|rubrik|rubrique|"
                            r"seção|sección|sezione)\s*:\s*")
# Labels of a publication or update time, in the languages the extractor is tested on.
_PUBLISHED_WORDS = ("published", "posted", "publiziert", "veröffentlicht", "publicado", "publié", "pubblicato",
                    "기사입력", "입력", "등록", "公開日", "发布时间", "發佈時間")
_UPDATED_WORDS = ("last updated", "updated", "modified", "aktualisiert", "atualizado", "actualizado", "mis à jour",
                  "aggiornato", "수정", "更新日")
_WORDS = "|".join(_UPDATED_WORDS + _PUBLISHED_WORDS)
# A line giving the publication or update time: "publiziert am 25. September 2018", "Updated: Nov 18".
_DATELINE = re.compile(rf"^\s*(?P<kind>(?i:{_WORDS}))(?:\s+(?i:on|at|am|um|el|em|le|il|the))?\s*[:：]?\s*\[?\s*"
                       r"(?P<date>.{6,60}?)\s*\]?\s*$")
# The same labels starting a part of a byline: "By Jane Doe | Updated: Nov 18".
_UPDATED = re.compile(rf"^(?:{'|'.join(_UPDATED_WORDS)})\b\s*(on|at|:)?\s*", re.I)
_PUBLISHED = re.compile(rf"^(?:{'|'.join(_PUBLISHED_WORDS)})\b\s*(on|at|:)?\s*", re.I)


def byline(page: Page) -> dict | None:
    """The first byline in the page's text: {"authors", "date", "modified", "section"} (strings)."""
    return page.cached("byline", lambda: _find_byline(page))


def _short_lines(page: Page) -> tuple[list, list]:
    """One pass over the body's text: (blocks whose text starts like a byline, dateline matches).

    A Python walk over the elements is several times cheaper than selecting text nodes with
    XPath, and both byline and dateline search need the same walk.
    """
    def walk() -> tuple[list, list]:
        bylines, datelines = [], []
        body = page.tree.find("body")
        if body is None:
            return bylines, datelines
        for el in body.iter():
            if not isinstance(el.tag, str):
                continue
            for text, block in ((el.text if el.tag not in ("script", "style") else None, el),
                                (el.tail, el.getparent())):
                if not text or block is None or len(text) > 200 or text.isspace():
                    continue
                if _BYLINE_LEAD.match(text) or _BYLINE_INNER.search(text):
                    bylines.append(block)
                elif len(text) <= 90 and (m := _DATELINE.match(text)):
                    datelines.append((m, block))
        return bylines, datelines
    return page.cached("short_lines", walk)


def _find_byline(page: Page) -> dict | None:
    # The element holding a text that starts with a lead word ("By", "Von", ...) is the
    # byline block, whatever its markup.
    for el in _short_lines(page)[0]:
        if el.xpath(IN_PAGE_FURNITURE):
            continue
        for block in (el, el.getparent()):
            if block is None:
                break
            text = block.text_content().strip()
            if len(text) <= 200 and (_BYLINE_LEAD.match(text) or _BYLINE_INNER.search(text)):
                if parsed := _parse_byline(text):
                    return parsed
    return None


def _parse_byline(text: str) -> dict | None:
    out = {"authors": None, "date": None, "modified": None, "section": None}
    if m := _BYLINE_INNER.search(text):
        if date := re.sub(r"[\s|•·—–-]+$", "", text[:m.start()]).strip():
            out["date"] = date
        text = text[m.end():]
    else:
        text = _BYLINE_LEAD.sub("", text, count=1)
    parts = [p.strip() for p in _BYLINE_SEP.split(text) if p and p.strip()]
    if not parts:
        return None
    out["authors"] = parts[0]
    zone = None
    for part in parts[1:]:
        if m := ZONE_ABBREVIATION.search(part):
            zone = zone or m.group(0)
        if m := _UPDATED.match(part):
            out["modified"] = out["modified"] or part[m.end():]
        elif m := _PUBLISHED.match(part):
            out["date"] = out["date"] or part[m.end():]
        elif m := _SECTION_LABEL.match(part):
            out["section"] = out["section"] or part[m.end():]
        elif out["date"] is None and re.search(r"\d", part):
            out["date"] = part
        elif out["section"] is None and out["date"] is not None and len(part) <= 40 and ":" not in part:
            out["section"] = part
    # "November 18, 2019 at 2:26 PM HST ... Updated: November 18 at 4:46 PM": one byline, one zone
    if zone and out["modified"] and not ZONE_ABBREVIATION.search(out["modified"]):
        out["modified"] = f"{out['modified']} {zone}"
    return out


def datelines(page: Page) -> dict:
    """{"published": text, "modified": text} from short lines such as "Updated: Nov 18, 2019"."""
    def find() -> dict:
        out: dict = {}
        for m, block in _short_lines(page)[1]:
            if block.xpath(IN_PAGE_FURNITURE):
                continue
            kind = "modified" if m.group("kind").lower() in _UPDATED_WORDS else "published"
            out.setdefault(kind, m.group("date"))
        return out
    return page.cached("datelines", find)
