"""Scrapy settings for newsdesk. Every component is switched on or reordered here.

Values the operator changes per run come from the command line (-s NAME=VALUE), the
environment (NEWSDESK_DATABASE_URL) or sites.toml (per-site politeness).
"""
import os

BOT_NAME = "newsdesk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk)"
ROBOTSTXT_OBEY = True

# Politeness: AutoThrottle adapts the delay to the server's latency.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0

# Hostile pages: bounded bodies, time and redirects; retries for 5xx and timeouts. What is given up
# on is counted as newsdesk/skipped/<reason> or newsdesk/errors/<reason>
# (crawler/downloadermiddlewares/failures.py, redirects.py).
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 3 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Each retry waits (crawler/downloadermiddlewares/backoff.py): BACKOFF seconds, doubled per
# retry, or the server's Retry-After when longer; at most MAX_DELAY (0: retry at once).
NEWSDESK_RETRY_BACKOFF = 1.0
NEWSDESK_RETRY_MAX_DELAY = 60.0

# URL variants are one request (deduplication level 1, before scheduling).
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.CanonicalRequestFingerprinter"
NEWSDESK_TRACKING_PARAMS = []  # extra query parameters to treat as tracking

# Near duplicates (deduplication level 3): MinHash over body shingles, LSH buckets in the
# database. A copy is stored with duplicate_of_id/duplicate_similarity, never dropped.
# PERMUTATIONS, BANDS and SHINGLE_SIZE must be the same for every process writing to one
# database (signatures made otherwise never match the stored ones).
NEWSDESK_NEARDUP_ENABLED = True
NEWSDESK_NEARDUP_INDEX = "models.neardup.DatabaseNearDuplicateIndex"
NEWSDESK_NEARDUP_THRESHOLD = 0.5  # resemblance of body shingles, tuned on bench/dedup.py (models/neardup.py)
NEWSDESK_NEARDUP_PERMUTATIONS = 128
NEWSDESK_NEARDUP_BANDS = 42  # LSH bands of PERMUTATIONS // BANDS = 3 values each: catches Jaccard >= ~0.3
NEWSDESK_NEARDUP_SHINGLE_SIZE = 4  # words per shingle (characters for Chinese/Japanese)
NEWSDESK_NEARDUP_MIN_SHINGLES = 10  # shorter bodies are never called copies
NEWSDESK_NEARDUP_MAX_CANDIDATES = 25  # per lookup, most shared buckets first

ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.clean.CleanPipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.archive.ArchiveRecordsPipeline": 350,  # where the archive put the item's pages (file, offset)
    "pipelines.store.StorePipeline": 400,
    "pipelines.fetchstate.FetchStatePipeline": 450,  # a page's validators, once its article is stored
}

# Safety (crawler/downloadermiddlewares/safety.py): loopback and private addresses are refused
# unless this is on (the demo sites and the tests, on 127.0.0.1, turn it on; so may an intranet
# crawl); link-local (cloud metadata), multicast and reserved addresses are refused always.
NEWSDESK_ALLOW_PRIVATE_ADDRESSES = os.environ.get("NEWSDESK_ALLOW_PRIVATE_ADDRESSES", "").lower() in ("1", "true", "yes")
NEWSDESK_ALLOWED_PORTS = []  # ports allowed on any host besides 80/443 and those the site's URLs name

# Incremental re-crawls (crawler/downloadermiddlewares/conditional.py, crawler/spidermiddlewares/
# recrawl.py): known article pages are asked with
# If-None-Match/If-Modified-Since and a 304 ends there; articles published within the site's
# revisit_days are fetched in full (their comment threads may have changed off-page).
# Listings, feeds and sitemaps are always fetched in full.
NEWSDESK_INCREMENTAL = True  # False: every page fetched and extracted in full
NEWSDESK_REFETCH_AFTER_HOURS = 0.0  # > 0: known articles checked less than this ago are not requested at all
NEWSDESK_SEEN_URL_DAYS = 30.0  # per-URL state older than this is ignored, and deleted when not seen for as long
NEWSDESK_KNOWN_URL_PRIORITY_DROP = 20  # known article URLs queue behind new ones by this much
DOWNLOADER_MIDDLEWARES = {
    # Before OffsiteMiddleware (50), on every request and every redirect hop: http(s) only, the
    # site's own ports, no loopback/private/link-local addresses (crawler/downloadermiddlewares/safety.py).
    "crawler.downloadermiddlewares.safety.SafeTargetsMiddleware": 40,
    # Below RetryMiddleware (550): sees a known URL's final answer, after retries.
    "crawler.downloadermiddlewares.conditional.ConditionalRequestsMiddleware": 540,
    # Named reasons for pages given up on: the final answer after retries (failures.py), and
    # redirect loops / too many redirects before RedirectMiddleware (600) drops them unnamed (redirects.py).
    "crawler.downloadermiddlewares.failures.FailureReasonsMiddleware": 530,
    "crawler.downloadermiddlewares.redirects.RedirectGuardMiddleware": 610,
    # Just before RetryMiddleware (550) sees a retryable answer: wait (backoff, Retry-After) first.
    "crawler.downloadermiddlewares.backoff.RetryBackoffMiddleware": 560,
    # Between the download and HttpCompressionMiddleware (590): a gzip bomb or a cut-off gzip
    # body gets its named reason (too_large / data_loss) before Scrapy inflates it.
    "crawler.downloadermiddlewares.compression.CompressionGuardMiddleware": 595,
    # `newsdesk reextract`: archived responses instead of the network (NEWSDESK_REPLAY), next to the downloader.
    "crawler.downloadermiddlewares.replay.ArchiveReplayMiddleware": 950,
}
NEWSDESK_REPLAY = False
# Off-site filtering is a downloader middleware since Scrapy 2.14 (OffsiteMiddleware, 50 in
# DOWNLOADER_MIDDLEWARES_BASE), so these spider middlewares see every link a page yields,
# foreign ones included: the trap guard counts only new links on the site's own host, and the
# re-crawl order only reorders (a foreign request is dropped later, before its download).
SPIDER_MIDDLEWARES = {
    "crawler.spidermiddlewares.recrawl.RecrawlOrderMiddleware": 450,
    "crawler.spidermiddlewares.traps.CrawlerTrapMiddleware": 470,  # sees every link a page yields, before re-crawl ordering
}
# Crawler traps (crawler/spidermiddlewares/traps.py): pages of one URL template (digit runs ignored, e.g. /calendar/#/#/)
# that yield no new article link this many times in a row are not followed further
# (newsdesk/skipped/crawler_trap). 0 turns the guard off.
NEWSDESK_TRAP_LIMIT = 20

