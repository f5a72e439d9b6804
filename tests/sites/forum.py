"""A second demo site ("The Riverside Courier") whose articles each use another comment
system, rendered as the real systems render them:

- WordPress block theme (Comment Template markup, ``?cpage=N``, newest page and newest
  comments first), and a classic theme that loads its thread by script, leaving only
  the post's comment feed (``/post/feed/``);
- schema.org ``Comment`` in JSON-LD, nested under the article, and flat in an
  ``@graph`` with ``parentItem``; schema.org microdata (``/comment-page-N/``);
- Disqus: the embed code on the page, and the embed page and ``listPostsThreaded`` API
  served under ``/disqus/`` (reached as ``localhost``, so it is offsite for a crawl of
  127.0.0.1, as disqus.com is for a news site; robots.txt disallows it);
- a custom layout the generic extractor reads, and one that needs the per-site selectors
  in sites.toml (``[sites.forum.rules.comments]``);
- two broken threads: a Disqus embed whose thread data is not JSON, and a WordPress
  comment page that answers HTTP 500.

Routing, mutations (add/edit/delete comments between crawls) and HTTP come from DemoSite.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import re

from crawler.demosite.server import DemoSite

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"

THREADS_PER_PAGE = 3  # top-level threads per comment page (WordPress, schema.org, generic)
POSTS_PER_PAGE = 12  # comments per page of flat lists (JSON-LD @graph, Disqus)
DISQUS_FORUM = "riverside-courier"


class ForumSite(DemoSite):
    def __init__(self, name: str = "forum", host: str = "127.0.0.1", port: int = 0):
        super().__init__(name, host, port, content=FIXTURES / name)
        self._local = threading.local()
        self.deleted_posts: set[int] = set()  # Disqus posts shown as deleted placeholders

    def start(self) -> str:
        url = super().start()
        self.disqus_url = f"http://localhost:{self.port}/disqus"
        return url

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "NEWSDESK_DEMO_DISQUS_URL": self.disqus_url}

    def mark_deleted(self, comment_id: int) -> None:
        """A Disqus moderator deletes a post: it stays in the thread as a placeholder."""
        with self.lock:
            self.deleted_posts.add(comment_id)

    def by_system(self, system: str) -> dict:
        return next(a for a in self.articles if a["system"] == system)

    # --- HTTP ---
    def _handle(self, h):
        self._local.query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        super()._handle(h)

    def _q(self, key: str, default: str | None = None) -> str | None:
        return getattr(self._local, "query", {}).get(key, default)

    def _route(self, path):
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, "text/plain", (f"User-agent: *\nDisallow: /wp-admin/\nDisallow: /disqus/\n\n"
                                       f"Sitemap: {self.url}/sitemap.xml\n"), None
        if path == "/sitemap.xml":
            rows = "".join(f"<url><loc>{self.url}{self.path_of(a)}</loc><lastmod>{a['published']}</lastmod></url>"
                           for a in self.newest())
            return 200, "application/xml", ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                                            f'"http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'), None
        if path == "/":
            teasers = "".join(f'<div class="teaser"><h2><a href="{self.path_of(a)}">{escape(a["title"])}</a></h2>'
                              f'<p>{escape(a["body"][0][:140])}…</p></div>' for a in self.newest())
            return 200, html, self._page(self.site_name, f"<h1>Latest</h1>{teasers}"), None
        if path.startswith("/disqus/"):
            return self._disqus(path)
        if m := re.fullmatch(r"(/\d{4}/\d{2}/\d{2}/[^/]+/)(comment-page-(\d+)/|feed/)?", path):
            article = next((a for a in self.articles if self.path_of(a) == m.group(1)), None)
            if article is not None:
                if m.group(2) == "feed/":
                    if article["system"] == "wp-feed":
                        return 200, "application/rss+xml; charset=UTF-8", self._comment_feed(article), None
                else:
                    return self._article(article, int(m.group(3)) if m.group(3) else None)
        return 404, html, self._page("Not found", "<h1>Page not found</h1>"), None

    # --- pages ---
    def _page(self, title: str, main: str, head: str = "") -> str:
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} – '
                f'{self.site_name}</title>{head}</head><body><header><a class="logo" href="/">{self.site_name}</a>'
                f'</header><main>{main}</main><footer>© 2024 {self.site_name}</footer></body></html>')

    def _local_time(self, iso: str) -> datetime:
        return datetime.fromisoformat(iso).replace(tzinfo=self.tz)

    def _utc(self, iso: str) -> datetime:
        return self._local_time(iso).astimezone(timezone.utc)

    def _article(self, a: dict, comment_page: int | None):
        url = self.url + self.path_of(a)
        system = a["system"]
        render = {
            "wp-block": self._wp_block, "broken-page": self._wp_block, "wp-feed": self._wp_lazy,
            "jsonld-nested": self._jsonld_nested, "jsonld-parent": self._jsonld_graph, "microdata": self._microdata,
            "disqus": self._disqus_embed_code, "broken-disqus": self._disqus_embed_code,
            "generic": self._generic, "selectors": self._talkback,
        }[system]
        result = render(a, url, comment_page)
        if result is None:
            return 404, "text/html; charset=utf-8", self._page("Not found", "<h1>Page not found</h1>"), None
        if isinstance(result, int):
            return result, "text/html; charset=utf-8", self._page("Error", "<h1>Server error</h1>"), None
        comments_html, head = result
        pub = self._local_time(a["published"])
        head = (f'<link rel="canonical" href="{url}"><meta property="og:title" content="{escape(a["title"])}">'
                f'<meta property="og:type" content="article"><meta property="article:published_time" '
                f'content="{pub.isoformat()}"><meta property="article:section" content="{a["section"]}">' + head)
        body = "".join(f"<p>{escape(p)}</p>" for p in a["body"])
        main = (f'<article class="post"><h1 class="entry-title">{escape(a["title"])}</h1>'
                f'<div class="byline">By {escape(a["authors"][0])} · {pub:%d %B %Y}</div>'
                f'<div class="entry-content">{body}</div></article>{comments_html}')
        return 200, "text/html; charset=utf-8", self._page(a["title"], main, head), self._utc(a["published"])

    # --- thread helpers ---
    def _children(self, a: dict) -> dict:
        by_parent: dict = {}
        for c in sorted(a["comments"], key=lambda c: (c["posted"], c["id"])):
            by_parent.setdefault(c["parent"], []).append(c)
        return by_parent

    def _root_pages(self, a: dict) -> list[list[dict]]:
        roots = self._children(a).get(None, [])
        return [roots[i:i + THREADS_PER_PAGE] for i in range(0, len(roots), THREADS_PER_PAGE)] or [[]]

    def _flat_pages(self, posts: list[dict]) -> list[list[dict]]:
        return [posts[i:i + POSTS_PER_PAGE] for i in range(0, len(posts), POSTS_PER_PAGE)] or [[]]

    @staticmethod
    def _paragraphs(text: str) -> str:
        return "".join(f"<p>{escape(p).replace(chr(10), '<br>' + chr(10))}</p>" for p in text.split("\n\n"))

    # --- WordPress block theme ---
    def _wp_block_li(self, c, url, kids, depth) -> str:
        name = escape(c["author"])
        if c["author_url"]:
            name = f'<a rel="external nofollow ugc" href="{escape(c["author_url"])}" target="_self">{name}</a>'
        t = self._local_time(c["posted"])
        children = "".join(self._wp_block_li(k, url, kids, depth + 1) for k in kids.get(c["id"], []))
        return (f'<li id="comment-{c["id"]}" class="comment {"even" if depth % 2 else "odd"} depth-{depth}'
                f'{" parent" if children else ""}"><div class="wp-block-columns is-layout-flex">'
                f'<div class="wp-block-column" style="flex-basis:40px"><div class="wp-block-avatar">'
                f'<img alt="{escape(c["author"])} Avatar" src="/avatar.png" class="avatar avatar-40 photo" height="40" width="40"></div></div>'
                f'<div class="wp-block-column"><div class="wp-block-comment-author-name has-small-font-size">{name}</div>'
                f'<div class="wp-block-group is-layout-flex"><div class="wp-block-comment-date has-small-font-size">'
                f'<time datetime="{t.isoformat()}"><a href="{url}#comment-{c["id"]}">{t:%B %-d, %Y at %-I:%M %p}</a>'
                f'</time></div><div class="wp-block-comment-edit-link has-small-font-size"></div></div>'
                f'<div class="wp-block-comment-content">{self._paragraphs(c["text"])}</div>'
                f'<div class="wp-block-comment-reply-link has-small-font-size"><a rel="nofollow" class="comment-reply-link"'
                f' href="?replytocom={c["id"]}#respond" data-commentid="{c["id"]}">Reply</a></div></div></div>'
                + (f'<ol class="children">{children}</ol>' if children else "") + "</li>")

    def _wp_block(self, a, url, comment_page):
        if comment_page is not None:
            return None  # block themes page with ?cpage=N
        pages = self._root_pages(a)
        # Settings > Discussion: "last page displayed by default", "newer comments at the top".
        cpage = int(self._q("cpage") or len(pages))
        if not 1 <= cpage <= len(pages):
            return None
        if a["system"] == "broken-page" and cpage < len(pages):
            return 500
        kids = self._children(a)
        items = "".join(self._wp_block_li(c, url, kids, 1) for c in reversed(pages[cpage - 1]))
        nav = ""
        if len(pages) > 1:
            link = lambda n: f"{url}?cpage={n}#comments"  # noqa: E731
            numbers = "".join(f'<span aria-current="page" class="page-numbers current">{n}</span>' if n == cpage
                              else f'<a class="page-numbers" href="{link(n)}">{n}</a>' for n in range(1, len(pages) + 1))
            nav = ('<div class="wp-block-comments-pagination is-layout-flex" aria-label="Comments pagination">'
                   + (f'<a href="{link(cpage - 1)}" class="wp-block-comments-pagination-previous">Older Comments</a>'
                      if cpage > 1 else "")
                   + f'<div class="wp-block-comments-pagination-numbers">{numbers}</div>'
                   + (f'<a href="{link(cpage + 1)}" class="wp-block-comments-pagination-next">Newer Comments</a>'
                      if cpage < len(pages) else "") + "</div>")
        n = len(a["comments"])
        html = (f'<div class="wp-block-comments"><h2 id="comments" class="wp-block-comments-title">{n} responses to '
                f'“{escape(a["title"])}”</h2><ol class="wp-block-comment-template">{items}</ol>{nav}'
                f'<div id="respond" class="comment-respond wp-block-post-comments-form"><h3 id="reply-title" '
                f'class="comment-reply-title">Leave a Reply</h3><form action="/wp-comments-post.php" method="post" '
                f'id="commentform" class="comment-form"><p class="comment-form-comment"><label for="comment">Comment '
                f'<span class="required">*</span></label><textarea id="comment" name="comment"></textarea></p>'
                f'<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
                f'value="Post Comment"></p></form></div></div>')
        return html, ""

    # --- WordPress classic theme that loads comments by script: only the feed has them ---
    def _wp_lazy(self, a, url, comment_page):
        if comment_page is not None:
            return None
        head = (f'<link rel="alternate" type="application/rss+xml" title="{self.site_name} &raquo; Feed" href="/feed/">'
                f'<link rel="alternate" type="application/rss+xml" title="{self.site_name} &raquo; '
                f'{escape(a["title"])} Comments Feed" href="{url}feed/">')
        html = (f'<div id="comments" class="comments-area lazy-comments" data-post-id="{a["comments"][0]["id"] - 1}">'
                f'<h2 class="comments-title">{len(a["comments"])} thoughts on “{escape(a["title"])}”</h2>'
                f'<div class="comments-loader">Loading comments…</div>'
                f'<script src="/wp-content/themes/courier/js/lazy-comments.js" defer></script></div>')
        return html, head

    def _comment_feed(self, a) -> str:
        url = self.url + self.path_of(a)
        by_id = {c["id"]: c for c in a["comments"]}
        items = []
        # posts_per_rss is raised on this site so the feed holds the whole thread.
        for c in sorted(a["comments"], key=lambda c: (c["posted"], c["id"]), reverse=True):
            content = self._paragraphs(c["text"])
            if c["parent"] is not None:
                parent = by_id[c["parent"]]
                content = (f'<p>In reply to <a href="{url}#comment-{parent["id"]}">{escape(parent["author"])}</a>.</p>\n'
                           + content)
            items.append(
                f'<item><title>By: {escape(c["author"])}</title><link>{url}#comment-{c["id"]}</link>'
                f'<dc:creator><![CDATA[{c["author"]}]]></dc:creator>'
                f'<pubDate>{self._utc(c["posted"]):%a, %d %b %Y %H:%M:%S +0000}</pubDate>'
                f'<guid isPermaLink="false">{self.url}/?p=1#comment-{c["id"]}</guid>'
                f'<description><![CDATA[{escape(c["text"][:80])}]]></description>'
                f'<content:encoded><![CDATA[{content}]]></content:encoded></item>')
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
                f'<title>Comments on: {escape(a["title"])}</title><link>{url}</link>'
                f'<description>Local news</description>{"".join(items)}</channel></rss>')

    # --- schema.org JSON-LD ---
    def _person(self, c) -> dict:
        person = {"@type": "Person", "name": c["author"]}
        if c["author_url"]:
            person["url"] = c["author_url"]
        return person

    def _visible_list(self, comments: list[dict]) -> str:
        return "".join(f'<li class="reader-note"><strong>{escape(c["author"])}</strong> '
                       f'{self._paragraphs(c["text"])}</li>' for c in comments)

    def _pager_head(self, url, page, pages) -> tuple[str, str]:
        head = nav = ""
        if page > 1:
            head += f'<link rel="prev" href="{url}?page={page - 1}">'
            nav += f'<a rel="prev" href="{url}?page={page - 1}">Newer comments</a> '
        if page < pages:
            head += f'<link rel="next" href="{url}?page={page + 1}">'
            nav += f'<a rel="next" href="{url}?page={page + 1}">Older comments</a>'
        return head, nav

    def _json_ld(self, data: dict) -> str:
        text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        return f'<script type="application/ld+json">{text}</script>'

    def _jsonld_nested(self, a, url, comment_page):
        if comment_page is not None:
            return None
        pages = self._root_pages(a)
        page = int(self._q("page") or 1)
        if not 1 <= page <= len(pages):
            return None
        kids = self._children(a)

        def node(c):
            # Times as the site writes them: local, without an offset.
            out = {"@type": "Comment", "@id": f"{url}#comment-{c['id']}", "author": self._person(c),
                   "dateCreated": c["posted"], "text": c["text"]}
            if replies := kids.get(c["id"]):
                out["comment"] = [node(k) for k in replies]
            return out

        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
                "datePublished": self._local_time(a["published"]).isoformat(),
                "author": {"@type": "Person", "name": a["authors"][0]}, "commentCount": len(a["comments"]),
                "comment": [node(c) for c in pages[page - 1]]}
        head, nav = self._pager_head(url, page, len(pages))
        shown = [c for c in pages[page - 1]]
        html = (f'<section id="comments" class="reader-notes"><h2>Comments</h2><ul>{self._visible_list(shown)}</ul>'
                f'<nav class="notes-pager">{nav}</nav></section>')
        return html, head + self._json_ld(data)

    def _jsonld_graph(self, a, url, comment_page):
        if comment_page is not None:
            return None
        posts = sorted(a["comments"], key=lambda c: (c["posted"], c["id"]))
        pages = self._flat_pages(posts)
        page = int(self._q("page") or 1)
        if not 1 <= page <= len(pages):
            return None
        graph = [{"@type": "NewsArticle", "@id": f"{url}#article", "headline": a["title"],
                  "datePublished": self._local_time(a["published"]).isoformat(), "commentCount": len(posts)}]
        for c in pages[page - 1]:
            node = {"@type": "Comment", "@id": f"{url}#post-{c['id']}", "about": {"@id": f"{url}#article"},
                    "author": self._person(c), "datePublished": self._local_time(c["posted"]).isoformat(),
                    "text": c["text"]}
            if c["parent"] is not None:
                node["parentItem"] = {"@id": f"{url}#post-{c['parent']}"}
            graph.append(node)
        head, nav = self._pager_head(url, page, len(pages))
        html = (f'<section id="comments" class="reader-notes"><h2>Discussion</h2>'
                f'<ul>{self._visible_list(pages[page - 1])}</ul><nav class="notes-pager">{nav}</nav></section>')
        return html, head + self._json_ld({"@context": "https://schema.org", "@graph": graph})

    # --- schema.org microdata ---
    def _microdata_comment(self, c, kids) -> str:
        person = f'<span itemprop="name">{escape(c["author"])}</span>'
        if c["author_url"]:
            person = f'<a itemprop="url" href="{escape(c["author_url"])}">{person}</a>'
        t = self._local_time(c["posted"])
        replies = "".join(self._microdata_comment(k, kids) for k in kids.get(c["id"], []))
        return (f'<div class="user-comment" id="c{c["id"]}" itemprop="comment" itemscope '
                f'itemtype="https://schema.org/Comment"><div class="meta"><span itemprop="author" itemscope '
                f'itemtype="https://schema.org/Person">{person}</span> <time itemprop="dateCreated" '
                f'datetime="{t.isoformat()}">{t:%d %b %Y, %H:%M}</time></div>'
                f'<div itemprop="text">{self._paragraphs(c["text"])}</div>'
                + (f'<div class="replies">{replies}</div>' if replies else "") + "</div>")

    def _microdata(self, a, url, comment_page):
        pages = self._root_pages(a)
        page = comment_page or 1
        if not 1 <= page <= len(pages):
            return None
        kids = self._children(a)
        items = "".join(self._microdata_comment(c, kids) for c in pages[page - 1])
        links = " ".join(f'<a href="{url}comment-page-{n}/#comments">{n}</a>' if n != page else f"<span>{n}</span>"
                         for n in range(1, len(pages) + 1))
        html = (f'<section id="comments" class="discussion"><h2>{len(a["comments"])} comments</h2>{items}'
                f'<nav class="comments-pagination">{links}</nav></section>')
        return html, ""

    # --- Disqus ---
    def _thread_id(self, a) -> str:
        return str(7700000 + self.articles.index(a))

    def _disqus_embed_code(self, a, url, comment_page):
        if comment_page is not None:
            return None
        identifier = f"courier-{self._thread_id(a)}"
        html = ('<div id="disqus_thread"></div><script>\nvar disqus_config = function () {\n'
                f"  this.page.url = '{url}';\n  this.page.identifier = '{identifier}';\n}};\n"
                "(function() { var d = document, s = d.createElement('script');\n"
                f"  s.src = 'https://{DISQUS_FORUM}.disqus.com/embed.js';\n"
                "  s.setAttribute('data-timestamp', +new Date()); (d.head || d.body).appendChild(s); })();\n"
                '</script><noscript>Please enable JavaScript to view the <a href="https://disqus.com/?ref_noscript">'
                'comments powered by Disqus.</a></noscript>')
        return html, ""

    def _threaded(self, a) -> list[dict]:
        """listPostsThreaded order: newest thread first, each followed by its replies."""
        kids = self._children(a)
        out = []

        def walk(c):
            out.append(c)
            for k in kids.get(c["id"], []):
                walk(k)

        for root in reversed(kids.get(None, [])):
            walk(root)
        return out

    def _post(self, a, c) -> dict:
        deleted = c["id"] in self.deleted_posts
        username = re.sub(r"\W+", "", c["author"].lower()) or "guest"
        return {
            "id": str(c["id"]), "parent": c["parent"], "thread": self._thread_id(a), "forum": DISQUS_FORUM,
            "createdAt": self._utc(c["posted"]).strftime("%Y-%m-%dT%H:%M:%S"),
            "message": "" if deleted else self._paragraphs(c["text"]), "raw_message": "" if deleted else c["text"],
            "isDeleted": deleted, "isEdited": bool(c.get("edited")), "isApproved": True, "likes": 0, "dislikes": 0,
            "author": ({"name": "Guest", "isAnonymous": True} if deleted else
                       {"name": c["author"], "username": username, "isAnonymous": False,
                        "profileUrl": f"https://disqus.com/by/{username}/"}),
        }

    def _cursor(self, offset: int, total: int) -> dict:
        nxt = offset + POSTS_PER_PAGE
        return {"hasPrev": offset > 0, "prev": f"{max(0, offset - POSTS_PER_PAGE)}:0:1" if offset else None,
                "total": total, "hasNext": nxt < total, "next": f"{nxt}:0:0" if nxt < total else None,
                "more": nxt < total, "id": f"{offset}:0:0"}

    def _disqus(self, path: str):
        json_type = "application/json"
        if path == "/disqus/embed/comments/":
            ident, forum = self._q("t_i"), self._q("f")
            a = next((a for a in self.articles if a["system"] in ("disqus", "broken-disqus")
                      and f"courier-{self._thread_id(a)}" == ident), None)
            if a is None or forum != DISQUS_FORUM:
                return 404, "text/html; charset=utf-8", "<h1>Thread not found</h1>", None
            posts = self._threaded(a)
            data = {"code": 0, "cursor": self._cursor(0, len(posts)),
                    "response": {"thread": {"id": self._thread_id(a), "forum": DISQUS_FORUM, "posts": len(posts),
                                            "identifiers": [ident], "link": self._q("t_u"), "title": a["title"]},
                                 "posts": [self._post(a, c) for c in posts[:POSTS_PER_PAGE]], "order": "desc"}}
            text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
            if a["system"] == "broken-disqus":
                text = text[: len(text) // 2]  # a truncated response: the thread cannot be read
            return 200, "text/html; charset=utf-8", (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Disqus Comments</title>'
                '<script src="https://c.disquscdn.com/next/embed/lounge.load.js"></script></head><body>'
                f'<div id="layout"></div><script type="text/json" id="disqus-threadData">{text}</script>'
                '</body></html>'), None
        if path == "/disqus/api/3.0/threads/listPostsThreaded.json":
            a = next((a for a in self.articles if self._thread_id(a) == self._q("thread")), None)
            if a is None:
                return 400, json_type, json.dumps({"code": 2, "response": "Invalid argument, 'thread'"}), None
            posts = self._threaded(a)
            offset = int((self._q("cursor") or "0:0:0").split(":")[0])
            size = min(POSTS_PER_PAGE, int(self._q("limit") or POSTS_PER_PAGE))
            return 200, json_type, json.dumps({"cursor": self._cursor(offset, len(posts)), "code": 0,
                                               "response": [self._post(a, c) for c in posts[offset:offset + size]]}), None
        return 404, json_type, json.dumps({"code": 1, "response": "Endpoint not found"}), None

    # --- a custom layout (generic extractor) ---
    def _generic_item(self, c, kids) -> str:
        name = escape(c["author"])
        if c["author_url"]:
            name = f'<a href="{escape(c["author_url"])}">{name}</a>'
        t = self._local_time(c["posted"])
        replies = "".join(self._generic_item(k, kids) for k in kids.get(c["id"], []))
        return (f'<div class="comment-item"><div class="comment-head"><img class="comment-avatar" src="/avatar.png" '
                f'alt=""><span class="comment-author">{name}</span> <span class="comment-date" '
                f'title="{t:%Y-%m-%d %H:%M}">{t:%-d %B %Y, %H:%M}</span></div>'
                f'<div class="comment-text">{self._paragraphs(c["text"])}</div>'
                f'<div class="comment-actions"><a href="#">Reply</a> <a href="#">Report</a></div>'
                + (f'<div class="comment-replies">{replies}</div>' if replies else "") + "</div>")

    def _generic(self, a, url, comment_page):
        if comment_page is not None:
            return None
        pages = self._root_pages(a)
        page = int(self._q("cpage") or 1)
        if not 1 <= page <= len(pages):
            return None
        kids = self._children(a)
        items = "".join(self._generic_item(c, kids) for c in pages[page - 1])
        pager = ""
        if page > 1:
            pager += f'<a class="prev" rel="prev" href="?cpage={page - 1}">« Newer comments</a> '
        if page < len(pages):
            pager += f'<a class="next" rel="next" href="?cpage={page + 1}">Older comments »</a>'
        html = (f'<section class="article-comments" id="reader-comments"><h2>Reader comments ({len(a["comments"])})'
                f'</h2>{items}<nav class="comments-pager">{pager}</nav></section>')
        return html, ""

    # --- a layout only the per-site selectors read: replies follow their comment ---
    def _talkback_item(self, c, kids) -> str:
        name = escape(c["author"])
        if c["author_url"]:
            name = f'<a href="{escape(c["author_url"])}">{name}</a>'
        stamp = int(self._utc(c["posted"]).timestamp())
        replies = "".join(self._talkback_item(k, kids) for k in kids.get(c["id"], []))
        return (f'<div class="msg" id="m-{c["id"]}"><div class="msg-head"><strong class="who">{name}</strong> '
                f'<span class="when" data-ts="{stamp}">{self._local_time(c["posted"]):%-d %b, %H:%M}</span></div>'
                f'<div class="msg-body">{self._paragraphs(c["text"])}</div></div>'
                + (f'<div class="msg-replies">{replies}</div>' if replies else ""))

    def _talkback(self, a, url, comment_page):
        if comment_page is not None:
            return None
        pages = self._root_pages(a)
        page = int(self._q("talk") or 1)
        if not 1 <= page <= len(pages):
            return None
        kids = self._children(a)
        items = "".join(self._talkback_item(c, kids) for c in pages[page - 1])
        links = " ".join(f'<a class="talk-page" href="?talk={n}">{n}</a>' for n in range(1, len(pages) + 1) if n != page)
        html = (f'<div id="talk" class="talkback"><h3>Talkback</h3>{items}</div>'
                f'<p class="talk-pages">Pages: {links}</p>')
        return html, ""
