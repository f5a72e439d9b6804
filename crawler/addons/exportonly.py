"""The storage rule of `scrapy crawl`: an export-only crawl writes no database unless asked.

`scrapy crawl news -a url=... -O items.jsonl` asks for a file of items. Storing them in
./newsdesk.db as well would leave a database behind that nobody asked for. So a crawl that
exports items (-o/-O, FEEDS) and names no database (no NEWSDESK_DATABASE_URL in the
environment or -s) stores nothing; NEWSDESK_STORE given explicitly (-s NEWSDESK_STORE=1 or 0)
always wins. A crawl without an export stores into the database as always, and the
`newsdesk` commands always name theirs.
"""
from __future__ import annotations

import os

from scrapy.settings import SETTINGS_PRIORITIES


def export_only(settings) -> bool:
    """True for a crawl that exports items, names no database and says nothing of NEWSDESK_STORE."""
    project = SETTINGS_PRIORITIES["project"]
    if settings.getpriority("NEWSDESK_STORE") > project:
        return False
    named = "NEWSDESK_DATABASE_URL" in os.environ or settings.getpriority("NEWSDESK_DATABASE_URL") > project
    return bool(settings.getdict("FEEDS")) and not named


class ExportOnlyAddon:
    """Switched on in settings.ADDONS; decides NEWSDESK_STORE before any component reads it."""

    def update_settings(self, settings):
        if export_only(settings):
            # At project priority, where settings.py put the default (add-ons rank below it).
            settings.set("NEWSDESK_STORE", False, priority="project")
