"""A stock WordPress news site on 127.0.0.1, from Debian's packages, for end-to-end tests.

    with WordPressSite(tmp_dir) as wp:     # installs the packages when missing (apt-get, as root)
        wp.url                             # http://127.0.0.1:PORT/
        wp.truth()                         # what WordPress's database says: posts, times, authors, comments

Everything the site needs is its own: a MariaDB database and user (dropped afterwards), a
Debian WordPress config file (/etc/wordpress/config-NAME.php, picked through Apache's
``SetEnv WORDPRESS_CONFIG``, removed afterwards) and an Apache instance with a config of its
own on a free port, started and stopped here (the machine's default Apache is never touched).
MariaDB is used where it runs on 127.0.0.1:3306 and started (and stopped) here when it does not.

The content is deterministic (a seeded generator): posts over nine years in five categories,
with tags and four authors, static pages, a draft, a private and a password-protected post,
an attachment page, threaded comments over several comment pages, spam and pending comments.
It is put in through WordPress's own API (tests/sites/wordpress.php: wp_install,
wp_insert_post, wp_insert_comment) with the block theme twentytwentythree.

``python tests/sites/wordpress.py`` serves it until Ctrl-C, to look at it in a browser.
"""
from __future__ import annotations

import glob
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
WP_ROOT = Path("/usr/share/wordpress")
WP_CONTENT = Path("/var/lib/wordpress/wp-content")
PACKAGES = ("apache2", "libapache2-mod-php", "php-mysql", "php-xml", "mariadb-server", "wordpress",
            "wordpress-theme-twentytwentythree")
MODULES = Path("/usr/lib/apache2/modules")
TIMEZONE = "America/New_York"  # a zone with daylight saving: offsets -05:00 and -04:00 both occur


