"""What blocks an application from leaving its stage: the stage's checklist items (the completeness
review's own judgement: missing, expired, overdue, unverified), open 补充材料 items, 双人调查 (a current
site-visit verification with a second person) and a required document (the signing video)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.catalog.models import Borrower, Document
from dossier.archive.catalog.process_tables import ApplicationRow, OpenItemRow
from dossier.archive.catalog.verification_tables import VerificationRow
from dossier.archive.completeness import evaluate_loan, load_checklists
from dossier.archive.completeness.snapshot import LoanFacts, load_snapshot
from dossier.config import Config
from dossier.domain.document_types import document_types
from dossier.domain.enums import LabeledEnum, Method, Result
from dossier.process.settings import StageRule


class BlockerKind(LabeledEnum):
    CHECKLIST = ("checklist", "清单缺项")
    OPEN_ITEM = ("open-item", "补充材料未齐")
    TWO_PERSON = ("two-person", "双人调查")
    DOCUMENT = ("document", "必备文件")


@dataclass(frozen=True)
class Blocker:
    kind: BlockerKind
    what: str
    """The item, document type or rule, in Chinese."""
    status: str

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "kind_label": self.kind.label,
            "what": self.what,
            "status": self.status,
        }

    def __str__(self) -> str:
        return f"{self.kind.label}：{self.what}（{self.status}）"


@dataclass(frozen=True)
class Gate:
    stage: str
    blockers: tuple[Blocker, ...]
    relied_on: tuple[int, ...]
    """Documents the gate found in order (their hashes go into the step's audit event)."""
    investigators: tuple[str, ...] = ()
    """The people of the site-visit record that met 双人调查 (they count as investigators for 审贷分离)."""

    @property
    def open(self) -> bool:
        return not self.blockers

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "open": self.open,
            "blockers": [b.to_dict() for b in self.blockers],
            "relied_on": list(self.relied_on),
            "investigators": list(self.investigators),
        }


def loan_facts(session: Session, app: ApplicationRow, borrower_key: str) -> tuple[Any, LoanFacts]:
    """The borrower's snapshot and the loan the checklist is judged for: the application's loan once a
    contract number names one, else the application as a loan not yet registered (its borrower's
    documents and those filed under no loan count for it, as for any loan)."""
    snapshot = load_snapshot(session, borrower_key)
    if app.contract_number:
        for loan in snapshot.loans:
            if loan.contract_number == app.contract_number:
                return snapshot, loan
    facts = LoanFacts(
        contract_number=app.contract_number or f"申请{app.id}",
        product=app.product,
        guarantee_methods=tuple(app.guarantees or ()),
        term_months=app.term_months,
        officer=app.applicant,
    )
    return snapshot, facts


def gate(session: Session, app: ApplicationRow, rule: StageRule, config: Config, as_of: date) -> Gate:
    borrower = session.get(Borrower, app.borrower_id)
    assert borrower is not None
    blockers: list[Blocker] = []
    relied: list[int] = []
    if rule.checklist:
        snapshot, loan = loan_facts(session, app, borrower.key)
        result = evaluate_loan(snapshot, loan, load_checklists(config), as_of, config=config)
        for item in result.items:
            if item.stage.label not in rule.checklist and item.stage.value not in rule.checklist:
                continue
            if item.status.is_problem:
                blockers.append(Blocker(BlockerKind.CHECKLIST, item.label, item.status_label))
            else:
                relied.extend(item.document_ids)
    labels = {t.key: t.label for t in document_types(config)}
    if rule.open_items_block:
        items = session.execute(
            select(OpenItemRow)
            .where(OpenItemRow.application_id == app.id, OpenItemRow.closed_at.is_(None))
            .order_by(OpenItemRow.id)
        ).scalars()
        blockers += [
            Blocker(BlockerKind.OPEN_ITEM, labels.get(i.doc_type, i.doc_type), "未提交") for i in items
        ]
        # The documents that met the 补充材料 items are what this stage relied on.
        met = session.execute(
            select(OpenItemRow.closed_by_document)
            .where(OpenItemRow.application_id == app.id, OpenItemRow.closed_by_document.is_not(None))
            .order_by(OpenItemRow.id)
        ).scalars()
        relied += [document for document in met if document is not None]
    investigators: tuple[str, ...] = ()
    if rule.two_person:
        visit = _two_person_visit(session, app.borrower_id)
        if visit is None:
            blockers.append(
                Blocker(BlockerKind.TWO_PERSON, "上门核实须两人进行并登记核实记录", "缺少双人上门核实记录")
            )
        else:
            investigators = (visit.actor, *visit.with_people)
            relied.append(visit.document_id)
    if rule.requires_one_of:
        found = session.execute(
            select(Document.id)
            .where(
                Document.borrower_id == app.borrower_id,
                Document.doc_type.in_(rule.requires_one_of),
                Document.state == "filed",
            )
            .order_by(Document.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if found is None:
            wanted = "或".join(labels.get(t, t) for t in rule.requires_one_of)
            blockers.append(Blocker(BlockerKind.DOCUMENT, wanted, "未归档"))
        else:
            relied.append(found)
    return Gate(rule.key, tuple(blockers), tuple(dict.fromkeys(relied)), investigators)


def _two_person_visit(session: Session, borrower_id: int) -> VerificationRow | None:
    """The newest current site-visit record with result 一致 made by two people or more."""
    corrected = select(VerificationRow.corrects_id).where(VerificationRow.corrects_id.is_not(None))
    query = (
        select(VerificationRow)
        .where(
            VerificationRow.borrower_id == borrower_id,
            VerificationRow.method == Method.SITE_VISIT.value,
            VerificationRow.result == Result.CONSISTENT.value,
            VerificationRow.id.not_in(corrected),
        )
        .order_by(VerificationRow.id.desc())
    )
    for row in session.execute(query).scalars():
        if row.with_people:
            return row
    return None
