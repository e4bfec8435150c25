from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from appletrace.trace import migrate
from appletrace.trace.db import make_engine


def test_empty_database_upgrades_to_head_without_drift(db_url: str) -> None:
    # db_url is migrated by the fixture; check it reached head with every table.
    engine = make_engine(db_url)

    assert migrate.current(engine) is not None
    assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    migrate.check(engine)
    engine.dispose()


def test_upgrade_is_repeatable(engine: Engine) -> None:
    head = migrate.current(engine)

    migrate.upgrade(engine)

    assert migrate.current(engine) == head


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

    engine.dispose()
