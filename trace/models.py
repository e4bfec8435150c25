"""The domain model as SQLModel tables; words as in docs/glossary.md."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from appletrace.trace.types import UTCDateTime, utcnow

# SQLite autoincrements only an INTEGER primary key; PostgreSQL wants 64 bits for
# tables that grow with every message or scan.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


def _created() -> datetime:
    return utcnow()


class Organization(SQLModel, table=True):
    """A co-op that grows or a packing house that packs and labels."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)  # coop | packing_house
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    gtin: str | None = Field(default=None, max_length=14)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A person who signs in for one organization in one role."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)  # admin | farmer | packer | auditor
    active: bool = True
    failed_signins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A revocable bearer token acting for one organization."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=120)
    role: str = Field(default="auditor", max_length=20)  # as Member.role
    token_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberSession(SQLModel, table=True):
    """A signed-in browser; the cookie carries the id, the table only its hash."""

    __tablename__ = "member_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class SigninFailure(SQLModel, table=True):
    """One failed sign-in, kept to limit guessing per address across workers."""

    __tablename__ = "signin_failure"
    __table_args__ = (Index("ix_signin_failure_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)
    address: str = Field(max_length=64)
    username: str = Field(max_length=80)
    at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Orchard(SQLModel, table=True):
    """Land one co-op farms; coordinates in WGS 84 degrees, altitude in metres."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    county_code: str = Field(max_length=6)
    township: str = Field(default="", max_length=100)
    village: str = Field(default="", max_length=100)
    latitude: float
    longitude: float
    altitude_m: float
    variety: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Device(SQLModel, table=True):
    """A sensor station in one orchard; ``id`` is the device id in its topic."""

    id: str = Field(primary_key=True, max_length=64)
    orchard_id: int = Field(foreign_key="orchard.id", index=True)
    kind: str = Field(default="weather", max_length=40)
    credential_hash: str | None = Field(default=None, max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Reading(SQLModel, table=True):
    """One value of one quantity from one device at one time.

    The primary key (device, quantity, time) makes a redelivered message store
    nothing new.
    """

    __table_args__ = (
        PrimaryKeyConstraint("device_id", "quantity", "taken_at"),
        Index("ix_reading_taken_at", "taken_at"),
    )

    device_id: str = Field(foreign_key="device.id", max_length=64)
    quantity: str = Field(max_length=20)
    taken_at: datetime = Field(sa_type=UTCDateTime)
    value: float
    unit: str = Field(max_length=10)
    received_at: datetime = Field(sa_type=UTCDateTime)


class RejectedMessage(SQLModel, table=True):
    """A message that could not be stored, kept with why."""

    __tablename__ = "rejected_message"

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)
    topic: str = Field(sa_type=Text)
    payload: bytes = Field(sa_type=LargeBinary)
    reason: str = Field(sa_type=Text)
    received_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class DailySummary(SQLModel, table=True):
    """Per orchard and local day: running aggregates of its devices' readings.

    Sums and counts (not means) are kept so that a late reading adds in exactly.
    ``*_hours`` are bit masks of the local hours with a reading (bit h = hour h);
    ``sunshine_count`` counts irradiance readings above 120 W/m² (WMO proxy).
    Kept up to date by ``appletrace.trace.summaries``.
    """

    __tablename__ = "daily_summary"
    __table_args__ = (PrimaryKeyConstraint("orchard_id", "day"),)

    orchard_id: int = Field(foreign_key="orchard.id")
    day: date
    temperature_min: float | None = None
    temperature_max: float | None = None
    temperature_sum: float = 0.0
    temperature_count: int = 0
    temperature_hours: int = 0
    humidity_sum: float = 0.0
    humidity_count: int = 0
    pm25_sum: float = 0.0
    pm25_count: int = 0
    irradiance_sum: float = 0.0
    irradiance_count: int = 0
    irradiance_hours: int = 0
    sunshine_count: int = 0
    altitude_sum: float = 0.0
    altitude_count: int = 0
    updated_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Lot(SQLModel, table=True):
    """One harvest of one orchard over its growing window."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    code: str = Field(max_length=20, unique=True)
    orchard_id: int = Field(foreign_key="orchard.id", index=True)
    variety: str = Field(max_length=60)
    window_start: date
    harvested_on: date
    quantity_kg: float | None = None
    grade: str = Field(default="", max_length=20)
    status: str = Field(default="harvested", max_length=20)
    gtin: str | None = Field(default=None, max_length=14)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class LotShare(SQLModel, table=True):
    """A co-op lets a packing house print labels for one of its lots."""

    __tablename__ = "lot_share"
    __table_args__ = (PrimaryKeyConstraint("lot_id", "organization_id"),)

    lot_id: int = Field(foreign_key="lot.id")
    organization_id: int = Field(foreign_key="organization.id")
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Inspection(SQLModel, table=True):
    """A lab's test of a lot; ``residues`` is a JSON list of findings."""

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    lab: str = Field(max_length=200)
    inspected_on: date
    passed: bool
    residues: str = Field(default="[]", sa_type=Text)
    report_path: str | None = Field(default=None, max_length=500)
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class LabelRun(SQLModel, table=True):
    """One printing of ``count`` labels for a lot; serials derive from ``salt``.

    Labels ``count`` to ``count + replacement_count - 1`` are replacements issued
    for voided ones. ``short_uri`` prints addresses without ``/10/{lot}``.
    """

    __tablename__ = "label_run"

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    gtin: str = Field(max_length=14)
    count: int
    replacement_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    salt: str = Field(max_length=64)
    template: str = Field(default="a4-rect", max_length=40)
    short_uri: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_by: str = Field(
        default="", max_length=120, sa_column_kwargs={"server_default": ""}
    )
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class VoidedLabel(SQLModel, table=True):
    """A label declared damaged; its serial no longer verifies."""

    __tablename__ = "voided_label"
    __table_args__ = (PrimaryKeyConstraint("label_run_id", "label_index"),)

    label_run_id: int = Field(foreign_key="label_run.id")
    label_index: int
    reason: str = Field(default="", max_length=200)
    replaced_by: int | None = None
    voided_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Scan(SQLModel, table=True):
    """One consumer page view of a serial."""

    # A page counts the scans of one label and finds its first: one index range.
    __table_args__ = (
        Index("ix_scan_serial", "serial"),
        Index("ix_scan_serial_run_time", "serial", "label_run_id", "scanned_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)
    label_run_id: int = Field(foreign_key="label_run.id", index=True)
    label_index: int
    serial: str = Field(max_length=20)
    scanned_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(default="", max_length=60)
    user_agent_hash: str = Field(default="", max_length=64)


class Recall(SQLModel, table=True):
    """A lot, or one of its label runs, withdrawn with a reason."""

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    label_run_id: int | None = Field(default=None, foreign_key="label_run.id")
    reason: str = Field(sa_type=Text)
    recalled_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Shipment(SQLModel, table=True):
    """Lots sent by an organization to a consignee on a date."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    consignee: str = Field(max_length=200)
    destination: str = Field(default="", max_length=300)
    shipped_on: date
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class ShipmentLot(SQLModel, table=True):
    """One lot (or part of it, in kg) on a shipment."""

    __tablename__ = "shipment_lot"
    __table_args__ = (PrimaryKeyConstraint("shipment_id", "lot_id"),)

    shipment_id: int = Field(foreign_key="shipment.id")
    lot_id: int = Field(foreign_key="lot.id", index=True)
    quantity_kg: float | None = None


class AuditEvent(SQLModel, table=True):
    """One change, chained to the previous event by ``prev_hash``."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("hash"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=20)  # create | update | delete
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    before: str | None = Field(default=None, sa_type=Text)
    after: str | None = Field(default=None, sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Certificate(SQLModel, table=True):
    """A compliance certificate (承诺达标合格证) for a lot, frozen when issued.

    The content is copied from the lot at issue time, so a reprint says what the
    first print said. ``basis`` is own-control, own-test or commissioned-test.
    """

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id")
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id")
    basis: str = Field(max_length=20)
    product: str = Field(max_length=100)
    quantity_kg: float
    producer: str = Field(max_length=200)
    phone: str = Field(default="", max_length=40)
    origin: str = Field(max_length=300)
    address: str = Field(max_length=200)
    issued_on: date
    issued_by: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
