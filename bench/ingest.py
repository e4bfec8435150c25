"""Ingest benchmark: draining a queued backlog of readings, side by side.

Queues READINGS readings at a Mosquitto started for the run, in the persistent
sessions of four consumers at once (a publisher checks every publish), then
lets each consumer drain its session in turn and measures readings/s, CPU µs
per reading and peak memory:

  (a) a bare paho subscriber that only counts (QoS 1, acks on receipt);
  (b) Node-RED (npm node-red 4, the last to run on Node.js 20, installed at
      run time under build/bench): an 'mqtt in' node and a function node
      batching rows into PostgreSQL through node-postgres (QoS 1, acks on
      receipt, no dedup, no summaries), with MQTT 3.1.1 (its default) and 5.
      Its broker node sends no Receive Maximum, so Mosquitto keeps 20 messages
      in flight to it; the bare subscriber and the ingester ask for 2,000;
  (c) 'appletrace ingest' into SQLite and into PostgreSQL (QoS 1, ack after
      commit, dedup, daily summaries).

Each figure is the median of ROUNDS rounds; the consumers' order rotates per
round. Then: peak RSS of 'appletrace ingest' over MEMORY_READINGS readings, and
the time to read a lot's provenance with PROVENANCE_READINGS readings behind
it, beside computing the same from the raw readings.

Run: .venv/bin/python bench/ingest.py [--help]
Needs: mosquitto, PostgreSQL on 127.0.0.1 (trust), node and npm.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from appletrace.sensors.publisher import Publisher

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "build" / "bench"
PG_ADMIN = os.environ.get(
    "APPLETRACE_BENCH_PG", "host=127.0.0.1 user=postgres dbname=test"
)
PG_HOST = "postgresql://postgres@127.0.0.1:5432"
DEVICES = [f"bench-{i:02d}" for i in range(1, 21)]
QUANTITY_CYCLE = ("temperature", "humidity", "pm25", "irradiance")
TOPIC = "orchard/+/readings"
RECEIVE_MAXIMUM = 2000  # what 'appletrace ingest' asks for with its default batch
TICK = os.sysconf("SC_CLK_TCK")
STARTED: list[subprocess.Popen[bytes]] = []
SESSIONS: list[str] = []


def spawn(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Start a process the run will stop at exit if it is still there."""
    process = subprocess.Popen(args, **kwargs)  # type: ignore[call-overload]
    STARTED.append(process)
    return process


def stop_all() -> None:
    for process in STARTED:
        if process.poll() is None:
            process.kill()
            process.wait()


@dataclass
class Drain:
    """One consumer draining one backlog."""

    readings: int
    seconds: float
    cpu_s: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.readings / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.readings * 1e6


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

    return float("nan")


def start_mosquitto(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "max_queued_messages 0\n"
        "max_queued_bytes 0\n"
        "persistence false\n"
        f"user {getpass.getuser()}\n"
    )
    log = open(folder / "mosquitto.log", "wb")  # noqa: SIM115
    broker = spawn(["mosquitto", "-c", str(config)], stdout=log, stderr=log)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return broker, f"mqtt://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)

    raise RuntimeError("mosquitto did not start")


def make_session(url: str, client_id: str) -> None:
    """Create a persistent session subscribed to the readings, then leave."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 86_400
    port = int(url.rsplit(":", 1)[1])
    client.connect("127.0.0.1", port, clean_start=False, properties=properties)
    result, mid = client.subscribe(TOPIC, options=SubscribeOptions(qos=1))
    done = {"ok": False}
    client.on_subscribe = lambda *a: done.update(ok=True)
    deadline = time.monotonic() + 10
    while not done["ok"] and time.monotonic() < deadline:
        client.loop(0.05)

    client.disconnect()
    client.loop(0.05)


def drop_session(url: str, client_id: str) -> None:
    """End a client id's session so it queues nothing more."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    port = int(url.rsplit(":", 1)[1])
    client.connect("127.0.0.1", port, clean_start=True)
    for _ in range(10):
        client.loop(0.02)

    client.disconnect()
    client.loop(0.05)


# ---------------------------------------------------------------- databases


