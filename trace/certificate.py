"""Compliance certificates (承诺达标合格证): issuing, numbering, listing.

Required content (农业农村部令2025年第4号, in force 2026-02-01): product,
quantity, producer with origin and contact, date, the promise and its basis.
A certificate is frozen when issued: its row keeps the text it was printed with,
so every reprint says the same; the PDF layout is ``labels.certificate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from appletrace.trace import audit
from appletrace.trace.counties import ZHAOTONG_COUNTIES
from appletrace.trace.errors import InvalidInput, NotFound
from appletrace.trace.models import (
    Certificate,
    Inspection,
    Lot,
    Orchard,
    Organization,
    Recall,
    Shipment,
    ShipmentLot,
)
from appletrace.trace.types import row_id

PROMISE = "不使用禁用农药兽药、停用兽药和非法添加物，常规农药兽药残留不超标"
BASES: dict[str, str] = {
    "own-control": "自我质量控制",
    "own-test": "自行检测",
    "commissioned-test": "委托检测",
}
TESTED_BASES = ("own-test", "commissioned-test")


@dataclass(frozen=True)
class IssueRequest:
    """What the issuer chose: basis, an inspection, a shipment, a quantity."""

    basis: str = "own-control"
    inspection_id: int | None = None
    shipment_id: int | None = None
    quantity_kg: float | None = None


@dataclass(frozen=True)
class CertificateSheet:
    """Everything printed on a certificate, as text and numbers."""

    number: str
    product: str
    quantity_kg: float
    producer: str
    phone: str
    origin: str
    issued_on: date
    lot_code: str
    basis: str
    address: str
    inspection: str | None
    promise: str = PROMISE

    @property
    def basis_label(self) -> str:
        """The basis in Chinese, as the certificate names it."""
        return BASES[self.basis]


def issue_certificate(
    session: Session,
    lot: Lot,
    actor: str,
    today: date,
    address: str,
    request: IssueRequest,
) -> Certificate:
    """Issue a certificate for a lot (or its part on one shipment); audited.

    ``address`` is the lot's Digital Link address, printed as the QR code.
    """
    _check_lot(session, lot)
    inspection = _basis_inspection(session, lot, request)
    quantity = _quantity(session, lot, request)
    organization = session.get(Organization, lot.organization_id)
    orchard = session.get(Orchard, lot.orchard_id)
    assert organization is not None and orchard is not None

    certificate = Certificate(
        number=_next_number(session, lot, today),
        lot_id=row_id(lot),
        organization_id=row_id(organization),
        shipment_id=request.shipment_id,
        inspection_id=None if inspection is None else inspection.id,
        basis=request.basis,
        product=f"苹果（{lot.variety}）",
        quantity_kg=quantity,
        producer=organization.name,
        phone=organization.phone,
        origin=origin_text(orchard),
        address=address,
        issued_on=today,
        issued_by=actor,
    )
    session.add(certificate)
    session.flush()
    snapshot = audit.snapshot(certificate)
    audit.record(
        session, actor, "create", "certificate", certificate.number, None, snapshot
    )

    return certificate


def origin_text(orchard: Orchard) -> str:
    """The orchard's place in Chinese, province to village."""
    county = ZHAOTONG_COUNTIES.get(orchard.county_code, orchard.county_code)
    return f"云南省昭通市{county}{orchard.township}{orchard.village}"


