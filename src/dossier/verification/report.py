"""The due-diligence report (尽职调查档案): what was checked, how, by whom and when, in time order.

Built only from the catalog and the audit chain: the ``file``/``version`` events (every document's filing
time), the ``verify`` events (every verification record and its evidence) and the completeness review
(which verifications the checklists require, and whether each is met). Every line names the audit event
it comes from (sequence number and hash) and the report names the chain's head it was built at, so
``dossier audit verify`` vouches for it; its fingerprint (SHA-256 of its canonical JSON) is itself
appended to the chain when the report is issued (:func:`record_report`), and :func:`check_report` rebuilds a
report at its head and compares fingerprints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import AuditHeadMissing, append_event, canonical, plain
from dossier.archive.catalog.models import AuditHead, Borrower, Document, Event, Loan
from dossier.archive.completeness.snapshot import BorrowerSnapshot, VerificationFacts, load_snapshot
from dossier.archive.home import Archive
from dossier.archive.registry import normalize_key
from dossier.archive.renditions import MIGRATE_ACTION
from dossier.config import Config
from dossier.domain.document_types import document_types
from dossier.errors import DossierError
from dossier.process.record import application_paths
from dossier.verification.records import VerificationError, VerificationRecord, verification_events
from dossier.verification.settings import diligence_settings, verification_settings

REPORT_ACTION = "diligence-report"
CONTENT_KEYS = ("borrower", "loan", "loans", "as_of", "chain_head", "required", "timeline", "verifications")
"""The keys of a report's JSON form its fingerprint covers (all but the fingerprint and the print time)."""
_FILING_ACTIONS = ("file", "version")


@dataclass(frozen=True)
class TimelineEntry:
    """One dated fact of the report: a document filed, a notice sent, a receipt filed, a verification."""

    at: datetime
    """The audit event's time (when the archive learnt of it)."""
    kind: str
    """``filed``, ``notice``, ``receipt``, ``evidence`` or ``verification``."""
    kind_label: str
    seq: int
    event_hash: str
    actor: str
    document_id: int
    title: str
    doc_type: str
    doc_type_label: str
    path: str | None = None
    sha256: str | None = None
    doc_date: date | None = None
    loan: str | None = None
    verification: VerificationRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "at": plain(self.at),
            "kind": self.kind,
            "kind_label": self.kind_label,
            "seq": self.seq,
            "event_hash": self.event_hash,
            "actor": self.actor,
            "document_id": self.document_id,
            "title": self.title,
            "doc_type": self.doc_type,
            "doc_type_label": self.doc_type_label,
            "path": self.path,
            "sha256": self.sha256,
            "doc_date": plain(self.doc_date),
            "loan": self.loan,
        }
        if self.verification is not None:
            data["verification"] = self.verification.to_dict()
        return data


@dataclass(frozen=True)
class RequiredCheck:
    """A verification a checklist requires of one loan's file, and whether the records meet it."""

    loan: str
    item: str
    label: str
    requirement: str
    status: str
    status_label: str
    document_id: int | None
    document_title: str | None
    note: str | None
    records: tuple[VerificationRecord, ...]
    """Every record of the document (corrected ones marked), newest last."""
    satisfied_by: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "loan": self.loan,
            "item": self.item,
            "label": self.label,
            "requirement": self.requirement,
            "status": self.status,
            "status_label": self.status_label,
            "document_id": self.document_id,
            "document_title": self.document_title,
            "note": self.note,
            "records": [r.to_dict() for r in self.records],
            "satisfied_by": list(self.satisfied_by),
        }


