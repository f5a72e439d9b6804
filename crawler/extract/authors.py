"""Author names as a reader would write them: one name per author, in byline order.

Bylines and structured data alike carry more than names: "By", roles ("Staff Writer",
"기자"), dates, e-mail addresses, the site's or an agency's name, and several authors in one
string ("A and B", "A, B & C"). No library cleans these well across languages, so this is
hand-written; each pattern says which habit of news sites it undoes.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from .bylines import IN_PAGE_FURNITURE
from .bylines import byline as _byline
from .page import Page
from .sources import element_text, ld, site_names
from .xpaths import AUTHOR_ELEMENTS

# "By", "Von", "Por", "Par", "Di", "Door", "Av", "Af", "Autor:", "Texto:" ... before the names.
_LEAD = re.compile(r"^\s*[~·•]?\s*((?i:(?:[\w-]+\s+){0,3}by|(?:zeige\s+)?alle\s+(?:beiträge|artikel)\s+von|(?:eingestellt|erstellt|geschrieben|verfasst|veröffentlicht|"
                   r"publiziert|gepostet)\s+von|von|(?:publicado|escrito|postado)\s+por|por|(?:publié|écrit|rédigé)\s+par|"
                   r"par|(?:pubblicato|scritto)\s+da|door|av|af|autor(?:in|a)?|author|auteur|texto|text|"
                   r"reportage|текст|автор|фото)|di)\s*[:\-–—]?\s+")
# A label glued to the name by markup without a space ("AuthorAndreas Kalt").
_GLUED_LABEL = re.compile(r"^(?:Author|Autor(?:in)?|Auteur|Verfasser(?:in)?)(?=[A-ZÄÖÜ][a-zäöüß])")
# Dates, times and "Updated ..." glued after a name in a byline.
# "on", "am", "le", "el", "il" only before a date: "Le Pen" and "El Khatib" are names.
_TAIL = re.compile(r"(\s+(?i:updated|published|posted|last updated)\b|\s+\d|"
                   r"\s+(?i:on|am|le|el|il)\s+(?=\d|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|"
                   r"monday|tuesday|wednesday|thursday|friday|saturday|sunday))|"
                   r"\s*(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday),).*$")
# A month and a day after the name ("Marco Bambini Dec 19, 2025", "Summer Swann - June 12").
_MONTH_DAY = re.compile(r"\s*[-–—|·•]?\s*\b(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
                        r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d.*$")
# A connector left at the end once a date is cut off ("BeauHD on").
_DANGLING = re.compile(r"\s+(?i:on|at|am|um|le|el|il|em|the)$")
# A date glued to the name by markup without spaces ("Jeff FoustMonday, November 18, 2019").
_GLUED_DATE = re.compile(r"(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s.*$")
# Publications and teams, not people: "NJ Advance Media", "Telegraph Staff", "Practical Horseman Editorial".
# ("Post" and "Times" are surnames too: a paper named so is caught by the site's name.)
_ORG = re.compile(r"\b(?i:staff|team|desk|editorial|editors|bureau|newsroom|media|news|network|agency|magazine|"
                  r"press|group|international|online|digital|services|wire|business|redaktion|"
                  r"redacción|redação|redazione|rédaction|coordenadoria|coordinación|departamento|secretaria|"
                  r"assessoria|prefeitura|ayuntamiento|comune|gemeinde|ministry|ministries|department|office)\b")
# "CNN", "PTI", "MS, RD": agencies, channels and degrees written as a short all-capitals token.
_ACRONYM = re.compile(r"[A-Z]{2,4}")
# Separators between authors; "and" in the languages the extractor is tested on.
# One-letter connectors ("e", "y", "i") only in lower case and not as an initial ("Sarah E. Needleman").
_SPLIT = re.compile(r"\s*(?:,|;|&|\||/|／|·|•|\b(?i:and|und|et)\b|\b(?:y|e|i|en|och|og)\b(?!\.)|、|，|및)\s*")
# A role after the name ("Jane Doe, Senior Correspondent") or a whole part that is a role.
_ROLE_WORDS = (r"staff|staff writer|senior|chief|correspondent|reporter|editor|editors|editorial board|writer|"
               r"columnist|contributor|contributing|news desk|desk|freelance|photographer|"
               r"special to|guest|opinion|analyst|intern|redaktion|redacción|redação|redazione|rédaction|"
               r"korrespondent(?:in)?|(?:chef)?redakteur(?:in)?|corresponsal|correspondente|corrispondente|journaliste|"
               r"journalist|periodista|jornalista|giornalista|envoyé spécial|enviado especial")
_ROLE_TAIL = re.compile(rf"\s*[,\-–—(]?\s*\b({_ROLE_WORDS})\b.*$", re.I)
_ROLE_ANYWHERE = re.compile(rf"\b({_ROLE_WORDS})s?\b", re.I)
_ROLE_ONLY = re.compile(rf"^({_ROLE_WORDS})(\s+({_ROLE_WORDS}))*$", re.I)
# CJK bylines put the role after the name without a space ("홍길동 기자", "山田太郎記者").
_CJK_ROLE = re.compile(r"\s*(기자|특파원|객원기자|선임기자|논설위원|記者|特派員|编辑|編輯|记者|通讯员)\s*$")
_AGENCIES = re.compile(r"^(the\s+)?(associated press|ap|reuters|afp|agence france-presse|dpa|efe|ansa|"
                       r"bloomberg|upi|pa|press association|cnn wire|staff and agencies|agencies|agencias|"
                       r"agências|agenzie|wire services?|news services?)$", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_HANDLE = re.compile(r"(^|\s)@\w+")
_DATE_OR_TIME = re.compile(r"\d")
_FOR_SITE = re.compile(r"\s+(for|für|pour|para|per)\s+.+$")  # lower case: "Per Olsen" is a name


def _candidates(raw) -> list[str]:
    """Flatten JSON-LD/microdata author values (str, Person dict, list) to strings."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = raw.get("name") or raw.get("alternateName")
    if isinstance(raw, (list, tuple)):
        out = []
        for item in raw:
            out.extend(_candidates(item))
        return out
    return [raw] if isinstance(raw, str) else []


