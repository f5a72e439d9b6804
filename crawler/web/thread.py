"""A comment thread as nested HTML: each reply's element inside its parent's, as the site
showed it. One renderer for both browser interfaces (the built-in app's article page and
the Datasette plugin's thread page), so a thread reads the same in either.
"""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

THREAD_CSS = """
ol.thread, ol.replies { list-style: none; margin: 0; padding: 0; }
ol.replies { margin-left: 1.4em; padding-left: .9em; border-left: 2px solid #d8dee9; }
li.comment { margin: .6em 0; }
li.comment > .comment-head { color: #555; font-size: .9em; }
li.comment > .comment-text { white-space: pre-wrap; margin: .15em 0 .3em; }
li.comment.deleted > .comment-text { color: #999; text-decoration: line-through; }
"""


def when(value: Any) -> str:
    """A stored time as people read it: to the second, no microseconds (SQLite keeps them as text)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)[:19].replace("T", " ")


def nested_thread_html(thread: list[dict[str, Any]]) -> str:
    """``thread`` in reading order (models.threads.reading_order) → nested ``<ol>`` markup."""
    ids = {c["comment_id"] for c in thread}
    children: dict[Any, list[dict]] = {}
    for c in thread:
        children.setdefault(c["parent_id"] if c["parent_id"] in ids else None, []).append(c)

    def render(items: list[dict], css: str) -> str:
        out = [f'<ol class="{css}">']
        for c in items:
            deleted = c.get("deleted_at") is not None
            out.append(f'<li class="comment{" deleted" if deleted else ""}" id="c{c["comment_id"]}" '
                       f'data-depth="{c.get("depth") or 0}"><div class="comment-head"><b>'
                       f'{escape(c.get("author") or "anonymous")}</b> · {escape(when(c.get("posted_at")))}'
                       f'{" · removed at the source" if deleted else ""}</div>'
                       f'<div class="comment-text">{escape(c.get("body_text") or "")}</div>')
            if kids := children.get(c["comment_id"]):
                out.append(render(kids, "replies"))
            out.append("</li>")
        out.append("</ol>")
        return "".join(out)

    return render(children.get(None, []), "thread") if thread else '<p class="muted">No comments.</p>'