def create_pg_database() -> str:
    name = f"appletrace_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_database(url: str) -> int:
    """Migrate and register one orchard with the bench devices; its id."""
    from sqlmodel import Session

    from appletrace.trace import migrate
    from appletrace.trace.db import make_engine
    from appletrace.trace.devices import add_device
    from appletrace.trace.orchards import add_orchard
    from appletrace.trace.organizations import add_organization

    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        coop = add_organization(session, "基准合作社", "coop")
        orchard = add_orchard(
            session,
            coop,
            "bench",
            code="BENCH-01",
            name="基准果园",
            county_code="530602",
            latitude=27.38,
            longitude=103.58,
            altitude_m=1935.0,
        )
        for device_id in DEVICES:
            add_device(session, device_id, orchard)

        session.commit()
        orchard_id = orchard.id

    engine.dispose()
    assert orchard_id is not None
    return orchard_id


def empty_readings(url: str) -> None:
    from sqlalchemy import text

    from appletrace.trace.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        for table in ("reading", "daily_summary", "rejected_message"):
            connection.execute(text(f"DELETE FROM {table}"))

    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM")

    engine.dispose()


# ---------------------------------------------------------------- messages


def messages(
    count: int, per_message: int, offset_s: int
) -> Iterator[tuple[str, bytes]]:
    """``count`` readings, ``per_message`` to a message, at distinct times."""
    start = 1_748_736_000 + offset_s  # 2025-06-01, so every round is in the past
    quantities = QUANTITY_CYCLE[:per_message]
    for index in range(count // per_message):
        device = DEVICES[index % len(DEVICES)]
        moment = start + (index // len(DEVICES)) * 60
        body: dict[str, float] = {"time": moment}
        for position, quantity in enumerate(quantities):
            body[quantity] = float((index + position) % 40)

        yield f"orchard/{device}/readings", orjson.dumps(body)


def publish_backlog(url: str, count: int, per_message: int, offset_s: int) -> float:
    began = time.monotonic()
    # MQTT 3.1.1: Mosquitto grants an MQTT 5 publisher a Receive Maximum of 20.
    with Publisher(
        url, client_id="bench-publisher", backlog=2000, protocol=mqtt.MQTTv311
    ) as publisher:
        for topic, payload in messages(count, per_message, offset_s):
            publisher.publish(topic, payload)

    return time.monotonic() - began


# ---------------------------------------------------------------- consumers


def log_has(path: Path, text: str) -> Callable[[], bool]:
    return lambda: path.exists() and text in path.read_text(errors="replace")


def measure(
    process: subprocess.Popen[bytes],
    connected: Callable[[], bool],
    committed: Callable[[], int],
    target: int,
    timeout: float = 900.0,
) -> Drain:
    """From the consumer's connection to the broker until ``target`` readings are
    committed: wall time, CPU of the process, and its peak RSS."""
    deadline = time.monotonic() + timeout
    while not connected():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"consumer did not connect (rc={process.returncode})")

        time.sleep(0.002)

    t0, cpu0 = time.monotonic(), cpu_seconds(process.pid)
    found = committed()
    while found < target:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"consumer stalled at {found} of {target}")

        time.sleep(0.01)
        found = committed()

    t1, cpu1 = time.monotonic(), cpu_seconds(process.pid)
    return Drain(target, t1 - t0, cpu1 - cpu0, peak_rss_mb(process.pid))


class Bare:
    """(a) paho subscriber that only counts messages; acks on receipt."""

    name = "bare paho subscriber"
    client_id = "bench-bare"

    def __init__(self, url: str, per_message: int) -> None:
        self.url = url
        self.per_message = per_message

    def drain(self, readings: int) -> Drain:
        expected = readings // self.per_message
        process = spawn(
            [sys.executable, __file__, "--bare-subscriber", self.url, str(expected)],
            stdout=subprocess.PIPE,
        )
        out, _ = process.communicate(timeout=900)
        t0, cpu0, t1, cpu1, peak = map(float, out.decode().split())
        return Drain(readings, t1 - t0, cpu1 - cpu0, peak)


