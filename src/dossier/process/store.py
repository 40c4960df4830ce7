"""Applications as the faces see them: read from the catalog, with their steps and open items."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.roles import Role
from dossier.archive.audit import plain
from dossier.archive.catalog.models import Borrower
from dossier.archive.catalog.process_tables import ApplicationRow, ApplicationStepRow, OpenItemRow
from dossier.config import Config
from dossier.domain.document_types import document_types
from dossier.domain.enums import GuaranteeMethod, LabeledEnum, Product
from dossier.process.enums import ActionKind, Refusal, Status
from dossier.process.errors import ProcessRefused
from dossier.process.settings import process_settings
from dossier.process.stages import Flow, flow_named


@dataclass(frozen=True)
class Step:
    seq: int
    kind: ActionKind
    from_stage: str | None
    from_label: str
    to_stage: str
    to_label: str
    actor: str
    role: str
    role_label: str
    at: datetime
    reasons: tuple[str, ...]
    details: dict[str, Any]
    event_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "kind_label": self.kind.label,
            "from_stage": self.from_stage,
            "from_label": self.from_label,
            "to_stage": self.to_stage,
            "to_label": self.to_label,
            "actor": self.actor,
            "role": self.role,
            "role_label": self.role_label,
            "at": plain(self.at),
            "reasons": list(self.reasons),
            "documents": self.details.get("documents", []),
            "conditions": self.details.get("conditions"),
            "doc_types": self.details.get("doc_types", []),
            "event_hash": self.event_hash,
        }


@dataclass(frozen=True)
class OpenItem:
    id: int
    doc_type: str
    doc_type_label: str
    requested_at: datetime
    closed_at: datetime | None
    closed_by_document: int | None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc_type": self.doc_type,
            "doc_type_label": self.doc_type_label,
            "requested_at": plain(self.requested_at),
            "closed_at": plain(self.closed_at),
            "closed_by_document": self.closed_by_document,
            "open": self.open,
        }


@dataclass(frozen=True)
class Application:
    id: int
    borrower_id: int
    borrower_key: str
    borrower_name: str
    product: str
    flow: Flow
    amount: Decimal
    term_months: int
    guarantees: tuple[str, ...]
    purpose: str | None
    applicant: str
    stage: str
    holder: str | None
    status: Status
    version: int
    stage_since: datetime
    conditions: dict[str, Any]
    contract_number: str | None
    created_at: datetime
    steps: tuple[Step, ...] = ()
    items: tuple[OpenItem, ...] = ()

    @property
    def number(self) -> str:
        return f"SQ{self.id:06d}"

    @property
    def stage_label(self) -> str:
        return self.flow.label(self.stage)

    @property
    def stage_role(self) -> Role:
        return self.flow.get(self.stage).role

    @property
    def open_items(self) -> tuple[OpenItem, ...]:
        return tuple(item for item in self.items if item.open)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "borrower_id": self.borrower_id,
            "borrower_key": self.borrower_key,
            "borrower_name": self.borrower_name,
            "product": self.product,
            "product_label": _label(Product, self.product),
            "flow": self.flow.name,
            "amount": plain(self.amount),
            "term_months": self.term_months,
            "guarantees": list(self.guarantees),
            "guarantee_labels": [_label(GuaranteeMethod, g) for g in self.guarantees],
            "purpose": self.purpose,
            "applicant": self.applicant,
            "stage": self.stage,
            "stage_label": self.stage_label,
            "stage_role": self.stage_role.value,
            "stage_role_label": self.stage_role.label,
            "holder": self.holder,
            "status": self.status.value,
            "status_label": self.status.label,
            "version": self.version,
            "stage_since": plain(self.stage_since),
            "conditions": plain(self.conditions),
            "contract_number": self.contract_number,
            "created_at": plain(self.created_at),
            "steps": [s.to_dict() for s in self.steps],
            "open_items": [i.to_dict() for i in self.items],
        }


def _label(enum: type[LabeledEnum], value: str) -> str:
    try:
        return enum(value).label
    except ValueError:
        return value


def not_found(application_id: int) -> ProcessRefused:
    return ProcessRefused(
        Refusal.NOT_FOUND,
        f"application {application_id} not found",
        f"授信申请 {application_id} 不存在",
    )


def row_or_refuse(session: Session, application_id: int) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id)
    if row is None:
        raise not_found(application_id)
    return row


def _doc_labels(config: Config) -> dict[str, str]:
    return {t.key: t.label for t in document_types(config)}


def view(session: Session, row: ApplicationRow, config: Config, *, full: bool = True) -> Application:
    settings = process_settings(config)
    flow = flow_named(settings, row.flow)
    borrower = session.get(Borrower, row.borrower_id)
    assert borrower is not None
    steps: tuple[Step, ...] = ()
    items: tuple[OpenItem, ...] = ()
    if full:
        steps = tuple(_step(s, flow) for s in steps_of(session, row.id))
        labels = _doc_labels(config)
        items = tuple(
            OpenItem(
                id=i.id,
                doc_type=i.doc_type,
                doc_type_label=labels.get(i.doc_type, i.doc_type),
                requested_at=i.requested_at,
                closed_at=i.closed_at,
                closed_by_document=i.closed_by_document,
            )
            for i in session.execute(
                select(OpenItemRow).where(OpenItemRow.application_id == row.id).order_by(OpenItemRow.id)
            ).scalars()
        )
    return Application(
        id=row.id,
        borrower_id=row.borrower_id,
        borrower_key=borrower.key,
        borrower_name=borrower.name,
        product=row.product,
        flow=flow,
        amount=Decimal(row.amount),
        term_months=row.term_months,
        guarantees=tuple(row.guarantees or ()),
        purpose=row.purpose,
        applicant=row.applicant,
        stage=row.stage,
        holder=row.holder,
        status=Status(row.status),
        version=row.version,
        stage_since=row.stage_since,
        conditions=dict(row.conditions or {}),
        contract_number=row.contract_number,
        created_at=row.created_at,
        steps=steps,
        items=items,
    )


def steps_of(session: Session, application_id: int) -> list[ApplicationStepRow]:
    query = (
        select(ApplicationStepRow)
        .where(ApplicationStepRow.application_id == application_id)
        .order_by(ApplicationStepRow.seq)
    )
    return list(session.execute(query).scalars())


def _step(row: ApplicationStepRow, flow: Flow) -> Step:
    try:
        role_label = Role(row.role).label
    except ValueError:
        role_label = row.role
    return Step(
        seq=row.seq,
        kind=ActionKind(row.kind),
        from_stage=row.from_stage,
        from_label=flow.label(row.from_stage),
        to_stage=row.to_stage,
        to_label=flow.label(row.to_stage),
        actor=row.actor,
        role=row.role,
        role_label=role_label,
        at=row.at,
        reasons=tuple(row.reasons or ()),
        details=dict(row.details or {}),
        event_hash=row.event_hash,
    )


def load(session: Session, application_id: int, config: Config) -> Application:
    return view(session, row_or_refuse(session, application_id), config)


def rows(
    session: Session, *, borrower_ids: Iterable[int] | None = None, status: Status | None = None
) -> list[ApplicationRow]:
    query = select(ApplicationRow).order_by(ApplicationRow.id)
    if borrower_ids is not None:
        query = query.where(ApplicationRow.borrower_id.in_(list(borrower_ids)))
    if status is not None:
        query = query.where(ApplicationRow.status == status.value)
    return list(session.execute(query).scalars())
