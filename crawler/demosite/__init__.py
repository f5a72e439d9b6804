"""The bundled demo news site, served on 127.0.0.1 for `newsdesk demo` and the crawl tests
(the test-only sites built on it are in tests/sites/)."""
from .server import SITES_FILE, DemoSite

__all__ = ["DemoSite", "SITES_FILE"]