def bare_subscriber(url: str, expected: int) -> None:
    """The (a) process: count messages; print connect and last-message marks."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=Bare.client_id, protocol=mqtt.MQTTv5
    )
    marks: list[float] = []
    count = [0]

    def on_connect(*args: object) -> None:
        marks.extend((time.monotonic(), time.process_time()))

    def on_message(client: mqtt.Client, userdata: object, message: object) -> None:
        count[0] += 1
        if count[0] == expected:
            marks.extend((time.monotonic(), time.process_time()))
            client.disconnect()

    client.on_connect = on_connect
    client.on_message = on_message
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 86_400
    # The same window the ingester asks for: without it Mosquitto allows 20.
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    port = int(url.rsplit(":", 1)[1])
    client.connect("127.0.0.1", port, clean_start=False, properties=properties)
    client.loop_forever()
    print(*marks, peak_rss_mb(os.getpid()))


class Ours:
    """(c) 'appletrace ingest' as a user runs it."""

    def __init__(self, url: str, database_url: str, label: str, workdir: Path) -> None:
        self.url = url
        self.database_url = database_url
        self.name = f"appletrace ingest, {label}"
        self.client_id = f"bench-ours-{label.lower()}"
        self.workdir = workdir

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "APPLETRACE_DATABASE_URL": self.database_url,
            "APPLETRACE_MQTT_URL": self.url,
            "APPLETRACE_INSTANCE_PATH": str(self.workdir / "instance"),
            "APPLETRACE_SECRET_KEY": "bench",
            "APPLETRACE_LOG_LEVEL": "INFO",
        }

    def stored(self) -> Callable[[], int]:
        sql = (
            "SELECT coalesce(sum(temperature_count + humidity_count + pm25_count"
            " + irradiance_count + altitude_count), 0) FROM daily_summary"
        )
        if self.database_url.startswith("sqlite"):
            import sqlite3

            connection = sqlite3.connect(self.database_url.split("///", 1)[1])
            return lambda: int(connection.execute(sql).fetchone()[0])

        pg = psycopg.connect(self.database_url.replace("+psycopg", ""), autocommit=True)
        return lambda: int(pg.execute(sql).fetchone()[0])  # type: ignore[index]

    def drain(self, readings: int) -> Drain:
        empty_readings(self.database_url)
        script = str(Path(sys.executable).with_name("appletrace"))
        log = self.workdir / f"{self.client_id}.log"
        log.unlink(missing_ok=True)
        with open(log, "wb") as out:
            process = spawn(
                [script, "ingest", "--client-id", self.client_id],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        try:
            return measure(
                process, log_has(log, "connected to"), self.stored(), readings
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


class NodeRed:
    """(b) Node-RED with an mqtt-in node and a batching function node to PG."""

    client_id = "bench-nodered"

    def __init__(
        self, url: str, pg_database: str, workdir: Path, protocol: str
    ) -> None:
        self.url = url
        self.pg_url = f"{PG_HOST}/{pg_database}"
        self.workdir = workdir
        self.protocol = protocol
        self.name = f"Node-RED, MQTT {'5' if protocol == '5' else '3.1.1'}"
        self.client_id = f"bench-nodered-{protocol}"
        self.install = BENCH / "node-red"
        self.user_dir = workdir / f"node-red-{protocol}"

    def setup(self) -> None:
        if not (self.install / "node_modules" / "node-red").exists():
            self.install.mkdir(parents=True, exist_ok=True)
            print("installing node-red and pg with npm ...", flush=True)
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "node-red@4",
                    "pg@8",
                ],
                cwd=self.install,
                check=True,
            )

        with psycopg.connect(self.pg_url, autocommit=True) as pg:
            pg.execute(
                "CREATE TABLE IF NOT EXISTS nodered_reading (device_id text, "
                "quantity text, taken_at timestamptz, value float8, "
                "received_at timestamptz DEFAULT now())"
            )

        self.user_dir.mkdir(parents=True, exist_ok=True)
        (self.user_dir / "settings.js").write_text(NODE_RED_SETTINGS)

    def flows(self, expected_rows: int) -> None:
        port = self.url.rsplit(":", 1)[1]
        flows = json.loads(NODE_RED_FLOWS)
        flows[1].update(
            port=port, clientid=self.client_id, protocolVersion=self.protocol
        )
        flows[3]["func"] = NODE_RED_FUNCTION.replace("EXPECTED", str(expected_rows))
        (self.user_dir / "flows.json").write_text(json.dumps(flows))

    def drain(self, readings: int) -> Drain:
        with psycopg.connect(self.pg_url, autocommit=True) as pg:
            pg.execute("TRUNCATE nodered_reading")

        self.flows(readings)
        log = self.user_dir / "node-red.log"
        env = {
            **os.environ,
            "BENCH_PG_URL": self.pg_url,
            "NODE_PATH": str(self.install / "node_modules"),
        }
        script = self.install / "node_modules" / "node-red" / "red.js"
        with open(log, "wb") as out:
            process = spawn(
                [
                    "node",
                    str(script),
                    "--userDir",
                    str(self.user_dir),
                    "--port",
                    str(free_port()),
                    "flows.json",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def committed() -> int:
            text = log.read_text(errors="replace")
            marks = [line for line in text.splitlines() if "bench-rows" in line]
            return int(marks[-1].rsplit(" ", 1)[1]) if marks else 0

        try:
            return measure(
                process, log_has(log, "Connected to broker"), committed, readings
            )
        except RuntimeError:
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


NODE_RED_SETTINGS = """
module.exports = {
    flowFile: 'flows.json',
    httpAdminRoot: false,
    httpNodeRoot: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    functionGlobalContext: {
        pgPool: new (require('pg').Pool)({
            connectionString: process.env.BENCH_PG_URL, max: 4,
        }),
    },
};
"""

# A user's batching function: rows into an array, one multi-row INSERT per 1,000
# rows or after 200 ms; it logs its committed total so the bench can see it.
NODE_RED_FUNCTION = """
const pool = global.get('pgPool');
let state = context.get('state');
if (!state) {
    state = { rows: [], committed: 0, timer: null, flush: null };
    state.flush = function () {
        if (state.timer) { clearTimeout(state.timer); state.timer = null; }
        const rows = state.rows;
        if (rows.length === 0) { return; }
        state.rows = [];
        const values = [];
        const params = [];
        rows.forEach((r, i) => {
            const b = i * 4;
            values.push(`($${b + 1}, $${b + 2}, to_timestamp($${b + 3}), $${b + 4})`);
            params.push(r[0], r[1], r[2], r[3]);
        });
        const sql = 'INSERT INTO nodered_reading (device_id, quantity, taken_at, '
            + 'value) VALUES ' + values.join(',');
        pool.query(sql, params)
            .then(() => {
                state.committed += rows.length;
                const step = state.committed % 20000 < rows.length;
                if (state.committed >= EXPECTED || step) {
                    node.warn('bench-rows ' + state.committed);
                }
            })
            .catch((err) => node.error(err));
    };
    context.set('state', state);
}
const device = msg.topic.split('/')[1];
const p = msg.payload;
for (const key of Object.keys(p)) {
    if (key !== 'time') { state.rows.push([device, key, p.time, p[key]]); }
}
if (state.rows.length >= 1000) { state.flush(); }
else if (!state.timer) { state.timer = setTimeout(state.flush, 200); }
return null;
"""

NODE_RED_FLOWS = json.dumps(
    [
        {"id": "tab1", "type": "tab", "label": "bench"},
        {
            "id": "broker1", "type": "mqtt-broker", "name": "bench",
            "broker": "127.0.0.1", "port": "1883", "clientid": "",
            "autoConnect": True, "usetls": False, "protocolVersion": "5",
            "keepalive": "60", "cleansession": False, "sessionExpiry": "86400",
            "autoUnsubscribe": False,
        },
        {
            "id": "in1", "type": "mqtt in", "z": "tab1", "name": "",
            "topic": TOPIC, "qos": "1", "datatype": "json", "broker": "broker1",
            "nl": False, "rap": True, "rh": 0, "inputs": 0, "x": 100, "y": 100,
            "wires": [["fn1"]],
        },
        {
            "id": "fn1", "type": "function", "z": "tab1", "name": "batch to pg",
            "func": "", "outputs": 1, "timeout": 0, "noerr": 0, "initialize": "",
            "finalize": "", "libs": [], "x": 300, "y": 100, "wires": [[]],
        },
    ]
)  # fmt: skip


# ---------------------------------------------------------------- phases


def ingest_rounds(args: argparse.Namespace, url: str, consumers: list) -> dict:
    results: dict[str, list[Drain]] = {c.name: [] for c in consumers}
    for round_ in range(args.rounds):
        seconds = publish_backlog(
            url, args.readings, args.per_message, round_ * 20 * 86_400
        )
        print(
            f"round {round_ + 1}: queued {args.readings} readings in {seconds:.1f} s",
            flush=True,
        )
        order = (
            consumers[round_ % len(consumers) :] + consumers[: round_ % len(consumers)]
        )
        for consumer in order:
            drain = consumer.drain(args.readings)
            results[consumer.name].append(drain)
            print(
                f"  {consumer.name:40s} {drain.rate:10,.0f} readings/s "
                f"{drain.cpu_us:6.1f} CPU-us/reading {drain.peak_rss_mb:6.0f} MB",
                flush=True,
            )

    return results


def _short_name(name: str) -> str:
    """'bare', 'NR 3.1.1', 'NR 5' for the ratio columns."""
    if name.startswith("bare"):
        return "bare"

    return "NR " + name.rsplit(" ", 1)[1]


def report_rounds(args: argparse.Namespace, results: dict[str, list[Drain]]) -> None:
    rates = {n: statistics.median(d.rate for d in ds) for n, ds in results.items()}
    anchors = [n for n in results if n.startswith(("bare", "Node-RED"))]
    print()
    print(
        f"Draining {args.readings:,} queued readings ({args.per_message} per "
        f"message) at QoS 1, from the consumer's connection to its last commit; "
        f"medians of {args.rounds} rounds"
    )
    header = f"{'consumer':34s} {'readings/s':>11s} {'CPU µs/rdg':>11s} {'peak MB':>8s}"
    print(header + "".join(f" {'× ' + _short_name(n):>12s}" for n in anchors))
    for name, drains in results.items():
        cpu = statistics.median(d.cpu_us for d in drains)
        peak = statistics.median(d.peak_rss_mb for d in drains)
        ratios = "".join(f" {rates[name] / rates[a]:12.2f}" for a in anchors)
        print(f"{name:34s} {rates[name]:11,.0f} {cpu:11.1f} {peak:8.0f}{ratios}")

    print("ratio columns: this row's readings/s over the named consumer's")


def memory_phase(args: argparse.Namespace, url: str, ours: list[Ours]) -> None:
    print()
    print(f"Peak RSS of 'appletrace ingest' over {args.memory_readings:,} readings")
    for consumer in ours:
        for other in SESSIONS:
            drop_session(url, other)

        make_session(url, consumer.client_id)
        publish_backlog(url, args.memory_readings, args.per_message, 100 * 86_400)
        drain = consumer.drain(args.memory_readings)
        verdict = "under" if drain.peak_rss_mb < 50 else "NOT under"
        print(
            f"  {consumer.name:40s} peak RSS {drain.peak_rss_mb:5.1f} MB "
            f"({verdict} 50 MB), {drain.rate:,.0f} readings/s"
        )


def provenance_phase(args: argparse.Namespace, databases: dict[str, str]) -> None:
    from appletrace.trace.db import make_engine

    print()
    print(
        f"Reading a lot's provenance with {args.provenance_readings:,} readings "
        "behind it (median of 50 reads; raw-readings baseline median of 3)"
    )
    for label, url in databases.items():
        empty_readings(url)
        orchard_id = fill_readings(url, args.provenance_readings)
        engine = make_engine(url)
        ours = time_provenance(engine, orchard_id)
        raw = time_raw_baseline(engine)
        print(
            f"  {label:12s} from daily summaries {ours * 1000:8.2f} ms   "
            f"from raw readings {raw * 1000:10.1f} ms   ratio {raw / ours:8.0f}×"
        )
        engine.dispose()


def fill_readings(url: str, count: int) -> int:
    """Store ``count`` readings over a 184-day window through the ingester's store."""
    from appletrace.sensors.store import Store
    from appletrace.trace.summaries import sqlite_timestamp  # noqa: F401

    store = Store(url, "Asia/Shanghai")
    devices = store.devices()
    orchard_id = devices[DEVICES[0]].orchard_id
    start_us = 1_745_078_400 * 1_000_000  # 2025-04-20 00:00 +08:00 is 16:00Z before
    per_slot = len(DEVICES) * len(QUANTITY_CYCLE)
    slots = count // per_slot
    step_us = 184 * 86_400 * 1_000_000 // slots
    batch: list = []
    began = time.monotonic()
    for slot in range(slots):
        taken = start_us + slot * step_us
        for device in DEVICES:
            for position, quantity in enumerate(QUANTITY_CYCLE):
                value = float((slot + position) % 40)
                batch.append((device, quantity, taken, value, "x", taken, orchard_id))

        if len(batch) >= 20_000:
            store.write(batch, [])
            batch = []

    store.write(batch, [])
    store.close()
    print(
        f"    stored {slots * per_slot:,} readings in {time.monotonic() - began:.0f} s",
        flush=True,
    )
    return orchard_id


