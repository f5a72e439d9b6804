"""The bundled demo news sites, served on 127.0.0.1 for `newsdesk demo` and the crawl tests."""
from .server import DemoSite, open_site

__all__ = ["DemoSite", "open_site"]