# Degrees written after a name ("Robert E. Moffit, Ph.D."): not a second author.
_CREDENTIAL = re.compile(r"(?i:ph\.?\s?d\.?|m\.\s?d\.?|d\.\s?o\.?|esq\.?|m\.?b\.?a\.?|r\.?n\.?)")
# What is left of a date once its numbers are cut off ("November 18, 2019" -> "November").
_CALENDAR_WORD = re.compile(r"(?i:jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|"
                            r"oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|"
                            r"sunday|today|yesterday)\.?")
# A name that ends in an initial or a generational suffix keeps its full stop ("Perry Bacon Jr.").
_KEEPS_STOP = re.compile(r"(?:\b[A-Z]|\b(?:Jr|Sr))$")


def _clean_part(part: str, site_names: set[str], credited: bool = False, lenient: bool = False) -> str | None:
    raw = part
    part = _HANDLE.sub(" ", part).strip(" .,:;-–—|()[]\"'／→»›")
    if _CREDENTIAL.fullmatch(part) or (not credited and _AGENCIES.match(part)):
        return None
    part = _TAIL.sub("", _MONTH_DAY.sub("", part))
    part = _DANGLING.sub("", part)
    if lenient:
        # the page's structured data names this author: an editorial team, an agency or the
        # site itself ("The Investopedia Team", "Kaspersky") is kept as written; but a text
        # with a social handle is a person's author card ("Tom Gillespie News reporter
        # @TomGillespie1") that the stricter passes could not read, not a team's credit
        if _HANDLE.search(raw):
            return None
        part = _LEAD.sub("", part).strip(" .,:;-–—|()[]\"'")
        if not part or _DATE_OR_TIME.search(part) or len(part.split()) > 6 or len(part) > 60:
            return None
        return " ".join(part.split())
    part = _CJK_ROLE.sub("", part.strip(" .,:;-–—|()[]\"'"))
    part = _ROLE_TAIL.sub("", part).strip(" .,:;-–—|()[]\"'")
    part = _LEAD.sub("", part).strip(" .,:;-–—|()[]\"'")
    if not part or _ROLE_ONLY.match(part) or _DATE_OR_TIME.search(part) or _CALENDAR_WORD.fullmatch(part):
        return None
    words = part.split()
    if len(words) > 5 or len(part) > 60:
        return None
    if _KEEPS_STOP.search(part) and part + "." in raw:
        part += "."
    if _AGENCIES.match(part):
        return None
    bare = re.sub(r"^the\s+", "", part.casefold())
    # A name of two words or more that only the joined host spells is the owner of a personal
    # site ("Gary Marcus" on garymarcus.substack.com), not the site's name.
    if bare in site_names or (bare.replace(" ", "") in site_names and len(words) < 2):
        return None
    if _ORG.search(part) or _ACRONYM.fullmatch(part):
        return None
    if not credited and part[0].isascii() and part[0].islower():
        return None  # names start with a capital; "the Chinese government" is a sentence
    # An all-lowercase Latin "name" is a sentence fragment, not a byline.
    if not credited and part.isascii() and part == part.lower():
        return None
    return " ".join(part.split())


