"""Reading order of a comment thread, for code that holds one thread (export, the web app).

The ``comment_threads`` view defines the order in SQL for the whole table; this is the
same order for one thread already in memory, which is cheaper than asking the view for a
single article (a recursive query orders everything before it can filter).
"""
from __future__ import annotations

from typing import Any


def reading_order(thread: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One article's comments (in id order) in reading order, with ``position`` and ``depth`` set.

    The same order and depths as the comment_threads view: a comment whose parent is
    unknown is a root and keeps the depth its source gave it.
    """
    ids = {c["comment_id"] for c in thread}
    children: dict[int | None, list[dict]] = {}
    for c in thread:
        parent = c["parent_id"] if c["parent_id"] in ids else None
        children.setdefault(parent, []).append(c)
    out: list[dict] = []
    stack = [(c, c["depth"] or 0) for c in reversed(children.get(None, []))]
    while stack:
        c, depth = stack.pop()
        c["depth"] = depth
        c["position"] = len(out) + 1
        out.append(c)
        stack.extend((child, depth + 1) for child in reversed(children.get(c["comment_id"], [])))
    return out
