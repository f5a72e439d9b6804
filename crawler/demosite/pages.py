"""The demo site's HTML (crawler/demosite/server.py routes to it): the layout with its
"Recent News" and "Popular Stories" sidebars, listings with pagination, and article pages in
the layout of the page that started newsdesk, with their WordPress-style comment threads and
the redesigned variant a test switches on. A mixin of DemoSite: it reads the site's content
and state (articles, comments, time zone) from ``self``.
"""
from __future__ import annotations

from datetime import datetime
from html import escape

PER_PAGE = 10  # articles per listing page


class DemoPages:
    def _layout(self, title, main, head=""):
        nav = " ".join(f'<a href="/section/{s.lower()}/">{s}</a>' for s in self.sections())
        recent = "".join(f'<li><a href="{self.path_of(a)}">{escape(a["title"])}</a></li>' for a in self.newest()[:5])
        popular = "".join(f'<li><a href="{self.path_of(a)}">{escape(a["title"])}</a></li>' for a in self.articles[:5])
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - '
                f'{self.site_name}</title>{head}<link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
                f'<body><header><a class="logo" href="/">{self.site_name}</a><nav>{nav}</nav></header>'
                f'<main>{main}</main><aside><h3>Recent News</h3><ul>{recent}</ul>'
                f'<h3>Popular Stories</h3><ul>{popular}</ul></aside>'
                f'<footer>&copy; 2026 {self.site_name} · <a href="/about/">About</a> · <a href="/contact/">Contact</a>'
                f' · <a href="/privacy/">Privacy</a></footer></body></html>')

    def _listing(self, arts, page, base, heading, last):
        pages = max(1, -(-len(arts) // PER_PAGE))
        if page > pages:
            return 404, "text/html; charset=utf-8", self._layout("Page not found", "<h1>Page not found</h1>"), None
        teasers = "".join(
            f'<div class="teaser"><h2><a href="{self.path_of(a)}">{escape(a["title"])}</a></h2>'
            f'<div class="post-meta">By: {escape(a["authors"][0])} | {datetime.fromisoformat(a["published"]):%m-%d-%Y}</div>'
            f'<p>{escape(a["body"][0][:160])}…</p><a href="{self.path_of(a)}">Read more</a></div>'
            for a in arts[(page - 1) * PER_PAGE: page * PER_PAGE])
        link = lambda n: base if n == 1 else f"{base}page/{n}/"  # noqa: E731
        nav = ""
        if page > 1:
            nav += f'<a class="prev page-numbers" href="{link(page - 1)}">« Previous</a> '
        nav += " ".join(f'<a class="page-numbers" href="{link(n)}">{n}</a>' for n in range(1, pages + 1))
        if page < pages:
            nav += f' <a class="next page-numbers" href="{link(page + 1)}">Next »</a>'
        return 200, "text/html; charset=utf-8", self._layout(
            heading, f'<h1>{escape(heading)}</h1>{teasers}<nav class="pagination">{nav}</nav>'), last

    def _comment_li(self, c, a, by_parent, depth):
        author = escape(c["author"])
        if c["author_url"]:
            author = f'<a href="{escape(c["author_url"])}" class="url" rel="ugc external nofollow">{author}</a>'
        posted = datetime.fromisoformat(c["posted"]).replace(tzinfo=self.tz)
        text = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in c["text"].split("\n\n"))
        kids = by_parent.get(c["id"], [])
        children = (f'<ol class="children">{"".join(self._comment_li(k, a, by_parent, depth + 1) for k in kids)}</ol>'
                    if kids else "")
        return (f'<li class="comment depth-{depth}{" parent" if kids else ""}" id="comment-{c["id"]}">'
                f'<article id="div-comment-{c["id"]}" class="comment-body"><footer class="comment-meta">'
                f'<div class="comment-author vcard"><b class="fn">{author}</b> <span class="says">says:</span></div>'
                f'<div class="comment-metadata"><a href="{self.url}{self.path_of(a)}#comment-{c["id"]}">'
                f'<time datetime="{posted.isoformat()}">{posted:%B %-d, %Y at %-I:%M %p}</time></a></div></footer>'
                f'<div class="comment-content">{text}</div><div class="reply"><a rel="nofollow" '
                f'class="comment-reply-link" href="?replytocom={c["id"]}#respond">Reply</a></div></article>'
                f'{children}</li>')

    def _article(self, a, page):
        url = self.url + self.path_of(a)
        pages = self.comment_pages(a)
        by_parent: dict = {}
        for c in a["comments"]:
            by_parent.setdefault(c["parent"], []).append(c)
        items = "".join(self._comment_li(c, a, by_parent, 1) for c in pages[page - 1])
        nav = ""
        if len(pages) > 1:
            prev = f'<div class="nav-previous"><a href="{url}comment-page-{page - 1}/#comments">Older Comments</a></div>' if page > 1 else ""
            nxt = f'<div class="nav-next"><a href="{url}comment-page-{page + 1}/#comments">Newer Comments</a></div>' if page < len(pages) else ""
            nav = f'<nav class="navigation comment-navigation"><div class="nav-links">{prev}{nxt}</div></nav>'
        pub = datetime.fromisoformat(a["published"])
        head = (f'<link rel="canonical" href="{url if page == 1 else f"{url}comment-page-{page}/"}">'
                f'<meta name="description" content="{escape(a["body"][0].split(". ")[0])}.">'
                f'<meta property="og:title" content="{escape(a["title"])}"><meta property="og:type" content="article">'
                f'<meta property="og:url" content="{url}"><meta property="og:image" content="{self.url}/images/{a["slug"]}.jpg">')
        if a.get("machine_date"):
            head += f'<meta property="article:published_time" content="{pub.replace(tzinfo=self.tz).isoformat()}">'
            head += f'<meta property="article:section" content="{a["section"]}">'
            head += "".join(f'<meta property="article:tag" content="{escape(t)}">' for t in a["tags"])
        if a.get("modified"):
            head += (f'<meta property="article:modified_time" '
                     f'content="{datetime.fromisoformat(a["modified"]).replace(tzinfo=self.tz).isoformat()}">')
        authors = " and ".join(f'<a class="author" href="/author/{n.lower().replace(" ", "-")}/">{escape(n)}</a>'
                               for n in a["authors"])
        body = "".join(f"<p>{escape(p)}</p>" for p in a["body"])
        tags = " ".join(f'<a rel="tag" href="/tag/{t.lower()}/">{escape(t)}</a>' for t in a["tags"])
        n = len(a["comments"])
        if self.templates == "redesign":
            return self._layout(a["title"], self._redesigned_article(a, pub, body, tags, n), head)
        main = (f'<article class="post"><div class="post-meta">By: {authors} | <span class="date">{pub:%m-%d-%Y}'
                f'</span> | <a class="category" href="/section/{a["section"].lower()}/">{a["section"]}</a></div>'
                f'<figure class="featured-image"><img src="/images/{a["slug"]}.jpg" alt=""><figcaption>Photo credit: '
                f'{self.site_name}</figcaption></figure><h1 class="entry-title">{escape(a["title"])}</h1>'
                f'<div class="entry-content">{body}</div><div class="tags">Tags: {tags}</div>'
                f'<div class="share">Share this article <a href="#">Facebook</a> <a href="#">Twitter</a></div>'
                f'<p class="comment-prompt">Thoughts on the above story? Comment below!</p></article>'
                f'<div id="comments" class="comments-area"><h3 class="comments-title">{n} comment/s</h3>'
                f'<ol class="commentlist">{items}</ol>{nav}<div id="respond" class="comment-respond">'
                f'<h3>What do you think about this article?</h3><form action="/wp-comments-post.php" method="post">'
                f'<label for="comment">Comment *</label><textarea id="comment" name="comment"></textarea>'
                f'<input type="submit" value="Post Comment"></form></div></div>')
        return self._layout(a["title"], main, head)

    def _redesigned_article(self, a, pub, body, tags, n):
        """The same article after a redesign: the byline's names move to a contributors box
        at the end (no "By", no author class), the body container has a new class, and the
        thread is loaded by a JavaScript widget from another comment system."""
        people = "".join(f'<li><span class="contributor-name">{escape(name)}</span></li>' for name in a["authors"])
        return (f'<article class="story"><div class="story-meta"><span class="date">{pub:%m-%d-%Y}</span> | '
                f'<a class="category" href="/section/{a["section"].lower()}/">{a["section"]}</a></div>'
                f'<figure class="featured-image"><img src="/images/{a["slug"]}.jpg" alt=""><figcaption>Photo credit: '
                f'{self.site_name}</figcaption></figure><h1 class="story-title">{escape(a["title"])}</h1>'
                f'<div class="story-text">{body}</div><div class="tags">Tags: {tags}</div>'
                f'<section class="contributors"><h4>Contributors</h4><ul>{people}</ul></section></article>'
                f'<section class="conversation"><h3>Join the conversation ({n})</h3>'
                f'<div id="talk-embed" data-thread="{escape(a["slug"])}"></div>'
                f'<script async src="/talk/embed.js"></script>'
                f'<noscript>Comments need JavaScript.</noscript></section>')