@dataclass(frozen=True)
class Report:
    borrower_key: str
    borrower_name: str
    customer_type: str
    officer: str | None
    loan: str | None
    loans: tuple[dict[str, Any], ...]
    as_of: date
    head_seq: int
    head_hash: str
    required: tuple[RequiredCheck, ...]
    timeline: tuple[TimelineEntry, ...]
    verifications: tuple[VerificationRecord, ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    applications: tuple[dict[str, Any], ...] = ()
    """The borrower's credit applications and their paths, from the chain (审贷分离: who did what)."""
    custody: tuple[dict[str, Any], ...] = ()
    """Who held the borrower when (handovers, transfers to 资产保全), as far as the chain head knows."""

    def content(self) -> dict[str, Any]:
        """Everything the fingerprint covers: the report without the time it was printed."""
        return {
            "borrower": {
                "key": self.borrower_key,
                "name": self.borrower_name,
                "customer_type": self.customer_type,
                "officer": self.officer,
            },
            "loan": self.loan,
            "loans": [plain(dict(loan)) for loan in self.loans],
            "as_of": self.as_of.isoformat(),
            "chain_head": {"seq": self.head_seq, "hash": self.head_hash},
            "required": [r.to_dict() for r in self.required],
            "timeline": [t.to_dict() for t in self.timeline],
            "verifications": [v.to_dict() for v in self.verifications],
            # Only when there are any: a report made before the credit process keeps its fingerprint.
            **({"applications": list(self.applications)} if self.applications else {}),
            # Only when there is a history: a report without one keeps the fingerprint it always had.
            **({"custody": [dict(h) for h in self.custody]} if self.custody else {}),
        }

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(canonical(self.content())).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the content, its fingerprint and when it was generated."""
        return {**self.content(), "fingerprint": self.fingerprint, "generated_at": plain(self.generated_at)}

    def to_html(self, config: Config, *, issued_seq: int | None = None) -> str:
        from dossier.verification.report_html import report_html

        return report_html(self, config, issued_seq=issued_seq)

    @property
    def unmet(self) -> tuple[RequiredCheck, ...]:
        return tuple(r for r in self.required if r.status != "present")


_KIND_LABELS = {
    "filed": "归档",
    "notice": "通知发出",
    "receipt": "回执归档",
    "evidence": "核实证据归档",
    "verification": "核实记录",
}


def diligence_report(
    archive: Archive,
    borrower_key: str,
    loan_no: str | None = None,
    *,
    as_of: date | None = None,
    until_seq: int | None = None,
) -> Report:
    """The due-diligence report of a borrower's file, or of one loan (``loan_no``) and the borrower's
    own documents. ``until_seq`` rebuilds it as the chain stood at that event (see check_report)."""
    key = normalize_key(borrower_key, archive.config)
    day = as_of or datetime.now(verification_settings(archive.config).local_zone).date()
    return archive.transaction(lambda s: _build(archive, s, key, loan_no, day, until_seq), write=False)


def _build(
    archive: Archive, session: Session, key: str, loan_no: str | None, as_of: date, until_seq: int | None
) -> Report:
    borrower = session.execute(select(Borrower).where(Borrower.key == key)).scalar_one_or_none()
    if borrower is None:
        raise VerificationError(f"borrower (借款人): no borrower {key} in the archive (档案中没有该借款人)")
    loans = {
        loan.id: loan
        for loan in session.execute(select(Loan).where(Loan.borrower_id == borrower.id)).scalars()
    }
    wanted: Loan | None = None
    if loan_no is not None:
        number = loan_no.strip().upper()
        wanted = next((loan for loan in loans.values() if loan.contract_number == number), None)
        if wanted is None:
            raise VerificationError(
                f"loan (贷款): borrower {key} has no loan {loan_no} (该借款人名下无此合同)"
            )
    head = session.get(AuditHead, 1)
    if head is None:
        # A report names the head it was made at (an anchor, audit.anchors): without the row it has none.
        raise AuditHeadMissing()
    head_seq = min(until_seq, head.seq) if until_seq is not None and head else (head.seq if head else 0)
    head_hash = (
        session.execute(select(Event.hash).where(Event.seq == head_seq)).scalar_one_or_none() or ""
        if head_seq
        else ""
    )
    documents = {
        d.id: d
        for d in session.execute(select(Document).where(Document.borrower_id == borrower.id)).scalars()
    }
    documents.update(_merged_before(session, key, head_seq, documents))

    def in_scope(document_id: int) -> bool:
        doc = documents.get(document_id)
        if doc is None:
            return False
        return wanted is None or doc.loan_id in (None, wanted.id)

    labels = {t.key: t.label for t in document_types(archive.config)}
    settings = diligence_settings(archive.config)
    records = [
        r
        for r in verification_events(session, borrower_key=key, until_seq=head_seq)
        if in_scope(r.document_id)
    ]
    evidence_ids = {ref.document_id for r in records for ref in r.evidence}
    timeline = _timeline(session, key, head_seq, documents, loans, in_scope, labels, settings, evidence_ids)
    timeline += [_verification_entry(r, labels) for r in records]
    timeline.sort(key=lambda t: (t.at, t.seq))
    scope = [wanted] if wanted is not None else sorted(loans.values(), key=lambda loan: loan.contract_number)
    filed = set(
        session.execute(
            select(Event.target).where(
                Event.borrower_key == key, Event.action.in_(_FILING_ACTIONS), Event.seq <= head_seq
            )
        ).scalars()
    )
    filed_ids = {int(t.removeprefix("document:")) for t in filed}
    all_records = verification_events(session, borrower_key=key, until_seq=head_seq)
    required = _required(archive, session, key, scope, all_records, as_of, documents, filed_ids)
    return Report(
        borrower_key=borrower.key,
        borrower_name=borrower.name,
        customer_type=borrower.customer_type,
        officer=borrower.officer,
        loan=wanted.contract_number if wanted is not None else None,
        loans=tuple(_loan_facts(loan) for loan in scope),
        as_of=as_of,
        head_seq=head_seq,
        head_hash=head_hash,
        required=tuple(required),
        timeline=tuple(timeline),
        verifications=tuple(records),
        applications=tuple(application_paths(session, archive.config, key, head_seq)),
        custody=_custody(session, borrower.id, head_seq),
    )


def _custody(session: Session, borrower_id: int, head_seq: int) -> tuple[dict[str, Any], ...]:
    """The borrower's holdings whose completing event is at or before the report's chain head, so a
    report rebuilt at that head (check_report) sees the same history."""
    from dossier.archive.custody_history import holdings

    known = set(
        session.execute(
            select(Event.target).where(
                Event.action.in_(("handover.complete", "custody.transfer")), Event.seq <= head_seq
            )
        ).scalars()
    )
    return tuple(
        {
            "since": h.since.isoformat(),
            "holder": h.holder,
            "previous": h.previous,
            "number": h.number,
            "kind": h.kind,
        }
        for h in holdings(session, [borrower_id]).get(borrower_id, [])
        if f"{h.kind}:{h.number}" in known
    )


def _merged_before(
    session: Session, key: str, head_seq: int, documents: Mapping[int, Document]
) -> dict[int, Document]:
    """Generated PDFs that were documents of their own at ``head_seq`` and were merged later into their
    DOCX's document as its rendition (archive.renditions): each stands for that document, so a report
    made before the merge is rebuilt as it was. After the merge they are renditions, not documents."""
    merged: dict[int, Document] = {}
    events = session.execute(
        select(Event.details).where(
            Event.borrower_key == key, Event.action == MIGRATE_ACTION, Event.seq > head_seq
        )
    ).scalars()
    for details in events:
        old, into = (details or {}).get("merged"), (details or {}).get("document")
        if isinstance(old, int) and isinstance(into, int) and into in documents:
            merged[old] = documents[into]
    return merged


def _loan_facts(loan: Loan) -> dict[str, Any]:
    return {
        "contract_number": loan.contract_number,
        "product": loan.product,
        "amount": loan.amount,
        "start_date": loan.start_date,
        "maturity_date": loan.maturity_date,
        "guarantee_methods": list(loan.guarantee_methods or ()),
        "officer": loan.officer,
    }


def _timeline(
    session: Session,
    key: str,
    head_seq: int,
    documents: Mapping[int, Document],
    loans: Mapping[int, Loan],
    in_scope: Any,
    labels: Mapping[str, str],
    settings: Any,
    evidence_ids: set[int],
) -> list[TimelineEntry]:
    query = (
        select(Event)
        .where(Event.borrower_key == key, Event.action.in_(_FILING_ACTIONS), Event.seq <= head_seq)
        .order_by(Event.seq)
    )
    entries: list[TimelineEntry] = []
    for event in session.execute(query).scalars():
        document_id = int(event.target.removeprefix("document:"))
        if not in_scope(document_id):
            continue
        details = event.details or {}
        doc = documents[document_id]
        doc_type = str(details.get("doc_type") or doc.doc_type)
        if doc_type in settings.notice_types:
            kind = "notice"
        elif doc_type in settings.receipt_types:
            kind = "receipt"
        elif document_id in evidence_ids:
            kind = "evidence"
        else:
            kind = "filed"
        loan = loans.get(doc.loan_id) if doc.loan_id is not None else None
        entries.append(
            TimelineEntry(
                at=event.at.astimezone(UTC),
                kind=kind,
                kind_label=_KIND_LABELS[kind],
                seq=event.seq,
                event_hash=event.hash,
                actor=event.actor,
                document_id=document_id,
                title=str(details.get("title") or doc.title),
                doc_type=doc_type,
                doc_type_label=labels.get(doc_type, doc_type),
                path=details.get("path"),
                sha256=details.get("sha256"),
                doc_date=doc.doc_date,
                loan=loan.contract_number if loan is not None else None,
            )
        )
    return entries


def _verification_entry(record: VerificationRecord, labels: Mapping[str, str]) -> TimelineEntry:
    return TimelineEntry(
        at=record.recorded_at,
        kind="verification",
        kind_label=_KIND_LABELS["verification"],
        seq=record.id,
        event_hash=record.event_hash,
        actor=record.actor,
        document_id=record.document_id,
        title=record.document_title,
        doc_type=record.doc_type,
        doc_type_label=labels.get(record.doc_type, record.doc_type),
        loan=record.loan,
        verification=record,
    )


def _required(
    archive: Archive,
    session: Session,
    key: str,
    loans: list[Loan],
    records: list[VerificationRecord],
    as_of: date,
    documents: Mapping[int, Document],
    filed: set[int],
) -> list[RequiredCheck]:
    """Each checklist item with a verification rule, per loan, as the completeness review judges it."""
    if not loans:
        return []
    # Imported here: the checklists import this package's enums, so a top-level import is a cycle.
    from dossier.archive.completeness import evaluate_loan, load_checklists

    checklists = load_checklists(archive.config)
    snapshot = _as_of_head(load_snapshot(session, key), records, filed, archive)
    by_number = {loan.contract_number: loan for loan in snapshot.loans}
    by_document: dict[int, list[VerificationRecord]] = {}
    for record in records:
        by_document.setdefault(record.document_id, []).append(record)
    found: list[RequiredCheck] = []
    for loan in loans:
        result = evaluate_loan(
            snapshot, by_number[loan.contract_number], checklists, as_of, config=archive.config
        )
        for item in result.items:
            if item.verification is None:
                continue
            doc_id = item.document_ids[-1] if item.document_ids else None
            doc = documents.get(doc_id) if doc_id is not None else None
            found.append(
                RequiredCheck(
                    loan=loan.contract_number,
                    item=item.key,
                    label=item.label,
                    requirement=item.verification,
                    status=item.status.value,
                    status_label=item.status_label,
                    document_id=doc_id,
                    document_title=doc.title if doc is not None else None,
                    note=item.note,
                    records=tuple(by_document.get(doc_id, ())) if doc_id is not None else (),
                    satisfied_by=item.verification_ids,
                )
            )
    return found


def _as_of_head(
    snapshot: BorrowerSnapshot, records: list[VerificationRecord], filed: set[int], archive: Archive
) -> BorrowerSnapshot:
    """The snapshot as the chain stood at the report's head: documents filed by then, and the records
    made by then (corrections counted only when they too were made by then)."""
    zone = verification_settings(archive.config).local_zone
    checks: dict[int, list[VerificationFacts]] = {}
    for r in records:
        if not r.current:
            continue
        checks.setdefault(r.document_id, []).append(
            VerificationFacts(
                id=r.id,
                method=r.method.value,
                result=r.result.value,
                aspect=r.aspect.value,
                checked_on=(r.claimed_at or r.recorded_at).astimezone(zone).date(),
                recorded_on=r.recorded_at.astimezone(zone).date(),
                evidence_kinds=tuple(ref.kind for ref in r.evidence),
            )
        )
    documents = tuple(
        replace(d, verifications=tuple(checks.get(d.id, ()))) for d in snapshot.documents if d.id in filed
    )
    return replace(snapshot, documents=documents)


def record_report(archive: Archive, report: Report, actor: str) -> int:
    """Append the report's fingerprint to the audit chain (an issued report is an event, like an export);
    returns the event's sequence number, printed on the report."""

    def write(session: Session) -> int:
        event = append_event(
            session,
            actor=actor,
            action=REPORT_ACTION,
            target=f"borrower:{report.borrower_key}" + (f"/loan:{report.loan}" if report.loan else ""),
            borrower_key=report.borrower_key,
            details={
                "fingerprint": report.fingerprint,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "as_of": report.as_of,
                "loan": report.loan,
                "required": len(report.required),
                "unmet": len(report.unmet),
                "entries": len(report.timeline),
            },
        )
        return event.seq

    return archive.transaction(write)


@dataclass(frozen=True)
class ReportCheck:
    ok: bool
    fingerprint: str
    """The fingerprint of the report rebuilt from the archive at the report's chain head."""
    message: str


def check_report(archive: Archive, data: Mapping[str, Any]) -> ReportCheck:
    """Whether a report (its JSON form) is what the archive says at the report's chain head."""
    try:
        key = data["borrower"]["key"]
        head = data["chain_head"]
        as_of = date.fromisoformat(data["as_of"])
        claimed = data["fingerprint"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DossierError(f"report: not a diligence report in JSON form (不是尽职报告): {exc}") from None
    given = {name: data.get(name) for name in CONTENT_KEYS}
    if "applications" in data:
        given["applications"] = data["applications"]
    if hashlib.sha256(canonical(given)).hexdigest() != claimed:
        return ReportCheck(False, claimed, "the report was changed after it was made (报告内容与其指纹不符)")
    rebuilt = diligence_report(archive, key, data.get("loan"), as_of=as_of, until_seq=int(head["seq"]))
    if rebuilt.head_hash != head.get("hash"):
        return ReportCheck(False, rebuilt.fingerprint, "the chain head differs (审计链头不一致)")
    if rebuilt.fingerprint != claimed:
        return ReportCheck(
            False, rebuilt.fingerprint, "the report differs from the archive (报告内容与档案不符)"
        )
    return ReportCheck(True, rebuilt.fingerprint, "the report matches the archive (报告与档案一致)")
