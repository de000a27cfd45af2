"""Alembic environment: runs on the connection `Store.migrate()` hands over."""

from alembic import context

from engine.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("alembic: no sqlalchemy.url is set (`sayso migrate` needs none)")
    connection = create_engine(url).connect()

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
