"""Alembic environment: our models' metadata, on the engine the caller hands in."""

from alembic import context
from sqlmodel import SQLModel

import appletrace.trace.models  # noqa: F401 - registers every table
from appletrace.trace.db import make_engine
from appletrace.trace.settings import Settings

target_metadata = SQLModel.metadata


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is None:
        engine = make_engine(Settings.from_env().database_url)

    return engine


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
