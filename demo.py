"""``appletrace demo``: a whole season on the embedded defaults, in under a minute.

A co-op and a packing house with three Zhaotong orchards at their real heights;
a device per orchard sends months of readings through an MQTT broker to the real
ingester; lots are registered and inspected; a label run is printed to a PDF; the
site is served and one apple's address and QR code are printed.

This module wires the four parts together, so it stands beside them rather than
inside one.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import click
from sqlmodel import select
from tqdm import tqdm

from appletrace.labels import render as label_render
from appletrace.labels.runs import make_job
from appletrace.sensors.embedded_broker import MQTT_VERSION, EmbeddedBroker
from appletrace.sensors.ingest import Ingester, IngestOptions, Stats
from appletrace.sensors.publisher import Publisher
from appletrace.sensors.simulate import SimMessage, generate
from appletrace.trace import devices as device_service
from appletrace.trace import label_runs, migrate
from appletrace.trace import lots as lot_service
from appletrace.trace import orchards as orchard_service
from appletrace.trace.accounts import add_member
from appletrace.trace.cli import CliContext, pass_context
from appletrace.trace.db import make_engine, session_scope
from appletrace.trace.inspections import add_inspection
from appletrace.trace.models import Organization
from appletrace.trace.organizations import add_organization
from appletrace.trace.settings import Settings

log = logging.getLogger(__name__)

ACTOR = "demo"
ADMIN = "demo-admin"
GTIN = "06901234567892"

# Real places and heights of Zhaotong apple country (coordinates approximate).
ORCHARDS = (
    dict(
        code="ZY-SAYU-01",
        name="洒渔镇乐居果园",
        county_code="530602",
        township="洒渔镇",
        village="乐居村",
        latitude=27.387,
        longitude=103.588,
        altitude_m=1935.0,
        variety="富士",
    ),
    dict(
        code="LD-LONGS-01",
        name="龙树镇高山果园",
        county_code="530621",
        township="龙树镇",
        village="",
        latitude=27.072,
        longitude=103.416,
        altitude_m=2050.0,
        variety="富士",
    ),
    dict(
        code="QJ-YAOS-01",
        name="药山镇果园",
        county_code="530622",
        township="药山镇",
        village="",
        latitude=27.033,
        longitude=103.018,
        altitude_m=2180.0,
        variety="红露",
    ),
)


@dataclass(frozen=True)
class Plan:
    """How big a season the demo plays: days of readings, sampling, labels."""

    days: int
    interval_s: int
    labels: int
    harvested_on: date

    @property
    def window_start(self) -> date:
        return self.harvested_on - timedelta(days=self.days - 1)


def harvest_date(today: date) -> date:
    """The latest 20 October that is over: Fuji harvest in Zhaotong."""
    this_year = date(today.year, 10, 20)
    return this_year if this_year < today else date(today.year - 1, 10, 20)


@click.command()
@click.option(
    "--days",
    type=click.IntRange(7, 366),
    default=183,
    show_default=True,
    help="Days of sensor readings before the harvest.",
)
@click.option("--fast", is_flag=True, help="A 30-day season: a quick look.")
@click.option(
    "--interval",
    type=click.IntRange(300, 86_400),
    default=3600,
    show_default=True,
    help="Seconds between one device's messages.",
)
@click.option(
    "--labels",
    "label_count",
    type=click.IntRange(1, 10_000),
    default=200,
    show_default=True,
    help="Labels in the printed run.",
)
@click.option(
    "--host", default="0.0.0.0", show_default=True, help="Address the site listens on."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port of the site (0: any free port).",
)
@click.option("--no-serve", is_flag=True, help="Build the season, print, and exit.")
@pass_context
def demo(
    context: CliContext,
    days: int,
    fast: bool,
    interval: int,
    label_count: int,
    host: str,
    port: int,
    no_serve: bool,
) -> None:
    """Play a whole season on SQLite and an embedded broker, then serve the site."""
    settings = context.settings
    # The faulty messages are on purpose; their count is printed at the end.
    for noisy in ("amqtt", "transitions", "appletrace.sensors"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    plan = Plan(30 if fast else days, interval, label_count, harvest_date(date.today()))
    port = port or _free_port(host)
    public = _lan_address() if host in ("0.0.0.0", "::") else host
    base_url = f"http://{public}:{port}"
    settings = _demo_settings(settings, base_url)
    began = time.monotonic()

    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    device_ids = _register(engine, settings)
    with _broker(settings) as mqtt_url:
        stats = _play_season(settings.replace(mqtt_url=mqtt_url), device_ids, plan)

    lot_codes = _register_lots(engine, plan)
    admin_password = _add_admin_and_inspections(engine, lot_codes, plan)
    pdf, uri, terminal_qr = _print_labels(engine, settings, lot_codes[0], plan)
    elapsed = time.monotonic() - began

    click.echo(
        f"\nseason built in {elapsed:.1f} s: {stats.received} messages, "
        f"{stats.stored} readings stored, {stats.rejected} faulty messages kept "
        "as rejected with their reasons\n"
    )
    click.echo(f"database:   {settings.database_url}")
    click.echo(f"label PDF:  {pdf}")
    click.echo(f"dashboard:  {base_url}/coop/")
    click.echo(f"sign in:    {ADMIN} / {admin_password}")
    click.echo(f"one apple:  {uri}\n")
    click.echo(terminal_qr)
    engine.dispose()
    if not no_serve:
        _serve(settings, host, port)


def _demo_settings(settings: Settings, base_url: str) -> Settings:
    folder = settings.instance_path / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)

    return settings.replace(
        instance_path=folder, database_url=f"sqlite:///{path}", base_url=base_url
    )


def _register(engine, settings: Settings) -> list[str]:
    with session_scope(engine) as session:
        coop = add_organization(
            session,
            "昭通洒渔苹果专业合作社",
            "coop",
            phone="0870-2150000",
            address="云南省昭通市昭阳区洒渔镇",
            gtin=GTIN,
        )
        add_organization(session, "昭阳区果品包装厂", "packing_house")
        device_ids = []
        for values in ORCHARDS:
            orchard = orchard_service.add_orchard(session, coop, ACTOR, **values)
            device_id = f"zt-{str(values['code']).lower()}"
            device_service.add_device(session, device_id, orchard, "weather")
            device_ids.append(device_id)

    return device_ids


@contextmanager
def _broker(settings: Settings) -> Iterator[str]:
    if "APPLETRACE_MQTT_URL" in settings.given:
        yield settings.mqtt_url
        return

    broker = EmbeddedBroker()
    try:
        yield broker.start()
    finally:
        broker.stop()


def _play_season(settings: Settings, device_ids: list[str], plan: Plan) -> Stats:
    embedded = "APPLETRACE_MQTT_URL" not in settings.given
    options = IngestOptions(
        client_id="appletrace-demo-ingest",
        batch_wait_s=0.2,
        stats_every_s=3600,
        mqtt_version=MQTT_VERSION if embedded else 5,
    )
    ingester = Ingester(settings, options)
    thread = threading.Thread(target=ingester.run, name="demo-ingester", daemon=True)
    thread.start()
    if not ingester.subscribed.wait(15):
        ingester.stop()
        raise click.ClickException(
            f"the ingester could not subscribe at {settings.mqtt_url}"
        )

    start = datetime.combine(plan.window_start, datetime.min.time(), UTC) - timedelta(
        hours=8
    )
    total = plan.days * 86_400 // plan.interval_s * len(device_ids)
    sent = _publish(settings, device_ids, plan, start, total)
    _wait_for_ingester(ingester, sent)
    ingester.stop()
    thread.join(timeout=30)

    return ingester.stats


def _publish(settings, device_ids, plan, start, total) -> int:
    protocol = MQTT_VERSION if "APPLETRACE_MQTT_URL" not in settings.given else 5
    sent = 0
    with (
        Publisher(
            settings.mqtt_url, "appletrace-demo-sensors", protocol=protocol
        ) as pub,
        tqdm(total=total, desc="sensor messages", unit="msg") as bar,
    ):
        for message in generate(
            device_ids, start, plan.days, plan.interval_s, faulty_share=0.003, seed=2025
        ):
            topic = f"{settings.mqtt_topic_prefix}/{message.device_id}/readings"
            pub.publish(topic, message.payload)
            sent += 1
            bar.update()

    return sent


def _season_messages(
    device_ids: list[str], plan: Plan, start: datetime
) -> Iterator[SimMessage]:
    # One generator per device, so each reports its own orchard's GPS altitude.
    for seed, (device_id, values) in enumerate(zip(device_ids, ORCHARDS, strict=True)):
        yield from generate(
            [device_id],
            start,
            plan.days,
            plan.interval_s,
            faulty_share=0.003,
            seed=2025 + seed,
            altitude_m=float(str(values["altitude_m"])),
        )


def _wait_for_ingester(ingester: Ingester, sent: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    with tqdm(total=sent, desc="ingested", unit="msg") as bar:
        while ingester.stats.received < sent and time.monotonic() < deadline:
            bar.update(ingester.stats.received - bar.n)
            time.sleep(0.1)

        bar.update(ingester.stats.received - bar.n)

    # The last batch is committed when the loop flushes on stop.


def _register_lots(engine, plan: Plan) -> list[str]:
    codes = []
    with session_scope(engine) as session:
        coop = session.exec(
            select(Organization).where(Organization.kind == "coop")
        ).one()
        for orchard in orchard_service.list_orchards(session):
            code = f"{orchard.code[:2]}{plan.harvested_on.year % 100:02d}-FJ-001"
            lot_service.add_lot(
                session,
                coop,
                orchard,
                ACTOR,
                date.today(),
                code=code,
                variety=orchard.variety,
                window_start=plan.window_start,
                harvested_on=plan.harvested_on,
                quantity_kg=12000.0,
                grade="一级",
            )
            codes.append(code)

    return sorted(codes, reverse=True)


def _add_admin_and_inspections(engine, lot_codes: list[str], plan: Plan) -> str:
    """The co-op's demo admin (a fresh password each run) and one test per lot."""
    password = "demo-" + secrets.token_urlsafe(9)
    inspected_on = min(plan.harvested_on + timedelta(days=3), date.today())
    with session_scope(engine) as session:
        coop = session.exec(
            select(Organization).where(Organization.kind == "coop")
        ).one()
        add_member(session, coop, ADMIN, password, "admin", "示范管理员")
        for code in lot_codes:
            add_inspection(
                session,
                lot_service.get_lot(session, code),
                ACTOR,
                date.today(),
                lab="昭通市农产品质量安全检测中心",
                inspected_on=inspected_on,
                passed=True,
                notes="农药残留快速检测",
                residues=[
                    {"substance": "毒死蜱", "mg_per_kg": 0.01, "limit_mg_per_kg": 1.0},
                    {"substance": "吡虫啉", "mg_per_kg": 0.02, "limit_mg_per_kg": 0.5},
                ],
            )

    return password


