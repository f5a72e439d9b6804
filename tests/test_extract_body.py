"""The article body's kinds of furniture and of dropped text, on small pages made for the purpose
(the saved pages in test_extract_pages.py and the dev set in bench/ judge the rules as a whole)."""
from __future__ import annotations

from crawler.extract import extract_page
from crawler.extract.body_blocks import fill_in

URL = "https://news.example.com/2024/03/05/river-report/"
PARAGRAPHS = [
    "The river rose by two metres overnight, and the town council opened the school gym to families "
    "whose houses stood closest to the water.",
    "By the morning the water had reached the market square, where traders moved their stock to the "
    "upper floors of the old hall while volunteers filled sandbags.",
    "The council said the road to the north would stay closed until the engineers had inspected "
    "the bridge, which was built in 1889 and last repaired a decade ago.",
]


def _page(lead: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<html><head><title>River bursts its banks</title>"
            f"<meta name='description' content='The water reached the market square.'></head><body>"
            f"<article><h1>River bursts its banks</h1>{lead}{body}</article></body></html>").encode()


def test_a_list_and_subheading_between_kept_paragraphs_are_put_back():
    precise = "\n".join([PARAGRAPHS[0], PARAGRAPHS[1]])
    recall = "\n".join(["- Home", "- News", PARAGRAPHS[0], "What the council decided",
                        "- The school gym stays open to families for the whole week",
                        "- Sandbags are handed out at the fire station from eight in the morning",
                        PARAGRAPHS[1], "Related stories", "- Storm warning", "- Weather"])
    text = fill_in(precise, recall)
    assert "- The school gym stays open to families for the whole week" in text
    assert "What the council decided" in text
    assert text.index(PARAGRAPHS[0]) < text.index("What the council decided") < text.index(PARAGRAPHS[1])


def test_breadcrumbs_and_related_links_around_the_article_stay_out():
    precise = "\n".join(PARAGRAPHS)
    recall = "\n".join(["- Home", "- News", "- Local", *PARAGRAPHS, "Related stories",
                        "- Storm warning for the coast this weekend, the forecasters say"])
    assert fill_in(precise, recall) == precise


def test_a_menu_between_paragraphs_stays_out():
    precise = "\n".join(PARAGRAPHS[:2])
    recall = "\n".join([PARAGRAPHS[0], "- Share", "- Print", "- Email", PARAGRAPHS[1]])
    assert fill_in(precise, recall) == precise


def test_a_recall_pass_that_read_another_block_is_not_used():
    precise = "\n".join(PARAGRAPHS)
    recall = "\n".join(["A sidebar about something else entirely, with many words in it", PARAGRAPHS[0]])
    assert fill_in(precise, recall) == precise


def test_a_lead_set_as_a_paragraph_is_the_first_paragraph_of_the_body():
    lead = "Families were moved to safety as the water rose through the night, and more rain is due."
    item = extract_page(_page(f'<p class="intro">{lead}</p>'), URL, with_comments=False)
    assert item.body_text.startswith(lead)


def test_a_standfirst_set_as_a_subheading_is_not_body_text():
    dek = "Families were moved to safety as the water rose through the night, and more rain is due."
    item = extract_page(_page(f'<h2 class="dek">{dek}</h2>'), URL, with_comments=False)
    assert dek not in item.body_text
    assert item.body_text.startswith(PARAGRAPHS[0])


def _article_with(box: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<html><head><title>River bursts its banks</title></head><body><main><article>"
            f"<h1>River bursts its banks</h1><div class='entry-content'>{body}{box}</div>"
            f"</article></main></body></html>").encode()


def test_the_authors_bio_box_is_not_body_text():
    bio = ("Jane Roe is a senior reporter covering local government and the environment for the "
           "paper, where she has worked since 2011. Email her at jane@example.com.")
    item = extract_page(_article_with(f"<div class='saboxplugin-wrap'><div class='saboxplugin-desc'><p>{bio}</p></div></div>"), URL, with_comments=False)
    assert PARAGRAPHS[-1] in item.body_text
    assert "senior reporter covering local government" not in item.body_text


def test_a_disclosure_and_a_newsletter_box_are_not_body_text():
    box = ("<div class='c-globalDisclosure'><p>When you buy through links on our site we may earn an "
           "affiliate commission, which helps support our work and our reporters.</p></div>"
           "<section class='newsletter-form__wrapper'><p>Breaking news, the latest updates and features, "
           "straight to you every morning of the week.</p></section>")
    item = extract_page(_article_with(box), URL, with_comments=False)
    assert PARAGRAPHS[-1] in item.body_text
    assert "affiliate commission" not in item.body_text and "straight to you" not in item.body_text


