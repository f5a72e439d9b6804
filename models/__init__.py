"""newsdesk's database: typed SQLAlchemy 2 models, engine/session factory, migrations, queries.

Nothing here imports Scrapy or the crawler: the pipelines and the CLI hand plain
mappings to the functions in ``models.repository``.
"""
from .base import Base
from .tables import (
    Article,
    ArticleAuthor,
    ArticleTag,
    ArticleUrl,
    ArticleVersion,
    Author,
    Comment,
    CrawlRun,
    Site,
    Tag,
)

__all__ = [
    "Base", "Site", "Article", "ArticleUrl", "Author", "ArticleAuthor", "Tag", "ArticleTag",
    "ArticleVersion", "Comment", "CrawlRun",
]