def _print_labels(engine, settings: Settings, lot_code: str, plan: Plan):
    pdf = settings.instance_path / f"labels-{lot_code}.pdf"
    with session_scope(engine) as session:
        lot = lot_service.get_lot(session, lot_code)
        house = session.exec(
            select(Organization).where(Organization.kind == "packing_house")
        ).one()
        run = label_runs.create_label_run(
            session,
            lot,
            house,
            GTIN,
            plan.labels,
            ACTOR,
            settings.secret_key,
        )
        job = make_job(session, run, settings.base_url, settings.secret_key)
        with tqdm(total=plan.labels, desc="labels", unit="label") as bar:
            label_render.write_file(
                pdf, label_render.render(job, "pdf", workers=1, progress=bar.update)
            )

        one = make_job(session, run, settings.base_url, settings.secret_key, 0, 1)
        terminal = b"".join(label_render.render(one, "text")).decode()
        uri = next(one.labels(0, 1))[1]

    return pdf, uri, terminal


def _serve(settings: Settings, host: str, port: int) -> None:
    from werkzeug.serving import make_server

    from appletrace.web.app import create_app

    server = make_server(host, port, create_app(settings), threaded=True)
    click.echo(f"serving on {host}:{port}; press Ctrl-C to stop", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _lan_address() -> str:
    """This machine's first non-loopback IPv4 address, for a phone on the LAN."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return "127.0.0.1"

    for info in infos:
        address = str(info[4][0])
        if not address.startswith("127."):
            return address

    return "127.0.0.1"
