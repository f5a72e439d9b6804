"""Alembic environment: runs on the connection newsdesk hands it, or on sqlalchemy.url."""
from alembic import context
from sqlalchemy import engine_from_config, pool

import models.tables  # noqa: F401  (every table, registered on Base.metadata)
from models.base import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Leave out of autogenerate what migration 0002 made beside the models: the FTS5 tables
    and their shadow tables (SQLite), the search_vector columns and their GIN indexes (PostgreSQL),
    and the scheduler's job store that migration 0004 made in APScheduler's layout."""
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    if type_ == "table" and name == "apscheduler_jobs":  # APScheduler's own layout (migration 0004)
        return False
    if type_ == "column" and name == "search_vector":
        return False
    if type_ == "index" and name and name.endswith("_search_vector"):
        return False
    return True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          render_as_batch=conn.dialect.name == "sqlite", include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
