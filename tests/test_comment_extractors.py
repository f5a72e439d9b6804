"""Comment extraction on saved pages modelled on real markup, one system per test: what
each comment's id, parent, depth, author, time and text come out as."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawler.extract.comments import (
    CommentEndpoints,
    CommentThread,
    StableIds,
    extract_comments,
    fragment_text,
    merge_threads,
    parse_comment_response,
)
from crawler.extract.page import Page
from crawler.extract.rules import SiteRules
from crawler.items import CommentItem
from helpers import REPO, run_newsdesk

FIXTURES = REPO / "fixtures" / "comments"


def page(name: str, url: str, **rules) -> Page:
    return Page.parse((FIXTURES / name).read_bytes(), url, rules=SiteRules(**rules))


def thread_of(*threads: CommentThread) -> list[tuple]:
    return [(c.external_id, c.parent_external_id, c.depth, c.author, c.posted_at, c.body_text)
            for c in merge_threads(threads)]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_wordpress_twenty_eleven_nesting_times_and_text():
    p = page("wp-twentyeleven.html", "https://gazette.example/2015/03/02/harbour-dredging-starts/comment-page-2/")
    thread = extract_comments(p)
    assert thread.system == "wordpress" and thread.reported_count == 4 and thread.errors == []
    assert thread_of(thread) == [
        ("1402", None, 0, "Harbour Watch", utc(2015, 3, 2, 18, 4, 11),
         "The noise starts at 6 every morning.\nIs that even allowed?\n\nAsking for the whole street."),
        ("1403", "1402", 1, "Gazette Editor", utc(2015, 3, 2, 19, 30), "The permit allows work from 6 am on weekdays."),
        ("1405", "1403", 2, "Ola", utc(2015, 3, 3, 7, 2, 45), "Thanks – good to know <3"),
        # The link keeps its text, the script in the comment is gone; the pingback is no comment.
        ("1410", None, 0, "Mats", utc(2015, 3, 3, 9), "Any news on the ferry timetable?"),
    ]
    assert thread.comments[0].author_url == "http://harbourwatch.example/"
    assert [r.url for r in thread.requests] == [
        "https://gazette.example/2015/03/02/harbour-dredging-starts/comment-page-1/"]


def test_wordpress_xhtml_walker_reads_bare_paragraphs_and_dates_in_the_sites_zone():
    p = page("wp-xhtml-walker.html", "https://valley.example/pothole-season/?cpage=2",
             timezone="America/Chicago", date_order="DMY")
    thread = extract_comments(p)
    assert thread_of(thread) == [
        ("77", None, 0, "Road Fan", utc(2016, 3, 4, 15, 15), "Elm Street is the worst.\n\nTwo tyres this month."),
        ("78", "77", 1, "Jo", utc(2016, 3, 4, 17, 40), "Same on Birch Lane."),
        ("80", None, 0, "Anonymous", utc(2016, 5, 5, 1, 0), "Call the council, they fixed ours in a week."),
    ]
    assert [r.url for r in thread.requests] == ["https://valley.example/pothole-season/?cpage=1"]


def test_wordpress_comment_feed_names_parents_in_its_reply_prefix():
    p = page("wp-twentyeleven.html", "https://gazette.example/2015/03/02/harbour-dredging-starts/")
    thread = parse_comment_response("wordpress-feed", (FIXTURES / "wp-comment-feed.xml").read_bytes(),
                                    "https://gazette.example/2015/03/02/harbour-dredging-starts/feed/")
    assert thread.complete is False  # the feed holds only the newest comments: no deletions inferred
    assert thread_of(thread) == [
        ("1402", None, 0, "Harbour Watch", utc(2015, 3, 2, 18, 4, 11),
         "The noise starts at 6 every morning.\nIs that even allowed?\n\nAsking for the whole street."),
        ("1403", "1402", 1, "Gazette Editor", utc(2015, 3, 2, 19, 30), "The permit allows work from 6 am on weekdays."),
        ("1405", "1403", 2, "Ola", utc(2015, 3, 3, 7, 2, 45), "Thanks – good to know"),
    ]
    # A page with the thread in its markup does not need the feed.
    assert extract_comments(p).system == "wordpress"


def test_drupal_comments_with_replies_after_their_parent_are_read_by_the_generic_extractor():
    thread = extract_comments(page("drupal-olivero.html", "https://cityvoice.example/news/new-tram-line-approved"))
    assert thread.system == "generic"
    assert thread_of(thread) == [
        ("345", None, 0, "Anna", utc(2023, 3, 15, 17, 6), "Finally, after twenty years of talk."),
        ("346", "345", 1, "Editor Ben", utc(2023, 3, 15, 18), "Twenty-two, to be exact."),
        ("350", "346", 2, "Anna", utc(2023, 3, 16, 10), "Fair."),
        ("351", None, 0, "Omar", utc(2023, 3, 16, 11), "Will it reach the hospital?"),
    ]


def test_disqus_wordpress_plugin_page_asks_the_embed_for_its_thread():
    endpoints = CommentEndpoints(disqus_embed="http://127.0.0.1:9/embed/comments/")
    thread = extract_comments(page("disqus-wordpress-plugin.html",
                                   "https://metrodaily.example/2023/04/27/budget-vote-delayed/"), endpoints)
    (request,) = thread.requests
    assert thread.system == "disqus" and request.kind == "disqus-embed" and request.offsite
    assert request.url == ("http://127.0.0.1:9/embed/comments/?base=default&f=metrodaily"
                           "&t_i=4711+https%3A%2F%2Fmetrodaily.example%2F%3Fp%3D4711"
                           "&t_u=https%3A%2F%2Fmetrodaily.example%2F2023%2F04%2F27%2Fbudget-vote-delayed%2F")


def test_disqus_embed_and_api_pages_make_one_thread():
    endpoints = CommentEndpoints(disqus_api="http://127.0.0.1:9/api/3.0/", disqus_api_key="PUBLICKEY")
    first = parse_comment_response("disqus-embed", (FIXTURES / "disqus-embed.html").read_bytes(),
                                   "http://127.0.0.1:9/embed/comments/?f=metrodaily", endpoints=endpoints)
    assert first.reported_count == 5 and first.errors == []
    (more,) = first.requests
    assert more.kind == "disqus-api" and more.url.startswith("http://127.0.0.1:9/api/3.0/threads/listPostsThreaded.json?")
    assert "thread=9876543210" in more.url and "cursor=3%3A0%3A0" in more.url and "api_key=PUBLICKEY" in more.url
    rest = parse_comment_response("disqus-api", (FIXTURES / "disqus-listPostsThreaded.json").read_bytes(),
                                  more.url, endpoints=endpoints)
    assert rest.requests == []  # cursor.hasNext is false
    merged = merge_threads([first, rest])
    assert [(c.external_id, c.parent_external_id, c.depth, c.author, c.posted_at, c.deleted) for c in merged] == [
        ("6100000003", None, 0, "Sam", utc(2023, 4, 27, 20), False),  # createdAt is UTC: no zone applied
        ("6100000001", None, 0, "Kim P.", utc(2023, 4, 27, 21, 15, 2), False),
        ("6100000002", "6100000001", 1, None, utc(2023, 4, 27, 22, 1, 40), True),
        ("6100000004", "6100000002", 2, "Lee", utc(2023, 4, 28, 6, 30), False),
        ("6100000005", "6100000004", 3, "Kim P.", utc(2023, 4, 28, 7), False),
    ]
    texts = {c.external_id: c.body_text for c in merged}
    assert texts["6100000001"] == "Not again.\nThird delay this year.\n\nWho is surprised?"
    assert texts["6100000004"] == "Whatever was said above, the agenda is public."
    assert texts["6100000005"] == "Thanks & noted <b>" and texts["6100000002"] == ""


@pytest.mark.parametrize("body, reason", [
    (b"<html><body>maintenance</body></html>", "disqus embed without thread data"),
    (b'<script type="text/json" id="disqus-threadData">{"code": 0, "respo</script>', "disqus thread data is not JSON"),
])
def test_a_disqus_embed_that_cannot_be_read_says_why(body, reason):
    assert parse_comment_response("disqus-embed", body, "http://127.0.0.1:9/e").errors == [reason]


def test_json_ld_and_microdata_threads():
    html = """<html><head><script type="application/ld+json">{"@context": "https://schema.org",
      "@type": "DiscussionForumPosting", "headline": "Q", "comment": [
        {"@type": "Comment", "identifier": 11, "author": "Ann", "datePublished": "2024-02-01T10:00:00",
         "text": "<p>Line one<br>line two</p>", "comment": [
           {"@type": "Comment", "identifier": 12, "author": {"@type": "Person", "name": "Bo"},
            "datePublished": "2024-02-01T11:00:00+00:00", "text": "Plain &amp; simple\\nsecond line"}]},
        {"@type": "Comment", "url": "https://f.example/t/1#post-13", "author": "Cy",
         "datePublished": "2024-02-01T12:00:00", "text": "flat reply", "parentItem": {"@id": "#12"}}]}
    </script></head><body><h1>Q</h1></body></html>"""
    thread = extract_comments(Page.parse(html, "https://f.example/t/1", rules=SiteRules(timezone="Europe/Paris")))
    assert thread.system == "schema-jsonld"
    assert thread_of(thread) == [
        ("11", None, 0, "Ann", utc(2024, 2, 1, 9), "Line one\nline two"),
        ("12", "11", 1, "Bo", utc(2024, 2, 1, 11), "Plain & simple\nsecond line"),
        ("post-13", "12", 2, "Cy", utc(2024, 2, 1, 11), "flat reply"),
    ]
    micro = """<html><body><h1>Story</h1><div id="comments">
      <div itemprop="comment" itemscope itemtype="http://schema.org/Comment">
        <span itemprop="author">Ann</span><meta itemprop="dateCreated" content="2024-02-01T10:00:00Z">
        <div itemprop="text"><p>Top</p></div>
        <div itemprop="comment" itemscope itemtype="http://schema.org/Comment" id="reply-2">
          <span itemprop="author" itemscope itemtype="http://schema.org/Person"><span itemprop="name">Bo</span></span>
          <div itemprop="text">Nested<br>reply</div></div></div></div></body></html>"""
    thread = extract_comments(Page.parse(micro, "https://f.example/s"))
    (top, reply) = merge_threads([thread])
    assert thread.system == "schema-microdata"
    assert (top.author, top.posted_at, top.body_text, top.external_id.startswith("h")) == (
        "Ann", utc(2024, 2, 1, 10), "Top", True)  # no id at the source: a stable hash
    assert (reply.external_id, reply.parent_external_id, reply.author, reply.body_text) == (
        "reply-2", top.external_id, "Bo", "Nested\nreply")


def test_comment_system_rule_forces_one_system():
    p = page("wp-twentyeleven.html", "https://gazette.example/x/", comment_system="none")
    assert extract_comments(p).comments == []
    p = page("wp-twentyeleven.html", "https://gazette.example/x/", comment_system="disqus")
    assert extract_comments(p).comments == []


def test_stable_ids_are_the_same_on_every_crawl_and_tell_twins_apart():
    when = utc(2024, 1, 1)
    first, second = StableIds(), StableIds()
    ids = [first("Ann", when, "+1", None), first("Ann", when, "+1", None), first("Ann", when, "+1", "p")]
    assert ids == [second("Ann", when, "+1 ", None), second("Ann", when, "+1", None), second("Ann", when, "+1", "p")]
    assert len(set(ids)) == 3


def test_merge_keeps_first_copy_orders_siblings_by_time_and_breaks_parent_loops():
    a = CommentItem("a", "x", posted_at=utc(2024, 1, 2))
    b = CommentItem("b", "y", posted_at=utc(2024, 1, 1))
    loop1, loop2 = CommentItem("l1", "p", parent_external_id="l2"), CommentItem("l2", "q", parent_external_id="l1")
    merged = merge_threads([CommentThread([a, b, loop1, loop2]), CommentThread([CommentItem("a", "changed")])])
    assert [(c.external_id, c.parent_external_id, c.depth) for c in merged] == [
        ("b", None, 0), ("a", None, 0), ("l1", None, 0), ("l2", "l1", 1)]
    assert merged[1].body_text == "x"


def test_comment_markup_becomes_plain_text():
    assert fragment_text('<p>See <a href="http://x">this</a><br>now</p><style>p{}</style><p>&lt;i&gt;ok</p>'
                         '<div class="reply"><a class="comment-reply-link">Reply</a></div>') == "See this\nnow\n\n<i>ok"


@pytest.mark.e2e
def test_bad_per_site_settings_are_one_clear_error(tmp_path):
    conf = tmp_path / "sites.toml"
    conf.write_text("[sites.x]\nstart_urls = ['http://127.0.0.1:9/']\n[sites.x.settings]\ndisqus_url = 'a'\n")
    result = run_newsdesk("crawl", "x", "--sites", str(conf), "--db", str(tmp_path / "x.db"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "site 'x', field 'settings.disqus_url': a Scrapy setting name is in capitals" in result.stderr


def test_a_page_without_a_readable_thread_proves_no_deletion():
    thread = extract_comments(Page.parse("<html><body><h1>T</h1><p>No comment markup here.</p></body></html>",
                                         "https://x.example/a"))
    assert thread.comments == [] and thread.complete is False