def test_readers_comments_under_the_article_are_not_body_text():
    comments = "".join(f"<li class='forum-comment'><div class='forum-comment-content'><p>Reader {n} wrote that "
                       f"the bridge should have been repaired years ago, and that the council knew it.</p></div></li>"
                       for n in range(3))
    item = extract_page(_article_with(f"<ul class='forum-comments-list'>{comments}</ul>"), URL, with_comments=False)
    assert PARAGRAPHS[-1] in item.body_text
    assert "Reader 1 wrote" not in item.body_text


def test_a_live_commentary_named_comments_is_the_page_text():
    minutes = "".join(f"<div class='live-comment'><span>{n}'</span><div>Minute {n}: the home side press high "
                      f"and win a corner on the left, but the header goes wide of the far post.</div></div>"
                      for n in range(1, 30))
    page = (f"<html><head><title>Live: Lorient v Lyon</title></head><body><h1>Live: Lorient v Lyon</h1>"
            f"<div class='live-match-comments'>{minutes}</div></body></html>").encode()
    item = extract_page(page, URL, with_comments=False)
    assert "Minute 12: the home side press high" in item.body_text


def test_appeals_contact_lines_and_subscription_thanks_are_not_body_text():
    lines = ["Help keep news free for everyone by giving us as little as $1. Your contribution will go a long way.",
             "Jane Roe can be reached at jroe@example.com. Follow her on X @janeroe.",
             "Thank you for subscribing to our newsletter. Look out for your round-up in your inbox."]
    item = extract_page(_article_with("".join(f"<p>{line}</p>" for line in lines)), URL, with_comments=False)
    assert PARAGRAPHS[-1] in item.body_text
    for line in lines:
        assert line not in item.body_text


def test_a_donation_or_a_contact_number_in_the_story_stays():
    lines = ["The fund raised more than $1 million in donations, enough to repair the bridge twice over.",
             "Police asked anyone who saw the crash to contact them at (978) 448-5555 or by email."]
    item = extract_page(_article_with("".join(f"<p>{line}</p>" for line in lines)), URL, with_comments=False)
    for line in lines:
        assert line in item.body_text


def test_box_headers_and_picture_credits_in_several_languages_are_not_body_text():
    lines = ["Auch interessant:", "Foto: Michael von Lingen (Copyright)", "A lire aussi :", "Lee también...",
             "Czytaj też: Wyścig zbrojeń ruszył z kopyta", "Related Stories"]
    item = extract_page(_article_with("".join(f"<p>{line}</p>" for line in lines)), URL, with_comments=False)
    assert PARAGRAPHS[-1] in item.body_text
    for line in lines:
        assert line not in item.body_text.split("\n\n")


def test_a_sentence_that_opens_like_a_box_header_stays():
    line = ("Mehr zum Thema Hochwasser sagte der Bürgermeister am Abend nichts, er verwies auf die "
            "Pressekonferenz des Landratsamts am nächsten Morgen und auf die Feuerwehr.")
    item = extract_page(_article_with(f"<p>{line}</p>"), URL, with_comments=False)
    assert line in item.body_text


def test_an_address_to_write_to_is_not_a_teaser_link(monkeypatch):
    # trafilatura keeps such a line on some pages and drops it on others; given that it kept it,
    # the line stays although it is nothing but a link's text
    from crawler.extract import body
    from crawler.extract.page import Page

    lines = [PARAGRAPHS[0], "Questions go to the council's flood desk:", "flood.desk@example.org", PARAGRAPHS[1]]
    monkeypatch.setattr(body, "trafilatura_text", lambda page: "\n".join(lines))
    html = (f"<html><body><article><p>{PARAGRAPHS[0]}</p><p>Questions go to the council's flood desk:</p>"
            f"<p><a href='mailto:flood.desk@example.org'>flood.desk@example.org</a></p><p>{PARAGRAPHS[1]}</p>"
            f"<ul><li><a href='/2024/03/04/storm-warning/'>Storm warning for the coast this weekend</a></li></ul>"
            f"</article></body></html>")
    text = body.extract_generic_body(Page.parse(html.encode(), URL))
    assert "flood.desk@example.org" in text.split("\n\n")
