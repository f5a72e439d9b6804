"""Extensions: crawl-wide components connected to signals (see settings.EXTENSIONS)."""
