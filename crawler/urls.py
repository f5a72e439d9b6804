"""URL canonicalisation (deduplication level 1), applied before scheduling and before storage."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that track a click, not what the page shows. Configurable through the
# NEWSDESK_TRACKING_PARAMS setting (added to these).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "igshid", "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ocid", "smid", "sr_share",
    "spm", "share", "src", "at_medium", "at_campaign", "ito", "ns_mchannel", "ns_source",
    "ns_campaign", "ns_linkname", "ns_fee", "mbid", "s_cid", "wt_mc", "__twitter_impression",
    "outputtype", "amp", "print",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "__hs")

_AMP_SUFFIX = re.compile(r"(?<=.)/(amp|print)/?$")
_AMP_EXT = re.compile(r"\.amp(?=\.html?$)|\.amp$")
_AMP_HOST = re.compile(r"^(amp|m|mobile|www)\.")


def canonical_url(url: str, *, extra_tracking: frozenset[str] = frozenset(),
                  strip_www: bool = True) -> str:
    """One form per page: lower-case scheme and host, no default port, no fragment, no
    tracking parameters, sorted query, no AMP/print suffix, no ``www.``/``amp.`` host prefix,
    no trailing ``index.html``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if strip_www:
        host = _AMP_HOST.sub("", host) if host.count(".") >= 2 else host
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    path = re.sub(r"/index\.(html?|php)$", "/", path)
    path = _AMP_EXT.sub("", _AMP_SUFFIX.sub("/", path))
    if not path.startswith("/"):
        path = "/" + path
    drop = TRACKING_PARAMS | extra_tracking
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in drop and not k.lower().startswith(TRACKING_PREFIXES)]
    rebuilt = urlunsplit((scheme, netloc, path, urlencode(query), ""))
    # w3lib sorts the query and normalises percent-encoding the way browsers compare URLs.
    return canonicalize_url(rebuilt, keep_fragments=False)
