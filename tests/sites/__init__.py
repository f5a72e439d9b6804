"""Test-only sites served on 127.0.0.1, built on the demo site's server (crawler/demosite):
the forum site (fixtures/sites/forum: one article per comment system) and the hostile site
(fixtures/sites/hostile: broken pages among good ones). Not part of the installed package."""
from __future__ import annotations

import json
from pathlib import Path

from crawler.demosite import DemoSite

from .forum import ForumSite
from .hostile import HostileSite

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"
LAYOUTS = {"forum": ForumSite, "hostile": HostileSite}


def open_site(name: str = "demo", host: str = "127.0.0.1", port: int = 0) -> DemoSite:
    """The site NAME under fixtures/sites/, served by the class its content.json's ``layout`` names."""
    layout = json.loads((FIXTURES / name / "content.json").read_text(encoding="utf-8")).get("layout")
    if layout in LAYOUTS:
        return LAYOUTS[layout](name, host, port)
    return DemoSite(name, host, port, content=FIXTURES / name)
