"""URL canonicalisation (deduplication level 1), applied before scheduling and before storage."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that track a click, not what the page shows. Configurable through the
# NEWSDESK_TRACKING_PARAMS setting (added to these; "name*" adds a prefix).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "igshid", "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ocid", "smid", "sr_share",
    "spm", "share", "src", "at_medium", "at_campaign", "ito", "ns_mchannel", "ns_source",
    "ns_campaign", "ns_linkname", "ns_fee", "mbid", "s_cid", "wt_mc", "__twitter_impression",
    "outputtype", "amp", "print", "usqp",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "__hs", "amp_")

_AMP_SUFFIX = re.compile(r"(?<=.)/(amp|print)/?$")
_AMP_PREFIX = re.compile(r"^/amp(?=/.)")
_AMP_EXT = re.compile(r"\.amp(?=\.html?$)|\.amp$")
_AMP_HOST = re.compile(r"^(amp|m|mobile|www)\.")
# Google's AMP cache serves https://example.com/a/b as
# https://example-com.cdn.ampproject.org/c/s/example.com/a/b ("/s/" for https).
_AMP_CACHE = re.compile(r"^/(?:c|v|wp|i)/(s/)?([^/]+)(/.*)?$")
TRAILING_SLASH = ("keep", "strip", "add")


class InvalidURL(ValueError):
    """A URL no request can reach: a port outside 0-65535 or not a number, a broken IPv6
    host. Links like these are on real pages; the crawl drops them with a reason."""


def _split(url: str):
    """urlsplit, with the port read once: urllib raises ValueError for both on bad input."""
    try:
        parts = urlsplit(url)
        return parts, parts.port
    except ValueError as exc:
        raise InvalidURL(f"{exc}: {url[:200]!r}") from None


def tracking_params(names) -> frozenset[str]:
    """NEWSDESK_TRACKING_PARAMS as given (names; ``prefix*`` for every name with that prefix)."""
    return frozenset(n.strip().lower() for n in names if n and n.strip())


def _is_tracking(key: str, extra: frozenset[str]) -> bool:
    key = key.lower()
    if key in TRACKING_PARAMS or key in extra or key.startswith(TRACKING_PREFIXES):
        return True
    return any(e.endswith("*") and key.startswith(e[:-1]) for e in extra)


def canonical_url(url: str, *, extra_tracking: frozenset[str] = frozenset(),
                  strip_www: bool = True, trailing_slash: str = "keep") -> str:
    """One form per page: lower-case scheme and host, no default port, no fragment, no
    tracking parameters, sorted query, no AMP/print variant (suffix, prefix, ``.amp``,
    ``amp.`` host, Google's AMP cache), no ``www.``/``m.`` host prefix, no trailing
    ``index.html``. ``trailing_slash`` ("strip" or "add") is for sites that serve
    ``/story`` and ``/story/`` as the same page; "keep" (the default) leaves the path alone.

    Raises InvalidURL (a ValueError) for a URL no request can reach."""
    parts, port = _split(url.strip())
    if (parts.hostname or "").lower().endswith(".cdn.ampproject.org") and (m := _AMP_CACHE.match(parts.path)):
        scheme = "https" if m.group(1) else "http"
        parts, port = _split(urlunsplit((scheme, m.group(2), m.group(3) or "/", parts.query, parts.fragment)))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if strip_www:
        host = _AMP_HOST.sub("", host) if host.count(".") >= 2 else host
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    path = re.sub(r"/index\.(html?|php)$", "/", path)
    path = _AMP_PREFIX.sub("", _AMP_EXT.sub("", _AMP_SUFFIX.sub("/", path)))
    if not path.startswith("/"):
        path = "/" + path
    if trailing_slash == "strip" and len(path) > 1:
        path = path.rstrip("/") or "/"
    elif trailing_slash == "add" and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k, extra_tracking)]
    rebuilt = urlunsplit((scheme, netloc, path, urlencode(query), ""))
    # w3lib sorts the query and normalises percent-encoding the way browsers compare URLs.
    try:
        out = canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError as exc:  # its own URL parser refuses what urllib let through ("a://[::]")
        raise InvalidURL(f"{exc}: {url[:200]!r}") from None
    # IDNA can turn a character into a dot ("⒋" is "4."): the host's trailing dot goes, as above.
    head, sep, rest = out.partition("://")
    host, slash, tail = rest.partition("/")
    return f"{head}{sep}{host.rstrip('.')}{slash}{tail}" if host.endswith(".") else out


def _site_host(url: str) -> str:
    parts, port = _split(url)
    host = (parts.hostname or "").lower().rstrip(".")
    host = _AMP_HOST.sub("", host) if host.count(".") >= 2 else host
    port = port if port not in (None, 80, 443) else None
    return f"{host}:{port}" if port else host


def canonical_for_page(url: str, declared: str | None, *, extra_tracking: frozenset[str] = frozenset(),
                       trailing_slash: str = "keep") -> str:
    """The canonical URL an article is stored under: the page's ``<link rel=canonical>``
    (made absolute, then canonicalised) when it names a page of the same site, else the
    fetched URL canonicalised.

    A canonical on another site is what a syndicated copy declares for its original: taking
    it would store the copy over the original's row. Such copies are left to the
    near-duplicate index. A canonical pointing at the site's home page (a common template
    bug) is ignored too.
    """
    own = canonical_url(url, extra_tracking=extra_tracking, trailing_slash=trailing_slash)
    if not declared or not declared.strip():
        return own
    try:
        absolute = urljoin(url, declared.strip())
        if urlsplit(absolute).scheme not in ("http", "https") or _site_host(absolute) != _site_host(url):
            return own
    except ValueError:  # a declared canonical no request could reach names nothing
        return own
    theirs = canonical_url(absolute, extra_tracking=extra_tracking, trailing_slash=trailing_slash)
    if urlsplit(theirs).path in ("", "/") and urlsplit(own).path not in ("", "/"):
        return own
    return theirs