def clean_author_names(raw, *, site_names: tuple[str, ...] = (), credited: bool = False,
                       lenient: bool = False) -> list[str]:
    """Names from a byline string, a JSON-LD ``author`` value or a list of either.

    ``credited``: the value is the page's structured ``author`` (JSON-LD, microdata, meta) or
    its author markup (``rel=author``, ``class=author``): a name in lower case is then a user
    name, kept as written ("kirstin boatto", "gizzmo"), not a fragment of a sentence."""
    sites = {re.sub(r"^the\s+", "", s.casefold()) for s in site_names if s}
    sites |= {s.replace(" ", "") for s in sites}
    if credited:
        # a user name from the words of the host ("gto" of gto-normativy.ru) is the site's
        sites |= {w for s in sites if " " not in s for w in re.split(r"[.-]", s) if len(w) > 2}
    names: list[str] = []
    for text in _candidates(raw):
        text = _URL.sub(" ", _EMAIL.sub(" ", text))
        text = re.sub(r"\s+", " ", text).strip()
        text = _LEAD.sub("", _GLUED_LABEL.sub("", text))
        text = _FOR_SITE.sub("", text)
        text = _GLUED_DATE.sub("", text)
        for i, part in enumerate(_SPLIT.split(text)):
            if i and _ROLE_ANYWHERE.search(part):
                continue  # "Jane Doe, AP Science Writer": a role after a separator describes the name before it
            if name := _clean_part(part, sites, credited, lenient):
                names.append(name)
    seen: set[str] = set()
    unique = []
    for name in names:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            unique.append(name)
    return unique


# --- the field: which of the page's sources names the authors ---------------------------------


def extract_authors(page: Page, *, signed_by_anyone: bool = True) -> list[str]:
    """The article's authors in byline order. ``signed_by_anyone=False`` leaves out the last
    pass (a team, an agency or the site credited by the page's data): the page classifier asks
    whether a person signs the page, which a site's "about" page with its own name does not."""
    rules, sites = page.rules, site_names(page)
    if rules.authors:
        if names := clean_author_names([element_text(e) for e in page.tree.cssselect(rules.authors)],
                                       site_names=sites, credited=True):
            return names
    structured = (
        lambda: _resolved(page, ld(page, "author") or ld(page, "creator")),
        lambda: page.microdata.get("author"),
        lambda: next((v for k in _AUTHOR_META for v in page.meta.get(k, ()) if not _URL.fullmatch(v.strip())), None),
    )
    in_text = (
        lambda: (_byline(page) or {}).get("authors"),
        lambda: [element_text(e) for e in page.tree.xpath(AUTHOR_ELEMENTS)[:3]],
        lambda: _trafilatura_author(page),
    )
    values = []
    for source in structured + in_text:
        values.append(value := source())
        if names := clean_author_names(value, site_names=sites):
            return names
    # A user name in lower case ("kirstin boatto", "gizzmo") is a name when the page's
    # structured data or author markup gives it, not a sentence fragment as in a text byline.
    for value in values[:3] + values[4:]:
        if names := _signers(page, clean_author_names(value, site_names=sites, credited=True)):
            return names
    # What the page's own data or author markup credits, even a team, an agency or the site
    # itself ("The Investopedia Team", "Kaspersky" on kaspersky.com): that is who signs it.
    values[0] = _without_publisher(values[0], sites)
    for value in values[:3] + values[4:] if signed_by_anyone else ():
        if names := _signers(page, clean_author_names(value, site_names=sites, credited=True, lenient=True)):
            return names
    return []


