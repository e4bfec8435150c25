"""GS1 EPCIS 2.0 JSON-LD documents built from lot histories (pure).

What happened to a lot becomes ObjectEvents with CBV 2.0 vocabulary: the harvest
is ``commissioning`` (CBV has no harvesting step), then ``inspecting``,
``packing`` (one per label run), ``shipping``, and a recall sets the persistent
disposition ``recalled``. Lots are identified as classes in the canonical GS1
Digital Link form, ``https://id.gs1.org/01/{GTIN}/10/{lot}``: EPCIS 2.0 asks for
the constrained, canonical form so that events from different parties about the
same lot compare equal; our own domain is for the QR printed on the fruit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from urllib.parse import quote

from appletrace.trace.epcis_sensors import (
    PREFIX,
    UOM_KILOGRAM,
    sensor_elements,
    stamp,
)
from appletrace.trace.lot_history import (
    InspectionRecord,
    LabelRunRecord,
    LotHistory,
    Party,
    Place,
    RecallRecord,
    ShipmentRecord,
)

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CANONICAL_HOST = "https://id.gs1.org"
# A date without a time of day is exported at local noon: in UTC+08:00 that is
# 04:00 UTC, the same calendar day in both.
DAY_TIME = time(12, 0)


def class_uri(gtin: str, lot: str) -> str:
    """The lot as a class: canonical GS1 Digital Link URI with GTIN and AI 10."""
    return f"{CANONICAL_HOST}/01/{gtin}/10/{quote(lot, safe='')}"


def geo_uri(place: Place) -> str:
    """The orchard as an RFC 5870 ``geo:`` URI: latitude, longitude, altitude."""
    return f"geo:{place.latitude:g},{place.longitude:g},{place.altitude_m:g}"


def party_uri(base_url: str, party: Party | str) -> str:
    """An HTTP URI naming an organization or consignee under our base URL.

    CBV 2.0 allows private identifiers as HTTP URIs of a domain the issuer
    controls; parties here have no GLN.
    """
    name = party.name if isinstance(party, Party) else party
    return f"{base_url.rstrip('/')}/parties/{quote(name, safe='')}"


def namespace(base_url: str) -> str:
    """The JSON-LD namespace of our extension fields (``appletrace:…``)."""
    return f"{base_url.rstrip('/')}/ns/epcis#"


def build_document(
    histories: Iterable[LotHistory],
    created: datetime,
    zone: tzinfo,
    base_url: str,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """An EPCISDocument with every event of the lots, or those from start to end."""
    events: list[dict[str, Any]] = []
    for history in histories:
        events += lot_events(history, zone, base_url, start, end)

    return {
        "@context": [CONTEXT, {PREFIX: namespace(base_url)}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": stamp(created.astimezone(UTC)),
        "epcisBody": {"eventList": events},
    }


def lot_events(
    history: LotHistory,
    zone: tzinfo,
    base_url: str,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """The lot's events in time order, kept when their local date is in range."""
    timed = [(_at(history.harvested_on, zone), commissioning(history, zone, base_url))]
    timed += [
        (_at(i.inspected_on, zone), inspecting(history, i, zone, base_url))
        for i in history.inspections
    ]
    timed += [
        (r.packed_at.astimezone(zone), packing(history, r, zone, base_url))
        for r in history.label_runs
    ]
    timed += [
        (_at(s.shipped_on, zone), shipping(history, s, zone, base_url))
        for s in history.shipments
    ]
    for recall in history.recalls:
        timed += recall_events(history, recall, zone, base_url)

    timed.sort(key=lambda pair: pair[0])

    return [event for at, event in timed if _within(at.date(), start, end)]


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _event(
    history: LotHistory,
    kind: str,
    at: datetime,
    base_url: str,
    **fields: Any,
) -> dict[str, Any]:
    # A name-based UUID makes the same event get the same eventID in every
    # export, so a receiver can drop a repeat (EPCIS 2.0 §7.4.1 allows any URI).
    name = f"{base_url.rstrip('/')}/lots/{history.code}/events/{kind}"
    event = {
        "type": "ObjectEvent",
        "eventTime": stamp(at),
        "eventTimeZoneOffset": _offset(at),
        "eventID": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
    }
    event.update(fields)

    return event


def commissioning(history: LotHistory, zone: tzinfo, base_url: str) -> dict[str, Any]:
    """The harvest: the lot comes into being at its orchard, with its season."""
    lot: dict[str, Any] = {"epcClass": class_uri(history.gtin, history.code)}
    if history.quantity_kg is not None:
        lot.update(quantity=history.quantity_kg, uom=UOM_KILOGRAM)

    place = {"id": geo_uri(history.orchard)}
    event = _event(
        history,
        "commissioning",
        _at(history.harvested_on, zone),
        base_url,
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        quantityList=[lot],
        readPoint=place,
        bizLocation=place,
        sourceList=[
            {"type": "owning_party", "source": party_uri(base_url, history.producer)}
        ],
        ilmd=harvest_ilmd(history),
    )
    if history.season is not None:
        elements = sensor_elements(history.season, history, zone)
        if elements:
            event["sensorElementList"] = elements

    return event


