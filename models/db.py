"""One engine and one session factory per process, made from the database URL in one place."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB = "newsdesk.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SCHEMA_LOCK_KEY = 0x6E657773  # "news": the PostgreSQL advisory lock held while migrating


class DatabaseConfigError(ValueError):
    """The --db value / NEWSDESK_DATABASE_URL cannot be used."""


class DatabaseUnavailable(DatabaseConfigError):
    """The database cannot be reached (server down, no such database, wrong password)."""


def shown_url(url: str) -> str:
    """The URL as messages show it: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_connection(url: str) -> None:
    """Connect once, or raise DatabaseUnavailable / DatabaseConfigError with one line saying why
    (a crawl asks before it starts, rather than fail in every component that writes)."""
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError

    try:
        with get_engine(url).connect():
            pass
    except NoSuchModuleError as exc:
        raise DatabaseConfigError(f"unknown database driver in {shown_url(url)}: {exc}; use a SQLite path "
                                  "or a postgresql+psycopg:// URL") from None
    except (DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        reason = reason.replace("connection failed: ", "")
        raise DatabaseUnavailable(f"cannot connect to the database {shown_url(url)}: {reason}") from None


TRANSIENT_HINTS = ("server closed the connection", "connection refused", "terminating connection",
                   "could not connect", "connection failed", "database is locked", "consuming input failed",
                   "the database system is", "connection is closed", "ssl syscall")


def is_transient(exc: BaseException) -> bool:
    """A database error worth retrying: a dropped or refused connection (the server restarting),
    a busy SQLite file. Integrity errors and bad SQL are not."""
    from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, DBAPIError) and any(hint in text for hint in TRANSIENT_HINTS)


def resolve_url(db: str | None = None) -> str:
    """--db (path or SQLAlchemy URL), else NEWSDESK_DATABASE_URL, else ./newsdesk.db."""
    value = db or os.environ.get("NEWSDESK_DATABASE_URL") or DEFAULT_DB
    if "://" not in value:
        path = Path(value).expanduser().resolve()
        if path.is_dir():
            raise DatabaseConfigError(f"--db {value!r} is a directory, not a database file")
        if not path.parent.exists():
            raise DatabaseConfigError(f"--db {value!r}: directory {path.parent} does not exist")
        return f"sqlite:///{path}"
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"not a database URL: {value!r}") from exc
    if url.drivername in ("postgresql", "postgres"):
        # A plain postgresql:// URL (as psql, Heroku and most docs write it) would ask
        # SQLAlchemy for psycopg2; newsdesk's PostgreSQL driver is psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
        _check_driver(url)
        return url.render_as_string(hide_password=False)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseConfigError(
            f"unsupported database {url.get_backend_name()!r} in {url.render_as_string(hide_password=True)}; "
            "use a SQLite path or a postgresql+psycopg:// URL")
    _check_driver(url)
    return value


@lru_cache(maxsize=16)
def _check_driver(url) -> None:
    """The URL's driver must exist and be installed: say which, instead of a traceback at connect."""
    shown = url.render_as_string(hide_password=True)
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseConfigError(f"no database driver {url.drivername!r} in {shown}; "
                                  "use postgresql+psycopg:// (or a SQLite path)") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        hint = ("pip install 'newsdesk[postgres]'" if url.drivername == "postgresql+psycopg"
                else "install it, or use postgresql+psycopg:// (pip install 'newsdesk[postgres]')")
        raise DatabaseConfigError(f"the driver of {url.drivername} is not installed "
                                  f"({exc.name or exc}): {hint}") from None


def display_url(url: str) -> str:
    """The database URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets analysts read while a crawl writes; the busy timeout makes concurrent
    # writers (several crawl processes, the scheduler) wait instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    url = resolve_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # pool_pre_ping replaces connections the server dropped (restart, idle timeout).
        # connect_timeout: an unreachable host fails in seconds, not after the OS's minutes.
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_recycle=1800,
                               connect_args={"connect_timeout": 10})
    return engine


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def alembic_config(url: str):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", resolve_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (the only way the schema is created)."""
    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Workers of a distributed crawl start together on one empty database: without
            # this lock each would create the tables and all but one fail. The waiting ones
            # then find the schema at head (Alembic re-reads alembic_version) and do nothing.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def ensure_schema(url: str) -> None:
    """Upgrade unless already at head (cheap check first: crawls start often)."""
    if current_revision(url) != head_revision():
        upgrade(url)


def sqlite_file_missing(url: str) -> bool:
    """A SQLite URL whose file does not exist (connecting would create it, empty)."""
    u = make_url(resolve_url(url))
    return (u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:")
            and not u.database.startswith("file:") and not Path(u.database).exists())


def has_schema(url: str) -> bool:
    if sqlite_file_missing(url):  # asking must not leave an empty database file behind
        return False
    return inspect(get_engine(url)).has_table("articles")