# One crawl per site at a time, across processes and hosts (crawler/extensions/crawllock.py): a lock
# row in the database, renewed by a heartbeat, taken over once it expires (a killed crawl).
NEWSDESK_LOCK_ENABLED = True
NEWSDESK_LOCK_TTL = 120.0  # seconds a lock outlives its last heartbeat
NEWSDESK_LOCK_HEARTBEAT = 20.0  # seconds between renewals (at most a third of the TTL)
NEWSDESK_LOCK_WAIT = 0.0  # seconds to wait for a held lock; 0 = skip the crawl at once
# The crawl's crawl_runs row (crawler/extensions/runs.py).
NEWSDESK_RUN_ORIGIN = "scrapy"  # recorded in crawl_runs.origin; newsdesk crawl/schedule/cron set their own
NEWSDESK_RUN_ID = 0  # a crawl_runs row opened by the scheduler for this crawl (0 = open one)

# newsdesk schedule (crawler/scheduler.py)
NEWSDESK_SCHEDULE_MISFIRE_GRACE = 3600  # seconds a missed run may start late (runs missed together run once)
NEWSDESK_SCHEDULE_STOP_TIMEOUT = 120.0  # seconds running crawls get to stop cleanly on SIGTERM/SIGINT
NEWSDESK_SCHEDULE_MAX_PARALLEL = 4  # crawls (of different sites) running at once

EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,  # no control port on a crawler
    "scrapy.extensions.logstats.LogStats": None,  # replaced by the progress line below
    "crawler.extensions.progress.Progress": 500,
    "crawler.extensions.logfilter.QuietNetworkErrorsExtension": 0,
    # Before the lock: the run's row is open (and its id known) when the lock is taken.
    "crawler.extensions.runs.CrawlRunExtension": 50,
    "crawler.extensions.crawllock.CrawlLockExtension": 100,
    # Built before every component that needs the database: one line when it cannot be reached.
    "crawler.extensions.database.DatabaseCheckExtension": 10,
    "crawler.extensions.archive.WarcArchive": 200,
    # Before the run's row is closed (CrawlRunExtension closes it last): a run failing a monitor is "degraded".
    "crawler.extensions.health.HealthExtension": 210,
}
# WARC archive (crawler/extensions/archive.py): with a directory here (or `archive = true` for a
# site in sites.toml), every response of these kinds is kept as WARC records, for
# `newsdesk reextract` and any WARC tool. Files: DIR/SITE-YYYYMMDDHHMMSS-PID-NNNNN.warc.gz.
NEWSDESK_ARCHIVE_DIR = os.environ.get("NEWSDESK_ARCHIVE_DIR", "")
NEWSDESK_ARCHIVE_DEFAULT_DIR = "archive"  # where `archive = true` sites write without NEWSDESK_ARCHIVE_DIR
NEWSDESK_ARCHIVE_KINDS = ["start", "page", "article", "comments"]  # meta["kind"]s (crawler/contracts.py Kind)
NEWSDESK_ARCHIVE_MAX_BYTES = 1_000_000_000  # a new file after this many (compressed) bytes
NEWSDESK_ARCHIVE_ENABLED = True  # False: never archive (`newsdesk reextract` replays from the archive)
# `newsdesk import-warc` (crawler/warc/importer.py): the pipelines each worker runs, then the store the writer
# runs (its save() shares a transaction with the import's progress).
NEWSDESK_IMPORT_PIPELINES = ["pipelines.validate.ValidatePipeline", "pipelines.clean.CleanPipeline",
                             "pipelines.dedup.DedupPipeline"]
