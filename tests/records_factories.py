"""A recorded season for the export and certificate tests: real rows, audited.

Inspections, shipments and recalls go through their services; label runs are
written as rows with their audit events, as their service does, so that
'audit verify' holds throughout.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from factories import make_coop, make_lot, make_orchard
from sqlmodel import Session

from appletrace.trace import audit, inspections, recalls, shipments
from appletrace.trace.lot_history import (
    InspectionRecord,
    LabelRunRecord,
    LotHistory,
    Party,
    Place,
    ShipmentRecord,
)
from appletrace.trace.models import (
    Inspection,
    LabelRun,
    Lot,
    Organization,
    Recall,
    Shipment,
)
from appletrace.trace.organizations import add_organization
from appletrace.trace.types import row_id

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 1)
GTIN = "06901234567892"
LOT = "ZY25-FJ-001"


def _audited(session: Session, entity: str, row: Any) -> Any:
    session.add(row)
    session.flush()
    audit.record(session, "test", "create", entity, row.id, None, audit.snapshot(row))
    return row


def add_inspection(
    session: Session, lot: Lot, day: date, passed: bool = True
) -> Inspection:
    """A lab's test of the lot, through the inspection service."""
    return inspections.add_inspection(
        session,
        lot,
        "test",
        TODAY,
        lab="昭通市农产品质量检测中心",
        inspected_on=day,
        passed=passed,
    )


def add_label_run(
    session: Session, lot: Lot, house: Organization, count: int, at: datetime
) -> LabelRun:
    """A printing of labels for the lot by a packing house."""
    row = LabelRun(
        lot_id=row_id(lot),
        organization_id=row_id(house),
        gtin=GTIN,
        count=count,
        salt="00" * 16,
        created_at=at,
    )
    return _audited(session, "label_run", row)


def add_shipment(
    session: Session, shipper: Organization, lot: Lot, day: date, kg: float | None
) -> Shipment:
    """The lot (kg of it) shipped to a Kunming market, through the service."""
    return shipments.add_shipment(
        session,
        shipper,
        "test",
        TODAY,
        [(lot, kg)],
        consignee="昆明金马正昌水果批发市场",
        destination="云南省昆明市官渡区",
        shipped_on=day,
    )


def add_recall(session: Session, lot: Lot, at: datetime) -> Recall:
    """A whole-lot recall, through the recall service."""
    return recalls.recall(session, lot, "复检发现农残超标", "test", now=at)


def make_season(session: Session) -> dict[str, Any]:
    """A co-op with a GTIN, its orchard and lot: inspected, packed twice, shipped."""
    coop = make_coop(session, phone="0870-2123456", address="昭阳区洒渔镇", gtin=GTIN)
    house = add_organization(
        session, "昭阳包装厂", "packing_house", phone="0870-2999888", address="昭阳区"
    )
    orchard = make_orchard(session, coop)
    lot = make_lot(session, coop, orchard, code=LOT, window_start=date(2025, 9, 1))
    inspection = add_inspection(session, lot, date(2025, 10, 22))
    runs = [
        add_label_run(session, lot, house, 5000, datetime(2025, 10, 23, 2, tzinfo=UTC)),
        add_label_run(session, lot, house, 3000, datetime(2025, 10, 24, 2, tzinfo=UTC)),
    ]
    shipment = add_shipment(session, house, lot, date(2025, 10, 25), 8000.0)

    return {
        "coop": coop,
        "house": house,
        "orchard": orchard,
        "lot": lot,
        "inspection": inspection,
        "runs": runs,
        "shipment": shipment,
    }


