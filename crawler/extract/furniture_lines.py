"""Lines of trafilatura's text that are page furniture, not article text, on any news site: the
publisher's boilerplate ("Share this article", "All rights reserved"), pitches and appeals,
box headers and picture credits. Each pattern names a kind of line, never a site.
"""
from __future__ import annotations

import re

# Lines that are page furniture, not article text, on any news site.
BOILERPLATE = re.compile(
    r"^(share this( article| story)?|share( on)? (facebook|twitter)|thoughts on the above story\??.*|"
    r"\d+\s+comments?(/s)?|comments?|what do you think about this article\??|comment \*|"
    r"leave a (reply|comment)|tell us what you think.*|"
    r"(photo|image|picture) (credit|source)s?:.*|advertisement|read more|related:.*|recent news|popular stories|"
    r"(read|see) (more|also|next):.*|don'?t miss:?|also on [\w.]+ .*|more:.*|"
    r"follow us on.*|click here to .*|"
    r"like this story\? share it.*|copyright ©.*|© \d{4}.*|all rights reserved\.?|"
    r"this (article|copy) is for your personal,? non-commercial use only.*|"
    r"thanks? (you )?for signing up!?|keep an eye on your inbox.*|there was an error processing your subscription.*|"
    r"an error has occurred,? please try again( later)?\.?|sorry!?|thank you!?|this article has been sent to.*|"
    r"(- )?(order reprints|print article|print this article|email this article)|"
    r"write to .{2,60} at \S+@\S+|"
    r"tags?|(tags?|tagged|topics|schlagwörter|etiquetas|argomenti)\s*:.*|"
    r"updated( at)?:? \d{1,2}:\d{2}.*)$", re.I)
# Newsletter and subscription pitches, in any wording: short lines naming both.
_PITCH = re.compile(r"(?=.*\b(newsletter|inbox|delivered (to|through) your)\b)"
                    r"(?=.*\b(sign up|subscribe|thanks? (you )?for subscribing|get)\b)", re.I)
# Headers of related-story boxes, share bars and picture credits, in the dev set's languages:
# short lines only (a sentence that starts "Mehr zum Thema" and goes on is text).
_BOX_HEADER = re.compile(
    r"^(auch interessant|(das|diese) (thema|themen|artikel) (könnte|könnten) (dich|sie|euch) (auch )?interessieren|"
    r"empfohlene (beiträge|artikel)|ähnliche (beiträge|artikel)|verwandte (beiträge|artikel)|weitere (beiträge|artikel)|"
    r"mehr zum thema\b.*|teilen( mit| auf)?|kommentieren|wird geladen|bild anzeigen|beitragsbild|"
    r"(titelbild|bildquelle|foto|fotos|bild|bilder|crédits? photos?|crédit photo|foto de portada)\s*:.*|"
    r"(à |a )?lire aussi\b.*|voir aussi\b.*|partager( sur| cet article)?|"
    r"lee también\b.*|leer más|te puede interesar\b.*|compartir( en| este artículo)?|ver también\b.*|noticias relacionadas|"
    r"czytaj (też|także|również)\b.*|zobacz (też|także|również)\b.*|"
    r"if you enjoyed (reading )?this (post|article)\b.*|recommended (for you|stories|posts|articles)|"
    r"related (posts|articles|stories)|you (may|might) also (like|enjoy)\b.*)[.:!]?$", re.I)
_BOX_HEADER_WORDS = 12
# Appeals for money ("Help keep news free for everyone by giving us as little as $1") and where
# to reach the author ("Jane Roe may be reached at jroe@..."): the publisher speaking about
# itself, not the article.
_APPEAL = re.compile(r"(?=.*\b(donat\w*|contribut\w*|patreon|giving us)\b)"
                     r"(?=.*\b(support (us|our)|keep \w+( \w+)? free|as little as|become a patron)\b)", re.I)
_CONTACT = re.compile(r"(?=.*\b((may|can) be reached at|e-?mail (him|her|them|me) at)\b)(?=.*@\w)", re.I)
# Comment-policy notices ("Comments are moderated", "Comentários ... não serão aprovados pelo moderador").
_COMMENT_POLICY = re.compile(r"\b(comments?|comentários?|comentarios?|commenti|kommentare)\b.*"
                             r"\b(moderat\w*|approv\w*|aprovad\w*|aprobad\w*)", re.I)
# Teasers tagged by kind ("... eating marmot [INSIGHT]"), CMS shortcodes left in the text ("[button ...]").
_TAGGED_TEASER = re.compile(r"\w\W*\s\[(INSIGHT|VIDEO|VIDEOS|REACTION|WARNING|NEWS|PICTURES|PICS|PHOTOS|GALLERY|"
                            r"POLL|LATEST|LIVE|UPDATE|ANALYSIS|REVEAL|COMMENT|OPINION|INTERVIEW|REVIEW|EXCLUSIVE)\]"
                            r"\s*\|?\s*$")
_SHORTCODE = re.compile(r"^\[\w+\b[^\]]*\].*\[/\w+\]$")


def is_furniture(paragraph: str, page_urls: tuple[str, ...]) -> bool:
    words = len(paragraph.split())
    return bool(BOILERPLATE.match(paragraph) or (words <= 40 and (_PITCH.match(paragraph)
                or _COMMENT_POLICY.search(paragraph) or _APPEAL.match(paragraph) or _CONTACT.match(paragraph)))
                or (words <= 30 and _TAGGED_TEASER.search(paragraph))
                or (words <= _BOX_HEADER_WORDS and _BOX_HEADER.match(paragraph))
                or _SHORTCODE.match(paragraph) or paragraph in page_urls)
