"""newsdesk crawler: Scrapy settings, items, spiders, extraction, site configuration, CLI."""
