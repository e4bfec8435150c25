"""``appletrace ingest`` and ``appletrace simulate``: thin shells over sensors."""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta
from types import FrameType

import click

from appletrace.sensors.ingest import Ingester, IngestOptions
from appletrace.sensors.publisher import Publisher
from appletrace.sensors.simulate import LOCAL, generate
from appletrace.trace.cli import CliContext, configure_logging, pass_context
from appletrace.trace.errors import InvalidInput


@click.command()
@click.option(
    "--batch-size",
    type=click.IntRange(1, 30_000),
    default=1000,
    show_default=True,
    help="Messages committed together.",
)
@click.option(
    "--batch-wait",
    type=click.FloatRange(0.01, 60.0),
    default=1.0,
    show_default=True,
    help="Seconds a message may wait for its batch to fill.",
)
@click.option(
    "--client-id",
    default="appletrace-ingest",
    show_default=True,
    help="MQTT client id: the broker keeps this ingester's session under it.",
)
@click.option(
    "--share",
    default=None,
    metavar="GROUP",
    help="Subscribe through $share/GROUP/ so ingesters split one stream.",
)
@click.option(
    "--session-expiry",
    type=click.IntRange(60, 2**32 - 1),
    default=7 * 24 * 3600,
    show_default=True,
    help="Seconds the broker keeps the session (and queues) while we are away.",
)
@click.option(
    "--stats-every",
    type=click.FloatRange(1.0, 86_400.0),
    default=60.0,
    show_default=True,
    help="Seconds between summary log lines.",
)
@pass_context
def ingest(
    context: CliContext,
    batch_size: int,
    batch_wait: float,
    client_id: str,
    share: str | None,
    session_expiry: int,
    stats_every: float,
) -> None:
    """Store sensor readings from MQTT until SIGTERM or Ctrl-C."""
    settings = context.settings
    configure_logging(settings.log_level)
    if share is not None and (not share or any(c in share for c in "/+#")):
        raise InvalidInput(
            "share", f"share group {share!r} must be one topic level, no '/+#'"
        )

    options = IngestOptions(
        batch_size=batch_size,
        batch_wait_s=batch_wait,
        client_id=client_id,
        share=share,
        session_expiry_s=session_expiry,
        stats_every_s=stats_every,
    )
    ingester = Ingester(settings, options)

    def stop(signum: int, frame: FrameType | None) -> None:
        ingester.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ingester.run()


@click.command()
@click.option("--devices", type=click.IntRange(1, 10_000), default=3, show_default=True)
@click.option(
    "--device",
    "device_ids",
    multiple=True,
    help="Device id to simulate (repeat); default sim-01, sim-02, ...",
)
@click.option("--days", type=click.IntRange(1, 400), default=1, show_default=True)
@click.option(
    "--start",
    default=None,
    help="First local day, YYYY-MM-DD (default: DAYS days before today).",
)
@click.option(
    "--interval",
    type=click.IntRange(10, 86_400),
    default=600,
    show_default=True,
    help="Seconds between one device's messages.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.0),
    default=0.0,
    show_default=True,
    help="Messages per second to publish; 0 for as fast as the broker takes.",
)
@click.option(
    "--faulty",
    type=click.FloatRange(0.0, 1.0),
    default=0.01,
    show_default=True,
    help="Share of messages broken on purpose.",
)
@click.option("--altitude", type=float, default=1950.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@pass_context
def simulate(
    context: CliContext,
    devices: int,
    device_ids: tuple[str, ...],
    days: int,
    start: str | None,
    interval: int,
    rate: float,
    faulty: float,
    altitude: float,
    seed: int,
) -> None:
    """Publish a plausible season of orchard sensor messages to the broker."""
    settings = context.settings
    configure_logging(settings.log_level)
    ids = list(device_ids) or [f"sim-{i:02d}" for i in range(1, devices + 1)]
    first = _start(start, days)
    messages = generate(ids, first, days, interval, faulty, seed, altitude)
    prefix = settings.mqtt_topic_prefix
    sent = broken = 0
    began = time.monotonic()
    with Publisher(settings.mqtt_url) as publisher:
        for message in messages:
            publisher.publish(f"{prefix}/{message.device_id}/readings", message.payload)
            sent += 1
            broken += message.fault is not None
            if rate:
                _pace(began, sent, rate)

    click.echo(
        f"published {sent} messages ({broken} faulty) from {len(ids)} devices, "
        f"{days} days from {first:%Y-%m-%d}, in {time.monotonic() - began:.1f} s"
    )


def _start(start: str | None, days: int) -> datetime:
    if start is None:
        today = datetime.now(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - timedelta(days=days)

    try:
        return datetime.fromisoformat(start).replace(tzinfo=LOCAL)
    except ValueError:
        raise InvalidInput(
            "start", f"--start {start!r} is not a date; use YYYY-MM-DD"
        ) from None


def _pace(began: float, sent: int, rate: float) -> None:
    ahead = sent / rate - (time.monotonic() - began)
    if ahead > 0:
        time.sleep(ahead)