def harvest_ilmd(history: LotHistory) -> dict[str, Any]:
    """Lot-level master data: CBV attributes, then ours for variety and orchard."""
    orchard = history.orchard
    ilmd: dict[str, Any] = {
        "cbvmda:lotNumber": history.code,
        "cbvmda:harvestStartDate": history.harvested_on.isoformat(),
        "cbvmda:harvestEndDate": history.harvested_on.isoformat(),
        "cbvmda:countryOfOrigin": "CN",
        f"{PREFIX}:variety": history.variety,
        f"{PREFIX}:harvestDate": history.harvested_on.isoformat(),
        f"{PREFIX}:growingWindowStart": history.window_start.isoformat(),
        f"{PREFIX}:orchardCode": orchard.code,
        f"{PREFIX}:orchardName": orchard.name,
        f"{PREFIX}:countyCode": orchard.county_code,
        f"{PREFIX}:orchardAddress": orchard.address(),
        f"{PREFIX}:altitudeMetres": orchard.altitude_m,
        f"{PREFIX}:producer": history.producer.name,
    }
    if history.grade:
        ilmd[f"{PREFIX}:grade"] = history.grade

    season = history.season or {}
    for key, name in _SEASON_INDICATORS:
        if season.get(key) is not None:
            ilmd[f"{PREFIX}:{name}"] = season[key]

    return ilmd


# Derived indicators are not measurements of one sensor: they travel as master
# data, not as sensor reports a receiver could mistake for a reading.
_SEASON_INDICATORS = (
    ("diurnal_range_mean_c", "diurnalRangeMeanCelsius"),
    ("diurnal_range_last30_c", "diurnalRangeLast30DaysCelsius"),
    ("sunshine_hours", "sunshineHours"),
    ("sunshine_proxy", "sunshineProxy"),
    ("aqi", "airQualityIndex"),
    ("aqi_category_zh", "airQualityCategory"),
    ("aqi_standard", "airQualityStandard"),
)


def inspecting(
    history: LotHistory, inspection: InspectionRecord, zone: tzinfo, base_url: str
) -> dict[str, Any]:
    """A lab's test of the lot: conformant when it passed."""
    return _event(
        history,
        f"inspecting/{inspection.id}",
        _at(inspection.inspected_on, zone),
        base_url,
        action="OBSERVE",
        bizStep="inspecting",
        disposition="conformant" if inspection.passed else "non_conformant",
        quantityList=[{"epcClass": class_uri(history.gtin, history.code)}],
        **{f"{PREFIX}:lab": inspection.lab, f"{PREFIX}:inspection": inspection.id},
    )


def packing(
    history: LotHistory, run: LabelRunRecord, zone: tzinfo, base_url: str
) -> dict[str, Any]:
    """A label run: ``count`` labelled fruit of the lot under the run's GTIN."""
    # A quantity without uom counts instances (EPCIS 2.0 §7.3.3.3).
    packed = {"epcClass": class_uri(run.gtin, history.code), "quantity": run.count}

    return _event(
        history,
        f"packing/{run.id}",
        run.packed_at.astimezone(zone),
        base_url,
        action="OBSERVE",
        bizStep="packing",
        disposition="sellable_not_accessible",
        quantityList=[packed],
        **{
            f"{PREFIX}:packingHouse": run.packing_house.name,
            f"{PREFIX}:labelRun": run.id,
        },
    )


def shipping(
    history: LotHistory, shipment: ShipmentRecord, zone: tzinfo, base_url: str
) -> dict[str, Any]:
    """The lot (or part of it) leaving for a consignee: in transit."""
    kg = (
        shipment.quantity_kg
        if shipment.quantity_kg is not None
        else history.quantity_kg
    )
    lot: dict[str, Any] = {"epcClass": class_uri(history.gtin, history.code)}
    if kg is not None:
        lot.update(quantity=kg, uom=UOM_KILOGRAM)

    return _event(
        history,
        f"shipping/{shipment.id}",
        _at(shipment.shipped_on, zone),
        base_url,
        action="OBSERVE",
        bizStep="shipping",
        disposition="in_transit",
        quantityList=[lot],
        sourceList=[
            {"type": "owning_party", "source": party_uri(base_url, shipment.shipper)}
        ],
        destinationList=[
            {
                "type": "owning_party",
                "destination": party_uri(base_url, shipment.consignee),
            }
        ],
        **{
            f"{PREFIX}:consignee": shipment.consignee,
            f"{PREFIX}:destination": shipment.destination,
            f"{PREFIX}:shipment": shipment.id,
        },
    )


def recall_events(
    history: LotHistory, recall: RecallRecord, zone: tzinfo, base_url: str
) -> list[tuple[datetime, dict[str, Any]]]:
    """The recall (disposition ``recalled``), and its lifting when it was lifted."""
    run = (
        None if recall.label_run_id is None else history.label_run(recall.label_run_id)
    )
    what: dict[str, Any] = {"epcClass": class_uri(history.gtin, history.code)}
    if run is not None:
        what = {"epcClass": class_uri(run.gtin, history.code), "quantity": run.count}

    at = recall.recalled_at.astimezone(zone)
    events = [
        (
            at,
            _event(
                history,
                f"recall/{recall.id}",
                at,
                base_url,
                action="OBSERVE",
                bizStep="holding",
                disposition="recalled",
                persistentDisposition={"set": ["recalled"]},
                quantityList=[what],
                **{f"{PREFIX}:reason": recall.reason},
            ),
        )
    ]
    if recall.lifted_at is not None:
        lifted = recall.lifted_at.astimezone(zone)
        event = _event(
            history,
            f"recall/{recall.id}/lifted",
            lifted,
            base_url,
            action="OBSERVE",
            bizStep="holding",
            disposition="active",
            persistentDisposition={"unset": ["recalled"]},
            quantityList=[what],
        )
        events.append((lifted, event))

    return events


def _at(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, DAY_TIME, zone)


def _offset(at: datetime) -> str:
    text = at.strftime("%z")  # e.g. +0800
    return f"{text[:3]}:{text[3:]}"
