"""The OpenAPI 3 document of the API, built from the same schemas that check bodies."""

from __future__ import annotations

from typing import Any

from appletrace import __version__
from appletrace.trace.accounts import ROLES
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.devices import KINDS as DEVICE_KINDS
from appletrace.trace.lots import STATUSES

MAX_ID = 2**31 - 1


def string(low: int = 0, high: int | None = None, **more: Any) -> dict[str, Any]:
    """A string schema with length bounds."""
    schema: dict[str, Any] = {"type": "string", "minLength": low, **more}
    if high is not None:
        schema["maxLength"] = high

    return schema


def number(low: float | None = None, high: float | None = None, **more: Any) -> dict:
    """A number schema with bounds."""
    schema: dict[str, Any] = {"type": "number", **more}
    if low is not None:
        schema["minimum"] = low

    if high is not None:
        schema["maximum"] = high

    return schema


def obj(
    properties: dict[str, Any], required: tuple[str, ...] = (), closed: bool = True
) -> dict[str, Any]:
    """An object schema; ``closed`` refuses unknown fields."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)

    if closed:
        schema["additionalProperties"] = False

    return schema


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict[str, Any], most: int | None = None, **more: Any) -> dict:
    """An array schema."""
    schema: dict[str, Any] = {"type": "array", "items": items, **more}
    if most is not None:
        schema["maxItems"] = most

    return schema


DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_NUMBER = {"type": "number", "nullable": True}
CODE = string(1, 20)
COUNTY = {"type": "string", "enum": list(ZHAOTONG_COUNTIES)}

PLACE = {
    "name": string(1, 200),
    "county_code": COUNTY,
    "township": string(0, 100),
    "village": string(0, 100),
    "latitude": number(-90, 90),
    "longitude": number(-180, 180),
    "altitude_m": number(-500, 9000),
    "variety": string(0, 60),
}
LOT_DETAILS = {
    "variety": string(1, 60),
    "window_start": DATE,
    "harvested_on": DATE,
    "quantity_kg": {**number(0), "nullable": True},
    "grade": string(0, 20),
}
FINDING = obj(
    {
        "substance": string(1, 200),
        "mg_per_kg": number(0),
        "limit_mg_per_kg": {**number(0), "nullable": True},
    },
    ("substance", "mg_per_kg"),
)
WENT = obj(
    {
        "shipment_id": {"type": "integer"},
        "shipped_by": {"type": "string"},
        "consignee": {"type": "string"},
        "destination": {"type": "string"},
        "shipped_on": DATE,
        "quantity_kg": NULLABLE_NUMBER,
    },
    ("shipment_id", "shipped_by", "consignee", "shipped_on"),
    closed=False,
)

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
                ("status", "code", "message"),
            )
        },
        ("error",),
    ),
    "Orchard": obj(
        {"code": CODE, "county": {"type": "string"}, **PLACE},
        ("code", "name", "county_code", "latitude", "longitude", "altitude_m"),
        closed=False,
    ),
    "OrchardNew": obj(
        {"code": CODE, **PLACE},
        ("code", "name", "county_code", "latitude", "longitude", "altitude_m"),
    ),
    "OrchardChange": obj(PLACE),
    "Device": obj(
        {
            "id": string(1, 64),
            "orchard": CODE,
            "kind": {"type": "string", "enum": list(DEVICE_KINDS)},
            "active": {"type": "boolean"},
            "acl": {"type": "string"},
        },
        ("id", "orchard", "kind", "active"),
        closed=False,
    ),
    "DeviceNew": obj(
        {
            "device_id": string(1, 64),
            "orchard": CODE,
            "kind": {"type": "string", "enum": list(DEVICE_KINDS)},
        },
        ("device_id", "orchard"),
    ),
    "DeviceChange": obj({"active": {"type": "boolean"}}, ("active",)),
    "Credentials": obj(
        {
            "username": {"type": "string"},
            "password": {"type": "string"},
            "topic": {"type": "string"},
            "acl": {"type": "string"},
        },
        ("username", "password", "topic", "acl"),
    ),
    "Lot": obj(
        {
            "code": CODE,
            "orchard": CODE,
            **LOT_DETAILS,
            "status": {"type": "string", "enum": list(STATUSES)},
            "owner": {"type": "boolean"},
            "shared_with": array({"type": "string"}),
            "recalled": {"type": "boolean"},
        },
        ("code", "orchard", "variety", "window_start", "harvested_on", "status"),
        closed=False,
    ),
    "LotNew": obj(
        {"code": CODE, "orchard": CODE, **LOT_DETAILS},
        ("code", "orchard", "variety", "window_start", "harvested_on"),
    ),
    "LotChange": obj(LOT_DETAILS),
    "Share": obj({"packing_house": string(1, 200)}, ("packing_house",)),
    "Finding": FINDING,
    "Inspection": obj(
        {
            "id": {"type": "integer"},
            "lab": {"type": "string"},
            "inspected_on": DATE,
            "passed": {"type": "boolean"},
            "residues": array(FINDING),
            "has_report": {"type": "boolean"},
            "notes": {"type": "string"},
        },
        ("id", "lab", "inspected_on", "passed", "residues", "has_report"),
        closed=False,
    ),
    "InspectionNew": obj(
        {
            "lab": string(1, 200),
            "inspected_on": DATE,
            "passed": {"type": "boolean"},
            "residues": array(FINDING, 200),
            "notes": string(0, 5000),
        },
        ("lab", "inspected_on", "passed"),
    ),
    "Recall": obj(
        {
            "id": {"type": "integer"},
            "lot": CODE,
            "label_run": {"type": "integer", "nullable": True},
            "reason": {"type": "string"},
            "recalled_at": DATETIME,
            "lifted_at": {**DATETIME, "nullable": True},
            "went": array(WENT),
        },
        ("id", "lot", "label_run", "reason", "recalled_at", "lifted_at"),
        closed=False,
    ),
    "RecallNew": obj(
        {
            "lot": CODE,
            "label_run": {
                "type": "integer",
                "nullable": True,
                "minimum": 1,
                "maximum": MAX_ID,
            },
            "reason": string(4, 2000),
        },
        ("lot", "reason"),
    ),
    "Shipment": obj(
        {
            "id": {"type": "integer"},
            "consignee": {"type": "string"},
            "destination": {"type": "string"},
            "shipped_on": DATE,
            "lots": array(
                obj(
                    {"code": CODE, "quantity_kg": NULLABLE_NUMBER},
                    ("code",),
                    closed=False,
                )
            ),
        },
        ("id", "consignee", "destination", "shipped_on", "lots"),
        closed=False,
    ),
    "ShipmentNew": obj(
        {
            "consignee": string(1, 200),
            "destination": string(0, 300),
            "shipped_on": DATE,
            "lots": array(
                obj(
                    {"code": CODE, "quantity_kg": {**number(0), "nullable": True}},
                    ("code",),
                ),
                500,
                minItems=1,
            ),
        },
        ("consignee", "shipped_on", "lots"),
    ),
    "ImportResult": obj(
        {
            "kind": {"type": "string", "enum": ["orchards", "lots"]},
            "dry_run": {"type": "boolean"},
            "imported": {"type": "integer"},
            "rows": array(
                obj(
                    {
                        "number": {"type": "integer"},
                        "code": {"type": "string"},
                        "ok": {"type": "boolean"},
                        "field": {"type": "string", "nullable": True},
                        "error": {"type": "string", "nullable": True},
                    },
                    ("number", "ok", "field", "error"),
                    closed=False,
                )
            ),
        },
        ("kind", "dry_run", "imported", "rows"),
        closed=False,
    ),
    "Member": obj(
        {
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "role": {"type": "string", "enum": list(ROLES)},
            "active": {"type": "boolean"},
        },
        ("username", "role", "active"),
        closed=False,
    ),
    "MemberNew": obj(
        {
            "username": string(3, 80),
            "password": string(8, 1024),
            "role": {"type": "string", "enum": list(ROLES)},
            "display_name": string(0, 120),
        },
        ("username", "password", "role"),
    ),
    "Token": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": list(ROLES)},
            "created_at": DATETIME,
            "revoked": {"type": "boolean"},
            "token": {"type": "string"},
        },
        ("id", "name", "role", "created_at", "revoked"),
        closed=False,
    ),
    "LabelRun": obj(
        {
            "id": {"type": "integer"},
            "lot": CODE,
            "gtin": {"type": "string"},
            "count": {"type": "integer"},
            "issued": {"type": "integer"},
            "template": {"type": "string"},
            "short": {"type": "boolean"},
            "created_at": DATETIME,
            "voided": array(
                obj(
                    {
                        "index": {"type": "integer"},
                        "reason": {"type": "string"},
                        "replaced_by": {"type": "integer", "nullable": True},
                    },
                    ("index",),
                    closed=False,
                )
            ),
        },
        ("id", "lot", "gtin", "count", "issued", "created_at", "voided"),
        closed=False,
    ),
    "LabelRunNew": obj(
        {
            "count": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
            "gtin": string(0, 14),
            "template": string(1, 40),
            "short": {"type": "boolean"},
        },
        ("count",),
    ),
    "VoidLabels": obj(
        {
            "indexes": array(
                {"type": "integer", "minimum": 0, "maximum": 2**20}, 10_000, minItems=1
            ),
            "reason": string(0, 200),
            "replace": {"type": "boolean"},
        },
        ("indexes",),
    ),
    "TokenNew": obj(
        {"name": string(1, 120), "role": {"type": "string", "enum": list(ROLES)}},
        ("name", "role"),
    ),
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error")}},
    }


ERRORS = {
    "400": _error("The request is malformed or a value is wrong; field names it."),
    "401": _error("No valid API token was given."),
    "403": _error("The token's role may not do this."),
    "404": _error("Nothing with that key is visible to the token's organization."),
    "409": _error("The change conflicts with what exists, e.g. a code taken."),
}


def _param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PARAMS = {
    "code": _param("code", CODE),
    "device_id": _param("device_id", string(1, 64)),
    "inspection_id": _param("inspection_id", ID),
    "recall_id": _param("recall_id", ID),
    "shipment_id": _param("shipment_id", ID),
    "token_id": _param("token_id", ID),
    "run_id": _param("run_id", ID),
    "name": _param("name", string(1, 200)),
    "kind": _param("kind", {"type": "string", "enum": ["orchards", "lots"]}),
}


def operation(
    summary: str,
    answer: dict[str, Any] | None,
    status: str = "200",
    body: str | None = None,
    errors: tuple[str, ...] = ("401", "403", "404"),
    **more: Any,
) -> dict[str, Any]:
    """One operation: its summary, JSON body, answer and error statuses."""
    responses: dict[str, Any] = {}
    override = more.pop("responses_override", None)
    if override is not None:
        responses[status] = override
    elif answer is None:
        responses[status] = {"description": "Done; no body."}
    else:
        responses[status] = {
            "description": "Done.",
            "content": {"application/json": {"schema": answer}},
        }

    codes = ("400", *errors) if body or "parameters" in more else errors
    for code in codes:
        responses[code] = ERRORS[code]

    op: dict[str, Any] = {"summary": summary, "responses": responses, **more}
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }

    return op


def document(paths: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The whole OpenAPI 3.0 document around the given paths."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "appletrace API",
            "version": __version__,
            "description": (
                "Everything the co-op pages do, as JSON. Authenticate with "
                "'Authorization: Bearer TOKEN' (an admin makes tokens under API "
                "tokens). Every error has the shape of the Error schema."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
    }
