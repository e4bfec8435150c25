"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and the CLI.

Every test that asks for ``db_url`` (or ``engine``) runs twice, once per backend.
SQLite gets a fresh file per test, copied from one migrated template. PostgreSQL
gets one fresh database per test worker on the running server, migrated once and
emptied between tests.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from appletrace.trace import migrate
from appletrace.trace.db import make_engine

PG_ADMIN = os.environ.get(
    "APPLETRACE_TEST_PG", "host=127.0.0.1 user=postgres dbname=test"
)
PG_HOST = os.environ.get(
    "APPLETRACE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(PG_ADMIN, autocommit=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    engine.dispose()

    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this worker's own, migrated to head."""
    name = f"appletrace_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    url = f"{PG_HOST}/{name}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()

    yield url

    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    # DELETE is ten times faster than TRUNCATE on tables this small, and restarting
    # the sequences keeps ids as predictable as on a fresh SQLite file.
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())

        sequences = connection.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ).scalars()
        for sequence in list(sequences):
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))

    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "appletrace.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    url = request.getfixturevalue("pg_database")
    _empty_postgres(url)

    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app_env(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """APPLETRACE_* variables pointing at the test's database and a temp instance."""
    env = {
        "APPLETRACE_DATABASE_URL": db_url,
        "APPLETRACE_INSTANCE_PATH": str(tmp_path / "instance"),
        "APPLETRACE_SECRET_KEY": "test-secret-key",
        "APPLETRACE_BASE_URL": "https://trace.example.cn",
    }
    for name in list(os.environ):
        if name.startswith("APPLETRACE_"):
            monkeypatch.delenv(name)

    for name, value in env.items():
        monkeypatch.setenv(name, value)

    return env


@dataclass
class Result:
    """What one CLI run gave: exit code, stdout and stderr."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(app_env: dict[str, str], capsys: pytest.CaptureFixture[str]):
    """Run ``appletrace ARGS…`` in this process against the test's database."""
    from appletrace.web.cli import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0

        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def python() -> str:
    """The interpreter running the tests (the project's virtual environment)."""
    return sys.executable
