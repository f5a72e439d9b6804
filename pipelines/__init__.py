"""Item pipelines: validate → clean → deduplicate → store (wired in crawler/settings.py)."""
