"""Backups: SQLite's online backup API, or pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from appletrace.trace.errors import AppletraceError, InvalidInput


class BackupError(AppletraceError):
    """A backup or restore tool failed; the message carries its own words."""


def backup(database_url: str, out: Path) -> Path:
    """Write a consistent copy of the database to ``out`` while it stays in use."""
    out = out.absolute()
    if out.exists():
        raise InvalidInput("out", f"{out} exists already; choose a new file name")

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_path(url.database), partial)
    else:
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "-f",
                str(partial),
                _libpq_url(database_url),
            ]
        )

    # Rename last, so a failed backup never leaves a file that looks complete.
    partial.replace(out)

    return out


def restore(database_url: str, source: Path, force: bool = False) -> None:
    """Replace the database's contents with a backup made by ``backup``."""
    if not source.is_file():
        raise InvalidInput("source", f"{source} is not a file; give a backup's path")

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(source, _sqlite_path(url.database), force)
        return

    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "-d",
            _libpq_url(database_url),
            str(source),
        ]
    )


def _sqlite_path(database: str | None) -> Path:
    if not database or database == ":memory:":
        raise InvalidInput("database", "an in-memory SQLite database has no backup")

    return Path(database)


def _sqlite_backup(path: Path, out: Path) -> None:
    if not path.exists():
        raise InvalidInput("database", f"no database at {path}; run 'db upgrade'")

    source = sqlite3.connect(path)
    target = sqlite3.connect(out)
    try:
        source.backup(target)
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()

    if ok != "ok":
        out.unlink(missing_ok=True)
        raise BackupError(f"the copy of {path} failed its integrity check: {ok}")


def _sqlite_restore(source: Path, path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise InvalidInput(
            "database",
            f"{path} exists; stop the services and pass --force to overwrite it",
        )

    check = sqlite3.connect(source)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        message = f"{source} is not a SQLite backup: {error}"
        raise InvalidInput("source", message) from None
    finally:
        check.close()

    if ok != "ok":
        raise InvalidInput("source", f"{source} fails its integrity check: {ok}")

    # The backup API copies page by page under SQLite's own locks, so processes
    # that keep the file open see the restored contents, unlike a file swap.
    path.parent.mkdir(parents=True, exist_ok=True)
    backup_copy = sqlite3.connect(source)
    target = sqlite3.connect(path, timeout=30)
    try:
        backup_copy.backup(target)
    finally:
        target.close()
        backup_copy.close()


def _libpq_url(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client tools "
            "(Debian: postgresql-client) in the server's major version"
        )

    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{command[0]} failed: {last}")
