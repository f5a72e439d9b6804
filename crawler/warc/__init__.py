"""WARC files in and out of newsdesk's pipelines: ``reader`` (archived responses by file and
offset, for `newsdesk reextract`'s replay and the import), ``importer`` (`newsdesk import-warc`:
the writer process, in batches) and ``worker`` (what each import worker process runs). Writing
WARC is the archive extension's (crawler/extensions/archive.py)."""