NEWSDESK_IMPORT_STORE = "pipelines.store.StorePipeline"
# The writer stores results in batches, one transaction each with the file's progress (a crash
# loses at most the open batch, never repeats one); workers take records this many at a time.
NEWSDESK_IMPORT_BATCH_ARTICLES = 100
NEWSDESK_IMPORT_BATCH_SECONDS = 1.0
NEWSDESK_IMPORT_CHUNK = 4
NEWSDESK_VERSION_ON_ANY_FIELD = False  # True (reextract): a change of any extracted field is a new version

# Pages are read (parsed, their links and article and comments extracted) in this many worker
# processes while the crawl's own process does the network, scheduling and storage
# (crawler/spiders/pool.py); 0 = the machine's cores, 1 = all in the crawl's process.
NEWSDESK_WORKERS = 0

NEWSDESK_PROGRESS_INTERVAL = 5.0  # seconds between progress lines
NEWSDESK_PROGRESS = "auto"  # "live": redrawn in place; "log": plain log lines; "auto": live on a terminal

# Site health (crawler/extensions/health.py, crawler/monitors/): per-run figures in run_health,
# Spidermon suites run at the end of each crawl against the site's recent runs, a stall check
# during it. Thresholds are per site ([sites.NAME.health] in sites.toml; defaults in
# crawler/monitors/thresholds.py). Alerts: NEWSDESK_ALERT_WEBHOOK, NEWSDESK_ALERT_SMTP (environment).
NEWSDESK_HEALTH_ENABLED = True
NEWSDESK_HEALTH_SUITES = ["crawler.monitors.suites.RunHealthSuite"]  # more Spidermon MonitorSuites may be added

# Where items are stored: --db / NEWSDESK_DATABASE_URL / ./newsdesk.db. NEWSDESK_STORE=0 disables
# storage; a `scrapy crawl ... -O items.jsonl` that names no database stores nothing unless
# -s NEWSDESK_STORE=1 (crawler/addons/exportonly.py).
NEWSDESK_DATABASE_URL = os.environ.get("NEWSDESK_DATABASE_URL", "newsdesk.db")
NEWSDESK_STORE = True
# A write that fails because the database went away (restart, failover, a busy SQLite file) is
# tried again: this many times, after NEWSDESK_STORE_BACKOFF seconds doubled each time (at most
# 30 s a wait; 8 tries wait ~1 min in all). The article and its thread stay one transaction.
NEWSDESK_STORE_RETRIES = 8
NEWSDESK_STORE_BACKOFF = 0.5
NEWSDESK_MAX_COMMENT_PAGES = 200  # per article: a guard against endless comment pagination
NEWSDESK_COMMENT_PAGE_CONCURRENCY = 4  # pages of one thread fetched at once (when the page links them all)
# Unbounded work from one input, cut at a limit and counted (newsdesk/skipped/<reason>):
NEWSDESK_MAX_LINKS_PER_PAGE = 1000  # links followed from one page or feed, article links first (links_over_limit)
NEWSDESK_SITEMAP_MAX_DEPTH = 3  # sitemap indexes within indexes (sitemap_too_deep)
NEWSDESK_MAX_SITEMAPS = 1000  # sitemaps fetched per crawl (sitemap_limit)
NEWSDESK_SITEMAP_MAX_URLS = 50000  # entries read from one sitemap, the protocol's own maximum (sitemap_urls_over_limit)
NEWSDESK_MIN_BODY_WORDS = 20  # shorter "articles" are dropped with a reason

# Distributed mode (crawler/addons/distributed.py): with a Redis URL, every worker crawling the same
# site shares scrapy-redis's request queue and duplicate filter under PREFIX:SITE:*; storage is
# shared through the database (use PostgreSQL). Empty: one process crawls alone.
NEWSDESK_REDIS_URL = os.environ.get("NEWSDESK_REDIS_URL", "")
NEWSDESK_REDIS_PREFIX = os.environ.get("NEWSDESK_REDIS_PREFIX") or "newsdesk"
NEWSDESK_REDIS_WORKER_TIMEOUT = 60.0  # seconds without a heartbeat before a worker counts as dead
NEWSDESK_REDIS_POLL_INTERVAL = 0.5  # seconds between an idle worker's looks at the shared queue
ADDONS = {"crawler.addons.distributed.DistributedCrawl": 0,
          "crawler.addons.exportonly.ExportOnlyAddon": 0}  # -O items.jsonl without a named database: no ./newsdesk.db

LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.extensions.logfilter.QuietLogFormatter"  # a dropped item: one line with its URL and reason
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Comment providers fetched as a page's embed fetches them (crawler/extract/comments/disqus.py).
# Tests and the demo site point these at 127.0.0.1 (sites.toml [sites.NAME.settings]).
NEWSDESK_DISQUS_EMBED_URL = "https://disqus.com/embed/comments/"
NEWSDESK_DISQUS_API_URL = "https://disqus.com/api/3.0/"
NEWSDESK_DISQUS_API_KEY = ""  # the public key the Disqus embed sends as api_key, when the API asks for one