def time_provenance(engine, orchard_id: int) -> float:
    from sqlmodel import Session, select

    from appletrace.trace.models import Lot, Organization
    from appletrace.trace.provenance import lot_provenance

    with Session(engine) as session:
        organization = session.exec(select(Organization)).first()
        assert organization is not None
        lot = session.exec(select(Lot).where(Lot.code == "BENCH-LOT")).first()
        if lot is None:
            from datetime import date

            lot = Lot(
                organization_id=organization.id,
                code="BENCH-LOT",
                orchard_id=orchard_id,
                variety="富士",
                window_start=date(2025, 4, 20),
                harvested_on=date(2025, 10, 20),
            )
            session.add(lot)
            session.commit()

        times = []
        for _ in range(50):
            began = time.perf_counter()
            found = lot_provenance(session, lot)
            times.append(time.perf_counter() - began)

    assert found.days_covered == 184, found.days_covered
    return statistics.median(times)


def time_raw_baseline(engine) -> float:
    """The same season numbers computed from raw readings with one SQL query."""
    from sqlalchemy import text

    local = (
        "datetime(taken_at, '+8 hours')"
        if engine.dialect.name == "sqlite"
        else "(taken_at AT TIME ZONE 'Asia/Shanghai')"
    )
    day = f"date({local})" if engine.dialect.name == "sqlite" else f"{local}::date"
    sql = text(
        f"SELECT {day} AS d, quantity, min(value), max(value), avg(value), count(*) "
        "FROM reading WHERE taken_at BETWEEN :a AND :b GROUP BY d, quantity"
    )
    bounds = {"a": "2025-04-19 16:00:00", "b": "2025-10-20 16:00:00"}
    times = []
    for _ in range(3):
        began = time.perf_counter()
        with engine.connect() as connection:
            rows = connection.execute(sql, bounds).all()

        times.append(time.perf_counter() - began)

    assert len(rows) >= 184 * 4
    return statistics.median(times)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-message", type=int, default=1, choices=(1, 2, 3, 4))
    parser.add_argument("--memory-readings", type=int, default=1_000_000)
    parser.add_argument("--provenance-readings", type=int, default=10_000_000)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("node-red", "memory", "provenance", "rounds"),
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="appletrace-bench-"))
    broker, url = start_mosquitto(workdir)
    pg_name = create_pg_database()
    databases = {
        "SQLite": f"sqlite:///{workdir / 'bench.db'}",
        "PostgreSQL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}",
    }
    try:
        for database_url in databases.values():
            prepare_database(database_url)

        run(args, url, databases, pg_name, workdir)
    finally:
        stop_all()
        drop_pg_database(pg_name)
        shutil.rmtree(workdir, ignore_errors=True)


def run(
    args: argparse.Namespace,
    url: str,
    databases: dict[str, str],
    pg_name: str,
    workdir: Path,
) -> None:
    ours = [
        Ours(url, database_url, label, workdir)
        for label, database_url in databases.items()
    ]
    consumers: list = [Bare(url, args.per_message)]
    if "node-red" not in args.skip:
        for protocol in ("4", "5"):
            node_red = NodeRed(url, pg_name, workdir, protocol)
            node_red.setup()
            consumers.append(node_red)

    consumers += ours
    SESSIONS.extend(c.client_id for c in consumers)
    if "rounds" not in args.skip:
        for consumer in consumers:
            make_session(url, consumer.client_id)

        report_rounds(args, ingest_rounds(args, url, consumers))

    if "memory" not in args.skip:
        memory_phase(args, url, ours)

    if "provenance" not in args.skip:
        provenance_phase(args, databases)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare-subscriber":
        bare_subscriber(sys.argv[2], int(sys.argv[3]))
    else:
        main()
