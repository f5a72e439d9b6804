"""Where a crawl may send a request: web URLs on the site's own hosts and ports, never the
crawling machine's own network.

A page can link anything, and a redirect can point anywhere: ``file:///etc/passwd``,
``ftp://``, ``data:``, the cloud metadata service at 169.254.169.254, a database admin page
on ``127.0.0.1:5432``, a router at 192.168.0.1. Scrapy fetches ``file:``, ``data:``, ``ftp:``
and ``s3:`` URLs with its own download handlers, and its offsite filter compares host names
only, so another port of an allowed host is "on site". This middleware checks every request
before it is downloaded, redirects included (RedirectMiddleware schedules each hop as a new
request, which comes through here again), and drops what it refuses with a named reason:

- ``newsdesk/skipped/not_http``: a scheme other than http and https;
- ``newsdesk/skipped/offsite_port``: a port other than the scheme's default, unless a URL of
  the site's configuration (start URLs, feeds, sitemaps, the comment-provider endpoints)
  names that host and port, or ``NEWSDESK_ALLOWED_PORTS`` lists it;
- ``newsdesk/skipped/private_address``: a host that is, or resolves to, a loopback, private,
  link-local, multicast, reserved or unspecified address. ``NEWSDESK_ALLOW_PRIVATE_ADDRESSES``
  lets loopback and private addresses through (the demo sites and the tests, all on
  127.0.0.1; a crawl of an intranet); link-local (cloud metadata), multicast, reserved and
  unspecified addresses are refused even then.

A host name is resolved once per crawl (``getaddrinfo``, blocking, but only for hosts the
crawl has not met yet, which the offsite filter keeps to the site's few) and refused if any
of its addresses is refused. The check sees what the name resolves to here and now; a DNS
server that answers differently a moment later (DNS rebinding) is beyond it.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger("newsdesk.safety")

WEB_SCHEMES = {"http": 80, "https": 443}
# Settings whose values are URLs the configuration names (their host:port is the site's).
ENDPOINT_SETTINGS = ("NEWSDESK_DISQUS_EMBED_URL", "NEWSDESK_DISQUS_API_URL")


def address_refused(address: str, *, allow_private: bool) -> str | None:
    """Why a request to this IP address is refused, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "link-local, multicast, reserved or unspecified address"
    if (ip.is_loopback or ip.is_private) and not allow_private:
        return "loopback or private address (NEWSDESK_ALLOW_PRIVATE_ADDRESSES is off)"
    return None


class SafeTargetsMiddleware:
    def __init__(self, crawler, *, allow_private: bool, extra_ports: set[int]):
        self.crawler = crawler
        self.stats = crawler.stats
        self.allow_private = allow_private
        self.extra_ports = extra_ports
        self._site_ports: set[tuple[str, int]] | None = None
        self._resolved: dict[str, str | None] = {}  # host -> why refused (None: allowed)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        ports = {int(p) for p in s.getlist("NEWSDESK_ALLOWED_PORTS") if str(p).strip()}
        return cls(crawler, allow_private=s.getbool("NEWSDESK_ALLOW_PRIVATE_ADDRESSES"), extra_ports=ports)

    @property
    def site_ports(self) -> set[tuple[str, int]]:
        """(host, port) pairs the site's configuration names."""
        if self._site_ports is None:
            urls = [self.crawler.settings.get(name) or "" for name in ENDPOINT_SETTINGS]
            cfg = getattr(self.crawler.spider, "site_config", None)
            if cfg is not None:
                urls += [*cfg.start_urls, *cfg.feeds, *cfg.sitemaps]
            pairs = set()
            for url in urls:
                try:
                    parts = urlsplit(url)
                    if parts.hostname and parts.port:
                        pairs.add((parts.hostname.lower(), parts.port))
                except ValueError:
                    continue
            self._site_ports = pairs
        return self._site_ports

    def process_request(self, request):
        reason, detail = self.refusal(request.url)
        if reason is None:
            return None
        if "kind" in request.meta:  # the spider's own requests (robots.txt fetches are Scrapy's)
            self.stats.inc_value(f"newsdesk/skipped/{reason}")
        via = request.meta.get("redirect_urls")
        logger.warning("refused %s%s: %s", request.url[:200], f" (redirected from {via[0][:200]})" if via else "",
                       detail)
        raise IgnoreRequest(f"{reason}: {detail}")

    def refusal(self, url: str) -> tuple[str | None, str]:
        try:
            parts = urlsplit(url)
            scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
        except ValueError as exc:
            return "invalid_url", str(exc)
        if scheme not in WEB_SCHEMES or not host:
            return "not_http", f"{scheme or 'no'} scheme: only http and https are fetched"
        if port is not None and port != WEB_SCHEMES[scheme] and port not in self.extra_ports \
                and (host, port) not in self.site_ports:
            return "offsite_port", (f"port {port} of {host} is not the site's (add it to NEWSDESK_ALLOWED_PORTS "
                                    "to allow it)")
        why = self._host_refused(host)
        if why:
            return "private_address", f"{host}: {why}"
        return None, ""

    def _host_refused(self, host: str) -> str | None:
        if host not in self._resolved:
            self._resolved[host] = self._check_host(host)
        return self._resolved[host]

    def _check_host(self, host: str) -> str | None:
        try:
            return address_refused(host.strip("[]"), allow_private=self.allow_private)
        except ValueError:
            pass  # a name, not an address
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None  # unresolvable: the download fails with its own reason (dns)
        for info in infos:
            if why := address_refused(info[4][0], allow_private=self.allow_private):
                return f"resolves to {info[4][0]}, a {why}"
        return None
