"""The spider a user would write in ten lines instead of newsdesk: Scrapy reads the sitemaps and
calls trafilatura in the callback. bench/crawl.py runs it as the baseline (`scrapy runspider`,
outside the project so none of newsdesk's settings apply):

    scrapy runspider bench/baseline_spider.py -a sitemap=URL -a mode=fetch|trafilatura|sqlite
"""
import json
import sqlite3

import trafilatura
from scrapy.spiders import SitemapSpider


class BaselineSpider(SitemapSpider):
    name = "baseline"

    def __init__(self, sitemap: str, mode: str = "trafilatura", db: str = "", stats: str = "", **kwargs):
        super().__init__(**kwargs)
        self.sitemap_urls, self.mode, self.stats_file = [sitemap], mode, stats
        self.db = sqlite3.connect(db) if mode == "sqlite" else None
        if self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS articles (url TEXT PRIMARY KEY, title TEXT, "
                            "author TEXT, date TEXT, text TEXT)")

    def parse(self, response):
        self.crawler.stats.inc_value("bench/article_pages")
        if self.mode == "fetch":
            return
        doc = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
        if doc and doc.text:
            self.crawler.stats.inc_value("bench/articles")
            if self.db:  # one insert and commit per page, as a hand-written spider does
                self.db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
                                (response.url, doc.title, doc.author, doc.date, doc.text))
                self.db.commit()

    def closed(self, reason):
        if self.stats_file:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
            with open(self.stats_file, "w", encoding="utf-8") as out:
                json.dump(stats, out)