class WordPressUnavailable(RuntimeError):
    """The packages cannot be installed or a service cannot be started (the message says which)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise WordPressUnavailable(f"{what} did not come up within {seconds:.0f} s")


def ensure_packages() -> None:
    php_module = glob.glob(str(MODULES / "libphp*.so"))
    if (WP_ROOT / "wp-load.php").exists() and shutil.which("apache2") and php_module and shutil.which("mariadb") \
            and (WP_ROOT / "wp-content/themes/twentytwentythree").exists() and shutil.which("php") \
            and glob.glob("/etc/php/*/mods-available/simplexml.ini") \
            and glob.glob("/etc/php/*/mods-available/mysqli.ini"):  # php-xml (core sitemaps), php-mysql
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise WordPressUnavailable("WordPress packages missing and apt-get cannot install them (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES], env=env,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES], env=env,
                              capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise WordPressUnavailable(f"apt-get install failed: {done.stderr.strip()[-500:]}")


# --- the content ------------------------------------------------------------------------

AUTHORS = [
    {"login": "mvdberg", "name": "Maria van der Berg", "first": "Maria", "last": "van der Berg"},
    {"login": "jalrashid", "name": "Jamal Al-Rashid", "first": "Jamal", "last": "Al-Rashid"},
    {"login": "sdelacruz", "name": "Sofía de la Cruz", "first": "Sofía", "last": "de la Cruz"},
    {"login": "tbaker", "name": "Tom Baker", "first": "Tom", "last": "Baker"},
]
CATEGORIES = ["Politics", "Business", "Science", "Culture", "Sport"]
TAGS = ["harbour", "elections", "budget", "climate", "transport", "schools", "housing", "football",
        "museums", "energy", "health", "courts"]
SUBJECTS = ["The city council", "The harbour authority", "A group of residents", "The regional court",
            "The university", "The transport agency", "The football club", "The museum board",
            "Local farmers", "The hospital trust", "The energy company", "Teachers at the north school"]
VERBS = ["approved", "questioned", "delayed", "announced", "rejected", "welcomed", "reviewed", "funded",
         "criticised", "defended", "postponed", "published"]
OBJECTS = ["a plan to rebuild the old ferry terminal", "the budget for the coming year",
           "new rules for short-term rentals", "a study of air quality near the ring road",
           "the proposal to extend the tram line", "a report on waiting times in emergency care",
           "the sale of the former textile mill", "a bid to host the regional games",
           "changes to the school catchment areas", "the cost of repairing the sea wall",
           "a pilot scheme for night buses", "the restoration of the cathedral organ"]
CLAUSES = ["after a debate that lasted well into the evening", "despite objections from several members",
           "following months of consultation with neighbours", "in a vote that surprised many observers",
           "according to documents seen by this newspaper", "while critics warned about the long-term cost",
           "as officials promised a decision before the summer", "although the details remain unclear"]
QUOTES = ["We have listened carefully and we think this is the right balance",
          "Nobody asked the people who actually live here",
          "The numbers simply do not add up, and everyone knows it",
          "It is a first step, not the end of the story",
          "We expect the work to start within a few months",
          "This has been a long time coming for the whole neighbourhood"]
SPEAKERS = ["a spokesperson said", "the chair of the committee said", "one resident told reporters",
            "an opposition member said", "the director said in a statement"]
COMMENTERS = [("Anna K.", "anna"), ("Bruno", "bruno"), ("Chidi Okafor", "chidi"), ("Dana Weiss", "dana"),
              ("Elif Yılmaz", "elif"), ("Farid", "farid"), ("Greta L.", "greta"), ("Hiroshi Sato", "hiroshi"),
              ("Ines Moreau", "ines"), ("Jonas", "jonas")]
REMARKS = ["I live two streets away and nobody told us anything about this.",
           "Finally some good news for the neighbourhood.",
           "Does anyone know when the public meeting is?",
           "The article leaves out who is paying for all of this.",
           "My children go to that school, and the change worries me.",
           "This was promised ten years ago as well.",
           "Thanks for the detailed reporting, it is rare these days.",
           "I disagree: the old plan was better and cheaper.",
           "Good point, I had not thought of that.",
           "Source? The council minutes say something else."]


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(CLAUSES)}."


def _paragraph(rng: random.Random, sentences: int) -> str:
    parts = [_sentence(rng) for _ in range(sentences)]
    if rng.random() < 0.4:
        parts.append(f"\u201c{rng.choice(QUOTES)},\u201d {rng.choice(SPEAKERS)}.")
    return " ".join(parts)


def _blocks(paragraphs: list[str], heading_every: int = 0) -> str:
    out = []
    for i, p in enumerate(paragraphs):
        if heading_every and i and i % heading_every == 0:
            out.append(f"<!-- wp:heading -->\n<h2>{p.split()[1].capitalize()} and what comes next</h2>\n"
                       "<!-- /wp:heading -->")
        out.append(f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->")
    return "\n\n".join(out)


def build_spec(host: str, seed: int = 2016) -> dict:
    """The whole site as data: the same seed gives the same site, ids and times included."""
    rng = random.Random(seed)
    posts = []
    start = datetime(2016, 1, 4, 6, 0)
    used_slugs = set()
    for n in range(48):
        date = start + timedelta(days=n * 68 + rng.randrange(0, 30), minutes=rng.randrange(0, 16 * 60))
        date = date.replace(second=rng.randrange(60))
        subject, obj = rng.choice(SUBJECTS), rng.choice(OBJECTS)
        title = f"{subject} {rng.choice(VERBS)} {obj}"
        slug = "-".join(title.lower().replace(",", "").split()[:8])
        while slug in used_slugs:
            slug += "-2"
        used_slugs.add(slug)
        short = n in (5, 23, 41)  # brief items: one short paragraph, still articles
        paragraphs = [_paragraph(rng, 2)] if short else [_paragraph(rng, rng.randrange(2, 5))
                                                         for _ in range(rng.randrange(4, 9))]
        post = {
            "type": "post", "status": "publish", "title": title, "slug": slug,
            "content": _blocks(paragraphs, heading_every=0 if short else 4),
            "author": AUTHORS[n % len(AUTHORS)]["login"], "date": date.strftime("%Y-%m-%d %H:%M:%S"),
            "categories": [CATEGORIES[n % len(CATEGORIES)]] + ([CATEGORIES[(n + 2) % 5]] if n % 7 == 0 else []),
            "tags": rng.sample(TAGS, rng.randrange(1, 4)),
        }
        if n % 3 == 0:
            modified = date + timedelta(days=rng.randrange(0, 20), hours=rng.randrange(1, 20),
                                        minutes=rng.randrange(60))
            post["modified"] = modified.replace(second=rng.randrange(60)).strftime("%Y-%m-%d %H:%M:%S")
        if n % 8 == 2:
            post["comments"] = _comments(rng, date, threads=rng.randrange(7, 12))
        if n == 30:
            post["attachment"] = {"title": "The harbour at dawn", "slug": "harbour-at-dawn",
                                  "caption": "The old ferry terminal seen from the sea wall at dawn."}
        if n == 44:
            d = datetime.strptime(posts[10]["date"], "%Y-%m-%d %H:%M:%S")
            post["links"] = [
                {"kind": "year", "y": 2018, "text": "Everything from 2018"},
                {"kind": "month", "y": d.year, "m": d.month, "text": "That month"},
                {"kind": "day", "y": d.year, "m": d.month, "d": d.day, "text": "That day"},
                {"kind": "author", "login": "sdelacruz", "text": "More by Sofía de la Cruz"},
                {"kind": "search", "q": "ferry terminal", "text": "Everything on the ferry terminal"},
                {"kind": "home_page", "text": "Older stories"},
            ]
        posts.append(post)
    last = datetime.strptime(posts[-1]["date"], "%Y-%m-%d %H:%M:%S")
    hidden = [
        {"type": "post", "status": "draft", "title": "Draft: the mayor resigns", "slug": "the-mayor-resigns",
         "content": _blocks(["DRAFTSECRET the mayor is said to be considering her resignation. "
                             + _paragraph(rng, 3)] * 3),
         "author": "tbaker", "date": None, "categories": ["Politics"], "tags": ["elections"]},
        {"type": "post", "status": "publish", "password": "letmein",
         "title": "Members only: the leaked budget", "slug": "members-only-the-leaked-budget",
         "content": _blocks(["PROTECTEDSECRET the leaked budget shows a deficit. " + _paragraph(rng, 3)] * 3),
         "author": "mvdberg", "date": (last - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"),
         "categories": ["Business"], "tags": ["budget"]},
        {"type": "post", "status": "private", "title": "Private: staff notes", "slug": "staff-notes",
         "content": _blocks(["PRIVATESECRET notes for the newsroom only. " + _paragraph(rng, 3)] * 3),
         "author": "jalrashid", "date": (last - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S"),
         "categories": ["Culture"], "tags": ["museums"]},
    ]
    pages = [
        {"type": "page", "status": "publish", "title": "About us", "slug": "about",
         "content": _blocks([_paragraph(rng, 4) for _ in range(4)]), "author": "tbaker",
         "date": "2015-12-01 09:00:00"},
        {"type": "page", "status": "publish", "title": "Contact", "slug": "contact",
         "content": _blocks(["Write to the newsroom at 1 Harbour Street. Tips are welcome."]), "author": "tbaker",
         "date": "2015-12-01 09:05:00"},
        {"type": "page", "status": "publish", "title": "Sections and archives", "slug": "archives",
         "content": "<!-- wp:archives {\"showPostCounts\":true} /-->\n\n<!-- wp:categories {\"showPostCounts\":true} /-->"
                    "\n\n<!-- wp:tag-cloud /-->\n\n<!-- wp:latest-posts {\"postsToShow\":8,\"displayPostDate\":true} /-->",
         "author": "tbaker", "date": "2015-12-01 09:10:00"},
    ]
    return {
        "host": host, "title": "The Harbour Herald", "theme": "twentytwentythree",
        "options": {
            "blogdescription": "News from the harbour town", "timezone_string": TIMEZONE, "gmt_offset": "",
            "permalink_structure": "/%year%/%monthnum%/%day%/%postname%/", "posts_per_page": 5,
            "blog_public": 1, "page_comments": 1, "comments_per_page": 5, "thread_comments": 1,
            "thread_comments_depth": 5, "default_comments_page": "newest", "comment_order": "asc",
            "comment_moderation": 0, "comment_previously_approved": 0, "default_pingback_flag": 0,
            "date_format": "F j, Y", "time_format": "g:i a", "show_on_front": "posts",
        },
        "authors": AUTHORS, "categories": CATEGORIES, "posts": posts + hidden + pages,
    }


def _comments(rng: random.Random, post_date: datetime, threads: int) -> list[dict]:
    """Threads up to four deep; some spam and pending ones (never with replies shown)."""
    out: list[dict] = []
    when = post_date + timedelta(minutes=rng.randrange(20, 300))

    def add(parent, depth, status="1"):
        nonlocal when
        when += timedelta(minutes=rng.randrange(3, 400), seconds=rng.randrange(60))
        name, handle = rng.choice(COMMENTERS)
        key = f"c{len(out)}"
        text = rng.choice(REMARKS) + " " + _sentence(rng)
        if status == "spam":
            name, handle, text = "Cheap Pills", "pills", "SPAMSECRET buy cheap pills at our shop today."
        elif status == "0":
            text = "PENDINGSECRET " + text
        out.append({"key": key, "parent": parent, "author": name, "email": f"{handle}@example.invalid",
                    "url": f"https://{handle}.example.invalid/" if rng.random() < 0.3 else "",
                    "text": text, "date": when.strftime("%Y-%m-%d %H:%M:%S"), "status": status})
        if status == "1" and depth < 4:
            for _ in range(rng.choice((0, 0, 1, 1, 2)) if depth < 3 else rng.choice((0, 1))):
                add(key, depth + 1)
        return key

    for i in range(threads):
        add(None, 1)
        if i % 4 == 1:
            add(None, 1, status="spam")
        if i % 5 == 2:
            add(out[-1]["key"] if out[-1]["status"] == "1" else None, 2, status="0")
    return out


# --- the services -----------------------------------------------------------------------

@dataclass
class WordPressSite:
    workdir: Path | None = None   # default: a fresh directory under /tmp, removed by stop()
    port: int = 0
    name: str = field(default="")
    url: str = field(default="", init=False)
    created: dict = field(default_factory=dict, init=False)

    def __post_init__(self):
        # Apache's children (www-data) must reach it: not under pytest's root-only tmp dirs.
        self._own_workdir = self.workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="newsdesk-wp-")) if self.workdir is None else Path(self.workdir)
        self.workdir.chmod(0o755)
        self.port = self.port or _free_port()
        self.name = self.name or f"newsdesk-wp-{os.getpid()}-{self.port}"
        self.db = self.name.replace("-", "_")
        self.config_file = Path(f"/etc/wordpress/config-{self.name}.php")
        self.url = f"http://127.0.0.1:{self.port}/"
        self._apache: subprocess.Popen | None = None
        self._mariadb: subprocess.Popen | None = None

    # MariaDB through its own client as root (Debian's root logs in over the socket or with
    # an empty password on 127.0.0.1); nothing here needs a Python driver.
    def sql(self, statement: str, database: str | None = None) -> list[list[str]]:
        args = ["mariadb", "-u", "root", "--batch", "--skip-column-names", "--default-character-set=utf8mb4"]
        if not Path("/run/mysqld/mysqld.sock").exists():
            args += ["-h", "127.0.0.1"]
        done = subprocess.run([*args, *([database] if database else []), "-e", statement],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise WordPressUnavailable(f"MariaDB: {done.stderr.strip()}")
        return [line.split("\t") for line in done.stdout.splitlines()]

    def _ensure_mariadb(self) -> None:
        if _port_open(3306):
            return
        Path("/run/mysqld").mkdir(exist_ok=True)
        shutil.chown("/run/mysqld", "mysql", "mysql")
        self._mariadb = subprocess.Popen(["mariadbd", "--user=mysql", "--bind-address=127.0.0.1"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: _port_open(3306), 60, "MariaDB")

    def _php(self, mode: str, spec_file: Path) -> dict:
        env = {**os.environ, "WORDPRESS_CONFIG": self.name}
        done = subprocess.run(["php", str(HERE / "wordpress.php"), mode, str(spec_file)], env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise WordPressUnavailable(f"php {mode} failed: {done.stdout[-800:]} {done.stderr[-800:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _apache_config(self) -> Path:
        php = sorted(glob.glob(str(MODULES / "libphp*.so")))[-1]
        modules = ["mpm_prefork", "authz_core", "dir", "mime", "rewrite", "alias", "env"]
        lines = [f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules] + [
            f"LoadModule php_module {php}",
            f'ServerRoot "{self.workdir}"', "ServerName 127.0.0.1", f"Listen 127.0.0.1:{self.port}",
            f"PidFile {self.workdir}/apache.pid", f"ErrorLog {self.workdir}/apache-error.log",
            'LogFormat "%h %t \\"%r\\" %>s %b" short', f"CustomLog {self.workdir}/apache-access.log short",
            f"DefaultRuntimeDir {self.workdir}", f"Mutex file:{self.workdir} default",
            "User www-data", "Group www-data",
            "StartServers 2", "MinSpareServers 1", "MaxSpareServers 4", "MaxRequestWorkers 8",
            "TypesConfig /etc/mime.types", "AddDefaultCharset UTF-8",
            f"DocumentRoot {WP_ROOT}", "DirectoryIndex index.php index.html",
            f"SetEnv WORDPRESS_CONFIG {self.name}",
            f"Alias /wp-content {WP_CONTENT}",
            '<FilesMatch ".+\\.php$">', "  SetHandler application/x-httpd-php", "</FilesMatch>",
            "<Directory />", "  AllowOverride None", "  Require all denied", "</Directory>",
            f"<Directory {WP_ROOT}>", "  Options FollowSymLinks", "  AllowOverride None", "  Require all granted",
            # WordPress's own .htaccess rules, here since AllowOverride is off
            "  RewriteEngine On", "  RewriteBase /", "  RewriteRule ^index\\.php$ - [L]",
            "  RewriteCond %{REQUEST_FILENAME} !-f", "  RewriteCond %{REQUEST_FILENAME} !-d",
            "  RewriteRule . /index.php [L]", "</Directory>",
            f"<Directory {WP_CONTENT}>", "  Options FollowSymLinks", "  Require all granted", "</Directory>",
            "<Directory /usr/share/javascript>", "  Require all granted", "</Directory>",
        ]
        path = self.workdir / "apache.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> WordPressSite:
        ensure_packages()
        self._ensure_mariadb()
        password = f"pw{self.port}"
        self.sql(f"DROP DATABASE IF EXISTS `{self.db}`; CREATE DATABASE `{self.db}` CHARACTER SET utf8mb4; "
                 f"CREATE OR REPLACE USER '{self.db}'@'127.0.0.1' IDENTIFIED BY '{password}'; "
                 f"CREATE OR REPLACE USER '{self.db}'@'localhost' IDENTIFIED BY '{password}'; "
                 f"GRANT ALL ON `{self.db}`.* TO '{self.db}'@'127.0.0.1'; "
                 f"GRANT ALL ON `{self.db}`.* TO '{self.db}'@'localhost';")
        host = f"127.0.0.1:{self.port}"
        self.config_file.write_text(
            "<?php\n"
            f"define('DB_NAME', '{self.db}');\ndefine('DB_USER', '{self.db}');\n"
            f"define('DB_PASSWORD', '{password}');\ndefine('DB_HOST', '127.0.0.1');\n"
            "define('DB_CHARSET', 'utf8mb4');\n"
            f"define('WP_HOME', 'http://{host}');\ndefine('WP_SITEURL', 'http://{host}');\n"
            f"define('WP_CONTENT_DIR', '{WP_CONTENT}');\n"
            "define('DISABLE_WP_CRON', true);\ndefine('AUTOMATIC_UPDATER_DISABLED', true);\n"
            "define('WP_HTTP_BLOCK_EXTERNAL', true);\n"  # no calls home from a test server
            "$table_prefix = 'wp_';\n")
        spec_file = self.workdir / "spec.json"
        spec_file.write_text(json.dumps(build_spec(host), ensure_ascii=False))
        self._php("install", spec_file)
        self.created = self._php("populate", spec_file)
        # A session of its own: prefork's shutdown signals its whole process group (it would
        # take the test run with it).
        self._apache = subprocess.Popen(["apache2", "-f", str(self._apache_config()), "-DFOREGROUND"],
                                        stdout=subprocess.DEVNULL, stderr=open(self.workdir / "apache-start.log", "w"),
                                        start_new_session=True)
        try:
            _wait(lambda: _port_open(self.port) or self._apache.poll() is not None, 30, "Apache")
            if self._apache.poll() is not None:
                raise WordPressUnavailable(f"Apache exited: {(self.workdir / 'apache-start.log').read_text()[-500:]}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._apache is not None and self._apache.poll() is None:
            self._apache.terminate()  # SIGTERM to the parent stops its children too (graceful-stop: SIGWINCH)
            try:
                self._apache.wait(30)
            except subprocess.TimeoutExpired:
                self._apache.kill()
        self._apache = None
        self.config_file.unlink(missing_ok=True)
        try:
            self.sql(f"DROP DATABASE IF EXISTS `{self.db}`; DROP USER IF EXISTS '{self.db}'@'127.0.0.1'; "
                     f"DROP USER IF EXISTS '{self.db}'@'localhost';")
        except WordPressUnavailable:
            pass
        if self._mariadb is not None:
            self._mariadb.terminate()
            self._mariadb.wait(60)
            self._mariadb = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> WordPressSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what WordPress itself says -----------------------------------------------------

    def truth(self) -> dict:
        """Posts, their UTC times, authors and comments, read from WordPress's tables."""
        posts = {}
        permalinks = {p["id"]: p["url"] for p in self.created["posts"]}
        for row in self.sql("SELECT p.ID, p.post_status, p.post_type, p.post_password, p.post_title, "
                            "p.post_date_gmt, p.post_modified_gmt, u.display_name FROM wp_posts p "
                            "JOIN wp_users u ON u.ID = p.post_author WHERE p.post_type IN ('post', 'page')",
                            self.db):
            pid, status, ptype, password, title, date_gmt, modified_gmt, author = row
            posts[int(pid)] = {
                "id": int(pid), "status": status, "type": ptype, "protected": bool(password), "title": title,
                "url": permalinks.get(int(pid)), "author": author,
                "published_at": _utc(date_gmt), "modified_at": _utc(modified_gmt),
            }
        comments = {}
        for row in self.sql("SELECT comment_ID, comment_post_ID, comment_parent, comment_approved, comment_author, "
                            "comment_date_gmt, comment_content FROM wp_comments", self.db):
            cid, pid, parent, approved, author, date_gmt, text = row
            comments[int(cid)] = {"id": int(cid), "post": int(pid), "parent": int(parent) or None,
                                  "approved": approved == "1", "author": author, "posted_at": _utc(date_gmt),
                                  "text": text}
        attachments = [a["url"] for a in self.created["attachments"]]
        return {"posts": posts, "comments": comments, "attachments": attachments}


