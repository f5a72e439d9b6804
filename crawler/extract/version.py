"""The extractor's version, recorded with every article version it makes (``article_versions.
extractor_version``), so that `newsdesk reextract` can say which extractor made what.

It is derived, not declared: the package's version plus a digest of the extraction code
(every ``.py`` under crawler/extract). A change to any rule is a new version without anyone
having to remember to bump a number; the same code always gives the same version.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_EXTRACT = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def extractor_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(_EXTRACT.rglob("*.py")):
        digest.update(path.relative_to(_EXTRACT).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    try:
        release = metadata.version("newsdesk")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        release = "0"
    return f"{release}+{digest.hexdigest()[:12]}"
