"""FDA FSMA 204 records: one sortable sheet, one row per critical tracking event.

Pure: rows are built from lot histories, then written as CSV (UTF-8 with a byte
order mark, so that spreadsheet programs read the Chinese names) or XLSX. The
key data elements follow 21 CFR 1.1325 (harvesting), 1.1330 (cooling), 1.1335
(initial packing) and 1.1340 (shipping); docs/records.md maps each column to
its paragraph.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, tzinfo
from typing import Any

from appletrace.trace.lot_history import LabelRunRecord, LotHistory, ShipmentRecord

COMMODITY = "apples"

# (column, what it holds); the order is the sheet's.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("event", "critical tracking event: harvesting, initial_packing or shipping"),
    ("event_date", "local date of the event, YYYY-MM-DD"),
    ("traceability_lot_code", "the lot code (GS1 AI 10)"),
    ("gtin", "GTIN-14 of the product"),
    ("commodity", "commodity"),
    ("variety", "variety"),
    ("product_description", "product description, with grade"),
    ("quantity", "quantity of the event"),
    ("unit_of_measure", "kg, or each for labelled fruit"),
    ("farm_name", "farm and harvester business name (the co-op)"),
    ("farm_phone", "farm and harvester phone"),
    ("farm_address", "physical location of the orchard"),
    ("farm_latitude", "orchard latitude, WGS 84 degrees"),
    ("farm_longitude", "orchard longitude, WGS 84 degrees"),
    ("field_name", "field or growing area: orchard name and code"),
    ("harvest_date", "date of harvesting"),
    ("cooling_location", "where the lot was cooled (not recorded yet)"),
    ("cooling_date", "date of cooling (not recorded yet)"),
    ("date_received", "initial packing: date the fruit arrived (not recorded yet)"),
    ("quantity_received", "initial packing: quantity of raw fruit received"),
    ("unit_received", "initial packing: unit of the quantity received"),
    ("packer_name", "initial packing: packing house business name"),
    ("packer_phone", "initial packing: packing house phone"),
    ("packer_address", "initial packing: packing house address"),
    ("tlc_source_name", "who assigned the traceability lot code"),
    ("tlc_source_phone", "phone of the traceability lot code source"),
    ("tlc_source_address", "address of the traceability lot code source"),
    ("ship_from_name", "shipping: business that shipped"),
    ("ship_from_phone", "shipping: phone of the shipper"),
    ("ship_from_address", "shipping: address it was shipped from"),
    ("recipient_name", "immediate subsequent recipient"),
    ("recipient_address", "address of the immediate subsequent recipient"),
    ("reference_document_type", "record the event is kept in"),
    ("reference_document_number", "number of that record"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
_ORDER = {"harvesting": 0, "cooling": 1, "initial_packing": 2, "shipping": 3}


def build_rows(
    histories: Iterable[LotHistory],
    zone: tzinfo,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """Every event row of the lots, or those dated start to end, sorted."""
    rows: list[dict[str, Any]] = []
    for history in histories:
        rows += lot_rows(history, zone)

    kept = [r for r in rows if _within(r["event_date"], start, end)]
    kept.sort(
        key=lambda r: (r["traceability_lot_code"], r["event_date"], _ORDER[r["event"]])
    )

    return kept


def _within(day: str, start: date | None, end: date | None) -> bool:
    value = date.fromisoformat(day)
    return (start is None or value >= start) and (end is None or value <= end)


def lot_rows(history: LotHistory, zone: tzinfo) -> list[dict[str, Any]]:
    """Harvesting, one initial packing per label run, one shipping per shipment."""
    rows = [harvesting(history)]
    rows += [initial_packing(history, run, zone) for run in history.label_runs]
    rows += [shipping(history, shipment) for shipment in history.shipments]

    return rows


def _common(history: LotHistory, event: str, day: date) -> dict[str, Any]:
    orchard = history.orchard
    producer = history.producer
    row: dict[str, Any] = dict.fromkeys(COLUMN_NAMES, "")
    row.update(
        event=event,
        event_date=day.isoformat(),
        traceability_lot_code=history.code,
        gtin=history.gtin,
        commodity=COMMODITY,
        variety=history.variety,
        product_description=_description(history),
        farm_name=producer.name,
        farm_phone=producer.phone,
        farm_address=orchard.address(),
        farm_latitude=orchard.latitude,
        farm_longitude=orchard.longitude,
        field_name=f"{orchard.name} ({orchard.code})",
        harvest_date=history.harvested_on.isoformat(),
        # The co-op gives the lot its code when it registers the harvest.
        tlc_source_name=producer.name,
        tlc_source_phone=producer.phone,
        tlc_source_address=producer.address or orchard.address(),
    )

    return row


def _description(history: LotHistory) -> str:
    grade = f", grade {history.grade}" if history.grade else ""
    return f"fresh whole {COMMODITY}, {history.variety}{grade}"


def harvesting(history: LotHistory) -> dict[str, Any]:
    """21 CFR 1.1325: what was picked, where, when, and who received it next."""
    row = _common(history, "harvesting", history.harvested_on)
    row.update(
        quantity=_number(history.quantity_kg),
        unit_of_measure="kg" if history.quantity_kg is not None else "",
        reference_document_type="harvest lot record",
        reference_document_number=history.code,
    )
    if history.label_runs:
        first = min(history.label_runs, key=lambda r: r.packed_at)
        row.update(
            recipient_name=first.packing_house.name,
            recipient_address=first.packing_house.address,
        )

    return row


def initial_packing(
    history: LotHistory, run: LabelRunRecord, zone: tzinfo
) -> dict[str, Any]:
    """21 CFR 1.1335: a label run packs and labels the lot's fruit."""
    house = run.packing_house
    row = _common(history, "initial_packing", run.packed_at.astimezone(zone).date())
    row.update(
        gtin=run.gtin,
        product_description=_description(history) + ", labelled fruit",
        quantity=run.count,
        unit_of_measure="each",
        quantity_received=_number(history.quantity_kg),
        unit_received="kg" if history.quantity_kg is not None else "",
        packer_name=house.name,
        packer_phone=house.phone,
        packer_address=house.address,
        reference_document_type="label run",
        reference_document_number=str(run.id),
    )

    return row


def shipping(history: LotHistory, shipment: ShipmentRecord) -> dict[str, Any]:
    """21 CFR 1.1340: the lot (or part of it) sent to the next recipient."""
    kg = (
        shipment.quantity_kg
        if shipment.quantity_kg is not None
        else history.quantity_kg
    )
    shipper = shipment.shipper
    row = _common(history, "shipping", shipment.shipped_on)
    row.update(
        quantity=_number(kg),
        unit_of_measure="kg" if kg is not None else "",
        ship_from_name=shipper.name,
        ship_from_phone=shipper.phone,
        ship_from_address=shipper.address,
        recipient_name=shipment.consignee,
        recipient_address=shipment.destination,
        reference_document_type="shipment",
        reference_document_number=str(shipment.id),
    )

    return row


def _number(value: float | None) -> float | int | str:
    if value is None:
        return ""

    return int(value) if float(value).is_integer() else value


def to_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    """The rows as CSV: a header of the documented columns, UTF-8 with BOM."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMN_NAMES, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)

    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[dict[str, Any]]) -> bytes:
    """The rows as one XLSX sheet with a frozen header and a sort filter."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "FSMA 204"
    sheet.append(list(COLUMN_NAMES))
    for row in rows:
        sheet.append([row[name] for name in COLUMN_NAMES])

    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)

    return buffer.getvalue()