def _utc(value: str) -> datetime | None:
    if not value or value.startswith("0000"):
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


# --- saved pages for the classification set ---------------------------------------------

SAVED_HOST = "harbour-herald.example"


def non_article_paths(truth: dict) -> dict[str, str]:
    """Every kind of page a WordPress site serves besides its posts: path -> kind."""
    post = next(p for p in truth["posts"].values() if p["type"] == "post" and p["status"] == "publish"
                and not p["protected"])
    y, m, d = post["url"].split("/")[3:6]
    protected = next(p for p in truth["posts"].values() if p["protected"])
    paths = {"/": "home", "/page/2/": "home (page 2)", "/page/9/": "home (last page)",
             "/category/politics/": "category", "/category/politics/page/2/": "category (page 2)",
             "/tag/budget/": "tag", "/tag/harbour/page/2/": "tag (page 2)", "/author/tbaker/": "author",
             "/author/sdelacruz/page/2/": "author (page 2)", f"/{y}/": "year archive", f"/{y}/{m}/": "month archive",
             f"/{y}/{m}/{d}/": "day archive", "/?s=ferry+terminal": "search results",
             "/?s=zeppelin": "search, no results", "/no-such-story/": "error 404",
             "/about/": "static page", "/contact/": "static page", "/archives/": "static page (archive blocks)",
             "/" + protected["url"].split("/", 3)[3]: "password-protected post"}
    for url in truth["attachments"]:
        paths["/" + url.split("/", 3)[3]] = "attachment page"
    return paths