def _check_lot(session: Session, lot: Lot) -> None:
    recalled = session.exec(
        select(Recall).where(
            Recall.lot_id == lot.id,
            Recall.label_run_id.is_(None),  # type: ignore[union-attr]
            Recall.lifted_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if recalled is not None or lot.status == "recalled":
        raise InvalidInput(
            "lot",
            f"lot {lot.code} is recalled; a certificate cannot promise it is fit "
            "for sale until the recall is lifted",
        )

    latest = _inspections(session, lot)[-1:]
    if latest and not latest[0].passed:
        failed = latest[0]
        raise InvalidInput(
            "lot",
            f"lot {lot.code} failed its latest inspection (#{failed.id}, "
            f"{failed.inspected_on}, {failed.lab}); a certificate promises residues "
            "within limits: test it again before issuing one",
        )


def _inspections(session: Session, lot: Lot) -> list[Inspection]:
    query = (
        select(Inspection)
        .where(Inspection.lot_id == lot.id)
        .order_by(Inspection.inspected_on, Inspection.id)  # type: ignore[arg-type]
    )
    return list(session.exec(query))


def _basis_inspection(
    session: Session, lot: Lot, request: IssueRequest
) -> Inspection | None:
    if request.basis not in BASES:
        raise InvalidInput(
            "basis",
            f"basis {request.basis!r} is not one of {', '.join(BASES)}",
        )

    if request.inspection_id is not None:
        inspection = session.get(Inspection, request.inspection_id)
        if inspection is None or inspection.lot_id != lot.id:
            raise NotFound("inspection", request.inspection_id)

        if not inspection.passed:
            raise InvalidInput(
                "inspection",
                f"inspection #{inspection.id} of lot {lot.code} did not pass; "
                "attach one that passed",
            )

        return inspection

    passed = [i for i in _inspections(session, lot) if i.passed]
    if request.basis in TESTED_BASES and not passed:
        raise InvalidInput(
            "basis",
            f"basis {request.basis} needs a passed inspection of lot {lot.code}; "
            "record the lab's result first, or issue on --basis own-control",
        )

    return passed[-1] if passed and request.basis in TESTED_BASES else None


def _quantity(session: Session, lot: Lot, request: IssueRequest) -> float:
    quantity = request.quantity_kg
    if request.shipment_id is not None:
        line = session.get(ShipmentLot, (request.shipment_id, lot.id))
        if line is None or session.get(Shipment, request.shipment_id) is None:
            raise InvalidInput(
                "shipment",
                f"shipment {request.shipment_id} does not carry lot {lot.code}; "
                "name a shipment of this lot",
            )

        quantity = quantity if quantity is not None else line.quantity_kg

    quantity = quantity if quantity is not None else lot.quantity_kg
    if quantity is None:
        raise InvalidInput(
            "quantity",
            f"lot {lot.code} has no quantity; give the certificate's --quantity KG",
        )

    if not quantity > 0:
        raise InvalidInput("quantity", f"quantity {quantity} kg must be above 0")

    if lot.quantity_kg is not None and quantity > lot.quantity_kg:
        raise InvalidInput(
            "quantity",
            f"quantity {quantity:g} kg is more than lot {lot.code} holds "
            f"({lot.quantity_kg:g} kg)",
        )

    return float(quantity)


def _next_number(session: Session, lot: Lot, today: date) -> str:
    # Date, lot and a per-lot sequence: readable on the phone and unique without a
    # global counter; the unique index refuses a concurrent duplicate.
    issued = session.exec(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.lot_id == lot.id)
    ).one()

    return f"{today:%Y%m%d}-{lot.code}-{issued + 1}"


def list_certificates(session: Session, lot: Lot) -> list[Certificate]:
    """A lot's certificates, oldest first."""
    query = (
        select(Certificate).where(Certificate.lot_id == lot.id).order_by(Certificate.id)  # type: ignore[arg-type]
    )
    return list(session.exec(query))


def get_certificate(session: Session, number: str) -> Certificate:
    """The certificate with this number."""
    certificate = session.exec(
        select(Certificate).where(Certificate.number == number.strip().upper())
    ).first()
    if certificate is None:
        raise NotFound("certificate", number)

    return certificate


def certificate_sheet(session: Session, certificate: Certificate) -> CertificateSheet:
    """What the PDF prints for a certificate, with its inspection described."""
    lot = session.get(Lot, certificate.lot_id)
    assert lot is not None
    inspection = None
    if certificate.inspection_id is not None:
        found = session.get(Inspection, certificate.inspection_id)
        assert found is not None
        inspection = f"{found.lab}，{found.inspected_on.isoformat()}，合格"

    return CertificateSheet(
        number=certificate.number,
        product=certificate.product,
        quantity_kg=certificate.quantity_kg,
        producer=certificate.producer,
        phone=certificate.phone,
        origin=certificate.origin,
        issued_on=certificate.issued_on,
        lot_code=lot.code,
        basis=certificate.basis,
        address=certificate.address,
        inspection=inspection,
    )


def certificate_row(certificate: Certificate, lot_code: str) -> dict[str, Any]:
    """A certificate as plain values, for --json and the API."""
    return {
        "number": certificate.number,
        "lot": lot_code,
        "basis": certificate.basis,
        "inspection_id": certificate.inspection_id,
        "shipment_id": certificate.shipment_id,
        "product": certificate.product,
        "quantity_kg": certificate.quantity_kg,
        "producer": certificate.producer,
        "origin": certificate.origin,
        "issued_on": certificate.issued_on.isoformat(),
        "issued_by": certificate.issued_by,
        "address": certificate.address,
    }
