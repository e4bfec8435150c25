"""A real Mosquitto per test on a free port (tests/mosquitto.py), a registered
orchard, the ingester."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from factories import make_coop, make_orchard
from mosquitto import Broker
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from appletrace.sensors.ingest import Ingester, IngestOptions
from appletrace.sensors.publisher import Publisher
from appletrace.trace.devices import add_device
from appletrace.trace.settings import Settings
from appletrace.trace.summaries import SUMMARIZED


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh Mosquitto without persistence."""
    folder = tmp_path / "broker"
    folder.mkdir()
    running = Broker(folder, persistence=False)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def persistent_broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh Mosquitto that keeps sessions across a restart."""
    folder = tmp_path / "broker"
    folder.mkdir()
    running = Broker(folder, persistence=True)
    running.start()
    yield running
    running.stop()


DEVICES = ("dev-01", "dev-02", "dev-03")


@dataclass
class Registry:
    """The test's orchard and its devices."""

    orchard_id: int
    devices: tuple[str, ...]


@pytest.fixture
def registry(engine: Engine) -> Registry:
    """One co-op, one orchard at 1,935 m, three active devices."""
    with Session(engine) as session:
        coop = make_coop(session)
        orchard = make_orchard(session, coop)
        for device_id in DEVICES:
            add_device(session, device_id, orchard)

        session.commit()
        assert orchard.id is not None
        return Registry(orchard.id, DEVICES)


def ingest_settings(db_url: str, broker: Broker, tmp_path: Path) -> Settings:
    """Settings pointing the ingester at the test's database and broker."""
    return Settings.from_env(
        {
            "APPLETRACE_DATABASE_URL": db_url,
            "APPLETRACE_MQTT_URL": broker.url,
            "APPLETRACE_INSTANCE_PATH": str(tmp_path / "instance"),
            "APPLETRACE_SECRET_KEY": "test",
        }
    )


class Running:
    """An ingester running in a thread of the test process."""

    def __init__(self, ingester: Ingester) -> None:
        self.ingester = ingester
        self.thread = threading.Thread(target=ingester.run, daemon=True)
        self.thread.start()
        if not ingester.subscribed.wait(10):
            raise RuntimeError("the ingester did not subscribe in 10 s")

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self.ingester.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the ingester did not stop"


@pytest.fixture
def start_ingester(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start in-process ingesters on a broker; all are stopped after the test."""
    started: list[Running] = []

    def start(broker: Broker, **options: object) -> Running:
        defaults: dict[str, object] = {"lock_timeout_s": 0.5, "max_backoff_s": 1.0}
        settings = ingest_settings(db_url, broker, tmp_path)
        running = Running(Ingester(settings, IngestOptions(**{**defaults, **options})))
        started.append(running)
        return running

    yield start
    for running in started:
        if running.thread.is_alive():
            running.stop()


class Tally:
    """What the test's database holds now, and waiting for it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def counts(self) -> tuple[int, int]:
        """(readings, rejected messages) stored now."""
        with self.engine.connect() as connection:
            readings = connection.execute(text("SELECT count(*) FROM reading"))
            rejected = connection.execute(text("SELECT count(*) FROM rejected_message"))
            return int(readings.scalar() or 0), int(rejected.scalar() or 0)

    def wait_for(
        self, readings: int, rejected: int, timeout: float = 30.0
    ) -> tuple[int, int]:
        """Poll until the counts reach the expected ones, or overshoot, or time out."""
        deadline = time.monotonic() + timeout
        found = self.counts()
        while found != (readings, rejected) and time.monotonic() < deadline:
            if found[0] > readings or found[1] > rejected:
                break

            time.sleep(0.05)
            found = self.counts()

        return found

    def summary_totals(self) -> dict[str, int]:
        """Sum of each quantity's count over every daily summary."""
        sums = ", ".join(f"coalesce(sum({c}_count), 0)" for c in SUMMARIZED)
        with self.engine.connect() as connection:
            row = connection.execute(text(f"SELECT {sums} FROM daily_summary")).one()

        return dict(zip(SUMMARIZED, (int(v) for v in row), strict=True))

    def reading_totals(self) -> dict[str, int]:
        """Stored readings per summarized quantity."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT quantity, count(*) FROM reading GROUP BY quantity")
            ).all()

        found = {quantity: int(n) for quantity, n in rows}
        return {quantity: found.get(quantity, 0) for quantity in SUMMARIZED}


@pytest.fixture
def tally(engine: Engine) -> Tally:
    """Counts in the test's database."""
    return Tally(engine)


@contextmanager
def _write_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        else:
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("LOCK TABLE reading IN SHARE MODE")

        try:
            yield
        finally:
            connection.exec_driver_sql("ROLLBACK")


@pytest.fixture
def write_lock(engine: Engine) -> Callable[[], AbstractContextManager[None]]:
    """A context in which the database refuses the ingester's writes."""
    return lambda: _write_lock(engine)


@pytest.fixture
def publish() -> Callable[[str, Iterable[tuple[str, bytes]]], int]:
    """Publish (topic, payload) pairs at QoS 1, each checked; return how many."""

    def run(url: str, messages: Iterable[tuple[str, bytes]]) -> int:
        sent = 0
        with Publisher(url) as publisher:
            for topic, payload in messages:
                publisher.publish(topic, payload)
                sent += 1

        return sent

    return run