def save_pages(site: WordPressSite, dest: Path, themes=("twentytwentythree", "twentytwentyone")) -> dict:
    """Fetch every non-article page under each theme into DEST/wordpress-THEME-*.html.gz; the labels."""
    import gzip
    import re
    import urllib.error
    import urllib.request

    labels = {}
    truth = site.truth()
    for theme in themes:
        if not (WP_ROOT / "wp-content/themes" / theme).exists():
            continue
        site.sql(f"UPDATE wp_options SET option_value = '{theme}' WHERE option_name IN ('template', 'stylesheet')",
                 site.db)
        for path, kind in non_article_paths(truth).items():
            try:
                body = urllib.request.urlopen(site.url.rstrip("/") + path, timeout=60).read()
            except urllib.error.HTTPError as exc:  # the 404 page is a page too
                body = exc.read()
            name = f"wordpress-{theme}-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home")
            body = body.replace(f"127.0.0.1:{site.port}".encode(), SAVED_HOST.encode())
            (dest / f"{name}.html.gz").write_bytes(gzip.compress(body, mtime=0))
            labels[f"{name}.html.gz"] = {"url": f"http://{SAVED_HOST}{path}", "kind": kind,
                                         "from": f"WordPress 6.1 (Debian), theme {theme}"}
    site.sql("UPDATE wp_options SET option_value = 'twentytwentythree' WHERE option_name IN ('template', 'stylesheet')",
             site.db)
    return labels


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="save its non-article pages into this folder (labels.json)")
    args = parser.parse_args()
    with WordPressSite() as site:
        if args.save:
            labels_file = args.save / "labels.json"
            labels = json.loads(labels_file.read_text()) if labels_file.exists() else {}
            labels.update(save_pages(site, args.save))
            labels_file.write_text(json.dumps(dict(sorted(labels.items())), indent=1, ensure_ascii=False) + "\n")
            print(f"saved {len(labels)} labelled pages in {args.save}", file=sys.stderr)
        else:
            print(f"serving {site.url} (Ctrl-C stops it)", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
