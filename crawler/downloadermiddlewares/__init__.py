"""Downloader middlewares: components between the engine and the download (see settings.DOWNLOADER_MIDDLEWARES)."""