def synthetic_season(first: date, days: int) -> dict:
    """A season's provenance as ``LotProvenance.as_dict()`` gives it."""
    records = []
    for n in range(days):
        low = 8.0 + (n % 7) * 0.5
        record = {
            "day": (first + timedelta(days=n)).isoformat(),
            "temperature_min_c": low,
            "temperature_max_c": low + 12.5 + (n % 3),
            "temperature_mean_c": low + 6.0,
            "sunshine_hours": 6.5,
            "pm25_mean_ugm3": 10.0 + n % 5,
            "irradiance_mean_wm2": 210.0 + n,
            "humidity_mean_pct": 70.0,
        }
        if n == 3:
            record["irradiance_mean_wm2"] = None  # a day the pyranometer was down

        records.append(record)

    return {
        "altitude_m": 1932.0,
        "diurnal_range_mean_c": 13.5,
        "sunshine_hours": 6.5 * days,
        "pm25_mean_ugm3": 12.0,
        "aqi": 17,
        "aqi_category_zh": "优",
        "temperature_mean_c": round(
            sum(r["temperature_mean_c"] for r in records) / days, 2
        ),
        "humidity_mean_pct": 70.0,
        "days": records,
    }


def history(**changes) -> LotHistory:
    """A lot harvested, inspected, packed twice, shipped once."""
    coop = Party("洒渔苹果合作社", "0870-1234567", "昭阳区洒渔镇")
    house = Party("昭阳包装厂", "0870-7654321", "昭阳区")
    orchard = Place(
        "ZY-SAYU-01",
        "洒渔示范果园",
        "530602",
        "昭阳区",
        "洒渔镇",
        "乐居村",
        27.387,
        103.588,
        1935.0,
    )
    values = dict(
        code=LOT,
        gtin=GTIN,
        variety="富士",
        window_start=date(2025, 10, 1),
        harvested_on=date(2025, 10, 20),
        quantity_kg=12000.0,
        grade="一级",
        producer=coop,
        orchard=orchard,
        inspections=(
            InspectionRecord(1, "昭通市农产品检测中心", date(2025, 10, 22), True),
        ),
        label_runs=(
            LabelRunRecord(1, house, GTIN, 5000, datetime(2025, 10, 23, 2, tzinfo=UTC)),
            LabelRunRecord(2, house, GTIN, 3000, datetime(2025, 10, 24, 2, tzinfo=UTC)),
        ),
        shipments=(
            ShipmentRecord(
                1, house, "昆明水果批发市场", "昆明市官渡区", date(2025, 10, 25), 8000.0
            ),
        ),
        season=synthetic_season(date(2025, 10, 1), 20),
    )
    values.update(changes)
    return LotHistory(**values)


def season_readings(
    orchard_id: int, first: date, days: int
) -> list[tuple[str, str, int, float, str, int, int]]:
    """Hourly readings of device dev-01, as the ingester's store takes them.

    A day-night temperature cycle, irradiance by day, PM2.5, humidity and a GPS
    altitude; the third day has readings in only 12 hours, too few to know its
    temperature range.
    """
    units = {
        "temperature": "Cel",
        "irradiance": "W/m2",
        "pm25": "ug/m3",
        "humidity": "%RH",
        "altitude": "m",
    }
    rows = []
    for n in range(days):
        for hour in range(12 if n == 2 else 24):
            local = datetime.combine(
                first + timedelta(days=n), datetime.min.time(), ZONE
            )
            taken = int((local + timedelta(hours=hour)).timestamp()) * 1_000_000
            day_part = 1.0 if 10 <= hour <= 16 else 0.0
            values = {
                "temperature": 6.0 + n * 0.3 + 14.0 * day_part + hour * 0.05,
                "irradiance": 640.0 * day_part + 3.0 * n,
                "pm25": 8.0 + (hour + n) % 6,
                "humidity": 85.0 - 25.0 * day_part,
                "altitude": 1938.0 + n % 3,
            }
            for quantity, value in values.items():
                if quantity != "altitude" or hour == 12:
                    row = ("dev-01", quantity, taken, value, units[quantity])
                    rows.append((*row, taken + 60_000_000, orchard_id))

    return rows