def _without_publisher(value, sites: tuple[str, ...]):
    """JSON-LD authors less the Organization that is the site itself: a CMS's default when no
    one signs ("author": {"@type": "Organization", "name": "Sky"}, BBC's noBylinesPolicy). Of
    the 48 dev pages with such an author and a truth for the field, 4 are signed by the site,
    20 by no one, 24 by a person (or an agency) that the data does not name."""
    names = {n.casefold() for n in sites}
    publisher = lambda v: isinstance(v, dict) and "Organization" in str(v.get("@type")) \
        and str(v.get("name", "")).strip().casefold() in names  # noqa: E731
    if isinstance(value, list):
        return [v for v in value if not publisher(v)]
    return None if publisher(value) else value


# The accounts a CMS is installed with, which sign every page nobody else signed.
_CMS_ACCOUNT = re.compile(r"(?i:admin|administrator|administrador|webmaster|root|wpadmin|siteadmin)")


def _signers(page: Page, names: list[str]) -> list[str]:
    """The credits of the weak passes that a reader would take for a signature. Not a CMS's
    default account ("admin"), nor a login that the page's text never shows ("kei_eno": no
    name has an underscore), nor a piece of the host's name ("gto" of gto-normativy.ru: the
    site's account, named after its domain), nor a label that the page's titles carry as a
    section ("... | Editorial | Opinion | The Guardian")."""
    labels = _title_labels(page)
    host = (urlsplit(page.url).hostname or "").casefold()
    pieces = {w for label in host.split(".") if "-" in label for w in label.split("-")}
    return [n for n in names if n.casefold() not in labels | pieces and not _CMS_ACCOUNT.fullmatch(n)
            and not ("_" in n and " " not in n and not _shown(page, n))]


def _shown(page: Page, name: str) -> bool:
    text = page.cached("visible_text", lambda: " ".join(page.tree.xpath(
        "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]")))
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None


def _title_labels(page: Page) -> set[str]:
    """The parts after the headline in the <title> and og:title that do not name the site
    ("Headline | Editorial | Opinion | The Guardian")."""
    titles = page.tree.xpath("//title/text()")[:1] + [page.meta_first("og:title") or ""]
    labels = {part.strip().casefold() for t in titles for part in re.split(r"\s+[|–—]\s+", t)[1:]}
    return labels - {n.casefold() for n in site_names(page)}


def _resolved(page: Page, value):
    """JSON-LD authors given as references ({"@id": ".../#/schema/person/..."}, as Yoast writes
    them) stand for the @graph's object of that @id, which has the name."""
    if isinstance(value, list):
        return [_resolved(page, v) for v in value]
    if isinstance(value, dict) and not value.get("name") and isinstance(ref := value.get("@id"), str):
        for obj in page.json_ld:
            if obj.get("@id") == ref and obj.get("name"):
                return obj
    return value


def _trafilatura_author(page: Page) -> str | None:
    """The first text of trafilatura's author markup (rel/itemprop/class "author", "byline",
    "posted-by" ... blocks) outside the places it discards (comment lists, sidebars, dates,
    figures) and outside page furniture. Its expressions, on our tree and without its
    normalisation, which drops initials' full stops and digits' words ("rmb8090" -> "Rmb")."""
    discard = None
    for expression in AUTHOR_XPATHS:
        for el in expression(page.tree):
            text = " ".join(" ".join(el.itertext()).split())
            if not 2 < len(text) < 120:
                continue
            if discard is None:
                discard = {d for x in AUTHOR_DISCARD_XPATHS for d in x(page.tree)}
            if discard.intersection(el.iterancestors()) or el in discard or el.xpath(IN_PAGE_FURNITURE):
                continue
            return text
    return None


_AUTHOR_META = ("author", "article:author", "dc.creator", "dcterms.creator", "byl", "parsely-author",
                "sailthru.author")
