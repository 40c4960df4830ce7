"""Verification records (核实记录): append-only events of the audit chain, mirrored into a table.

A record says that a filed document was checked: what (aspect), how (method), by whom (the officer and,
for a site visit, a second person), when the officer says it happened (``claimed_at``), where, with what
result and evidence. Its own time (``recorded_at``) is the time of its audit event, taken from the clock
when it is written: a caller cannot supply it, and a claimed time in the future is refused, so nothing is
back-dated. A record is never changed: a correction is a new record that names the one it corrects
(``corrects``), and the corrected one stays in the chain, marked ``corrected_by``.

A record's number is the sequence number of its audit event (``verification_records.id`` = ``events.seq``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event, plain
from dossier.archive.catalog.models import Borrower, Document, Event, Loan
from dossier.archive.catalog.verification_tables import VerificationRow
from dossier.archive.home import Archive
from dossier.archive.names import check_name
from dossier.errors import DossierError
from dossier.verification.enums import DEFAULT_ASPECT, Aspect, Method, Result
from dossier.verification.evidence import EvidenceFile, EvidenceRef, file_evidence, refs_for_documents
from dossier.verification.settings import VerificationSettings, verification_settings

ACTION = "verify"
"""The audit action of a verification record."""


class VerificationError(DossierError):
    """A verification that cannot be recorded; the message names the field in English and Chinese."""


@dataclass(frozen=True)
class VerificationRecord:
    id: int
    """The record's number: its audit event's sequence number."""
    document_id: int
    borrower_key: str
    loan: str | None
    """Contract number of the loan the checked document belongs to."""
    document_title: str
    doc_type: str
    aspect: Aspect
    method: Method
    result: Result
    actor: str
    with_people: tuple[str, ...]
    claimed_at: datetime | None
    recorded_at: datetime
    place: str | None
    note: str | None
    corrects: int | None
    evidence: tuple[EvidenceRef, ...]
    event_hash: str
    corrected_by: int | None = None
    """The record that corrects this one, if any (then this one no longer counts)."""

    @property
    def current(self) -> bool:
        return self.corrected_by is None

    @property
    def people(self) -> tuple[str, ...]:
        return (self.actor, *self.with_people)

    @property
    def evidence_kinds(self) -> frozenset[str]:
        return frozenset(ref.kind for ref in self.evidence)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the Chinese label of each enumerated value beside it."""
        return {
            "id": self.id,
            "document_id": self.document_id,
            "document_title": self.document_title,
            "doc_type": self.doc_type,
            "borrower_key": self.borrower_key,
            "loan": self.loan,
            "aspect": self.aspect.value,
            "aspect_label": self.aspect.label,
            "method": self.method.value,
            "method_label": self.method.label,
            "result": self.result.value,
            "result_label": self.result.label,
            "actor": self.actor,
            "with_people": list(self.with_people),
            "claimed_at": plain(self.claimed_at),
            "recorded_at": plain(self.recorded_at),
            "place": self.place,
            "note": self.note,
            "corrects": self.corrects,
            "corrected_by": self.corrected_by,
            "evidence": [ref.to_dict() for ref in self.evidence],
            "event_hash": self.event_hash,
        }


# --------------------------------------------------------------------------- recording


def record_verification(
    archive: Archive,
    document_id: int,
    method: Method | str,
    result: Result | str,
    actor: str,
    evidence_paths: Sequence[Path | EvidenceFile] = (),
    with_people: Sequence[str] = (),
    claimed_at: datetime | date | None = None,
    place: str | None = None,
    note: str | None = None,
    corrects: int | None = None,
    *,
    aspect: Aspect | str | None = None,
    evidence_documents: Sequence[int] = (),
    recorded_at: object = None,
) -> VerificationRecord:
    """Record that document ``document_id`` was checked; returns the record as the chain holds it.

    ``evidence_paths`` are files (photos, recordings, screenshots, printouts) filed into the borrower's
    archive first, each hashed like any document (``EvidenceFile(path, name)`` keeps an upload's own
    name); ``evidence_documents`` are documents already filed. ``claimed_at`` without an offset is local
    time ([locale].utc_offset_hours); a date alone is that day. Everything is checked before
    anything is filed; a bad value raises :class:`VerificationError` naming the field.
    """
    settings = verification_settings(archive.config)
    if recorded_at is not None:
        raise VerificationError(
            "recorded_at: the record time is the time the record is written and cannot be given "
            "(记录时间由系统在写入时确定，不能指定)"
        )
    facts = _checked_facts(settings, method, result, actor, with_people, claimed_at, place, note, aspect)
    files = [item if isinstance(item, EvidenceFile) else EvidenceFile(Path(item)) for item in evidence_paths]
    for item in files:
        if not item.path.is_file():
            raise VerificationError(f"evidence (证据文件): file not found (文件不存在): {item.path}")
    target = archive.transaction(lambda s: _target(s, document_id, corrects, evidence_documents), write=False)
    filed = file_evidence(archive, target, files, actor=facts["actor"], settings=settings)
    known = archive.transaction(lambda s: refs_for_documents(s, evidence_documents), write=False)
    evidence = (*filed, *known)
    return archive.transaction(lambda s: _append(s, document_id, facts, corrects, evidence), write=True)


def _checked_facts(
    settings: VerificationSettings,
    method: Method | str,
    result: Result | str,
    actor: str,
    with_people: Sequence[str],
    claimed_at: datetime | date | None,
    place: str | None,
    note: str | None,
    aspect: Aspect | str | None,
) -> dict[str, Any]:
    how = _enum(Method, method, "method", "核实方式")
    found = _enum(Result, result, "result", "核实结果")
    what = DEFAULT_ASPECT[how] if aspect in (None, "") else _enum(Aspect, aspect, "aspect", "核实事项")
    who = _name(actor, "actor", "核实人")
    others: list[str] = []
    for person in with_people:
        name = _name(person, "with", "同行人员")
        if _same_person(name, who) or any(_same_person(name, o) for o in others):
            raise VerificationError(
                f"with (同行人员): {name} is named twice; each person counts once (同一人员重复)"
            )
        others.append(name)
    if how in settings.two_person_methods and not others:
        raise VerificationError(
            f"with (同行人员): a {how.value} check needs a second person besides {who} "
            f"({how.label}须两人进行，请填写同行人员)"
        )
    claimed = _claimed(claimed_at, settings)
    return {
        "aspect": what,
        "method": how,
        "result": found,
        "actor": who,
        "with_people": others,
        "claimed_at": claimed,
        "place": _text(place, "place", "核实地点", 200),
        "note": _text(note, "note", "备注", 2000),
    }


def _enum(enum: Any, value: Any, english: str, chinese: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise VerificationError(
            f"{english} ({chinese}): unknown value {value!r}; accepted (可选): {enum.accepted()}"
        ) from None


def _name(value: str, english: str, chinese: str) -> str:
    try:
        return check_name(value, (english, chinese), max_chars=50)
    except DossierError as exc:
        raise VerificationError(str(exc)) from None


def _same_person(a: str, b: str) -> bool:
    def fold(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).split()).casefold()

    return fold(a) == fold(b)


def _text(value: str | None, english: str, chinese: str, limit: int) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None
    if len(text) > limit:
        raise VerificationError(f"{english} ({chinese}): {len(text)} characters, at most {limit} (内容过长)")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise VerificationError(f"{english} ({chinese}): contains control characters (含有控制字符)")
    return text


def _claimed(value: datetime | date | None, settings: VerificationSettings) -> datetime | None:
    if value is None:
        return None
    zone = settings.local_zone
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0), tzinfo=zone)
    else:
        raise VerificationError(f"claimed time (核实时间): not a date or time: {value!r}")
    now = datetime.now(UTC)
    if moment - now > timedelta(seconds=settings.future_tolerance_seconds):
        shown = moment.astimezone(zone).isoformat(timespec="minutes")
        raise VerificationError(
            f"claimed time (核实时间): {shown} is in the future; a check is recorded after it took place "
            f"(核实时间晚于当前时间，不能预先登记)"
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Target:
    """The checked document, as the evidence filing needs it."""

    document_id: int
    title: str
    category: str
    borrower_key: str
    contract_number: str | None


def _target(session: Session, document_id: int, corrects: int | None, evidence: Sequence[int]) -> Target:
    document = session.get(Document, document_id)
    if document is None or document.state != "filed":
        raise VerificationError(f"document (文档): no filed document {document_id} (档案中没有该文档)")
    borrower = session.get(Borrower, document.borrower_id)
    assert borrower is not None
    loan = session.get(Loan, document.loan_id) if document.loan_id is not None else None
    if corrects is not None:
        _check_correction(session, document_id, corrects)
    for other in evidence:
        doc = session.get(Document, other)
        if doc is None or doc.state != "filed" or doc.borrower_id != document.borrower_id:
            raise VerificationError(
                f"evidence (证据文档): document {other} is not filed in {borrower.key}'s archive "
                f"(证据须为该借款人档案中的文档)"
            )
    return Target(
        document.id, document.title, document.category, borrower.key, loan.contract_number if loan else None
    )


def _check_correction(session: Session, document_id: int, corrects: int) -> None:
    # Looked up among this document's records only: a record about another document (perhaps one of
    # another officer's borrowers) answers exactly as a record id that does not exist, and never says
    # what it is about.
    earlier = session.execute(
        select(VerificationRow.id).where(
            VerificationRow.id == corrects, VerificationRow.document_id == document_id
        )
    ).scalar_one_or_none()
    if earlier is None:
        raise VerificationError(
            f"corrects (更正): document {document_id} has no verification record {corrects} "
            f"(该文档没有第{corrects}号核实记录)"
        )
    later = session.execute(
        select(VerificationRow.id).where(VerificationRow.corrects_id == corrects)
    ).scalar_one_or_none()
    if later is not None:
        raise VerificationError(
            f"corrects (更正): record {corrects} was already corrected by record {later}; correct {later} "
            f"(该记录已被第{later}号记录更正)"
        )


def _append(
    session: Session,
    document_id: int,
    facts: Mapping[str, Any],
    corrects: int | None,
    evidence: Sequence[EvidenceRef],
) -> VerificationRecord:
    # Checked again inside the writing transaction: another officer may have corrected it meanwhile.
    target = _target(session, document_id, corrects, ())
    document = session.get(Document, document_id)
    assert document is not None
    details = {
        "document_id": document_id,
        "document_title": target.title,
        "doc_type": document.doc_type,
        "loan": target.contract_number,
        **{key: plain(value) for key, value in facts.items()},
        "corrects": corrects,
        "evidence": [ref.to_dict() for ref in evidence],
    }
    event = append_event(
        session,
        actor=facts["actor"],
        action=ACTION,
        target=f"document:{document_id}",
        borrower_key=target.borrower_key,
        details=details,
    )
    session.add(
        VerificationRow(
            id=event.seq,
            document_id=document_id,
            borrower_id=document.borrower_id,
            loan_id=document.loan_id,
            aspect=facts["aspect"].value,
            method=facts["method"].value,
            result=facts["result"].value,
            actor=facts["actor"],
            with_people=list(facts["with_people"]),
            claimed_at=facts["claimed_at"],
            recorded_at=event.at,
            place=facts["place"],
            note=facts["note"],
            corrects_id=corrects,
            evidence=[ref.document_id for ref in evidence],
            event_hash=event.hash,
            details={},
        )
    )
    session.flush()
    return record_from_event(event)


# --------------------------------------------------------------------------- reading


def record_from_event(event: Any, corrected_by: int | None = None) -> VerificationRecord:
    """The record an audit event of action ``verify`` holds (an Event or a row with its columns)."""
    d = event.details
    claimed = d.get("claimed_at")
    return VerificationRecord(
        id=event.seq,
        document_id=int(d["document_id"]),
        borrower_key=event.borrower_key,
        loan=d.get("loan"),
        document_title=d.get("document_title") or "",
        doc_type=d.get("doc_type") or "",
        aspect=Aspect(d["aspect"]),
        method=Method(d["method"]),
        result=Result(d["result"]),
        actor=d["actor"],
        with_people=tuple(d.get("with_people") or ()),
        claimed_at=datetime.fromisoformat(claimed) if claimed else None,
        recorded_at=event.at.astimezone(UTC),
        place=d.get("place"),
        note=d.get("note"),
        corrects=d.get("corrects"),
        evidence=tuple(EvidenceRef.from_dict(e) for e in d.get("evidence") or ()),
        event_hash=event.hash,
        corrected_by=corrected_by,
    )


def with_corrections(records: Iterable[VerificationRecord]) -> list[VerificationRecord]:
    """The records in order, each marked with the record that corrects it (if one is among them)."""
    ordered = sorted(records, key=lambda r: r.id)
    by_corrected = {r.corrects: r.id for r in ordered if r.corrects is not None}
    return [r if r.id not in by_corrected else _replace(r, corrected_by=by_corrected[r.id]) for r in ordered]


def _replace(record: VerificationRecord, **changes: Any) -> VerificationRecord:
    from dataclasses import replace

    return replace(record, **changes)


def verification_events(
    session: Session, *, borrower_key: str | None = None, until_seq: int | None = None
) -> list[VerificationRecord]:
    """Records read from the audit chain itself (the report's source), corrections marked."""
    query = select(Event).where(Event.action == ACTION).order_by(Event.seq)
    if borrower_key is not None:
        query = query.where(Event.borrower_key == borrower_key)
    if until_seq is not None:
        query = query.where(Event.seq <= until_seq)
    return with_corrections(record_from_event(e) for e in session.execute(query).scalars())


def list_verifications(
    archive: Archive,
    *,
    borrower_key: str | None = None,
    document_id: int | None = None,
    loan: str | None = None,
    current_only: bool = False,
) -> list[VerificationRecord]:
    """Records in the order they were made, from the table mirror joined to their events.

    ``current_only`` leaves out records a later record corrects.
    """

    def read(session: Session) -> list[VerificationRecord]:
        query = select(Event).join(VerificationRow, VerificationRow.id == Event.seq).order_by(Event.seq)
        if borrower_key is not None:
            query = query.join(Borrower, Borrower.id == VerificationRow.borrower_id).where(
                Borrower.key == borrower_key.strip().upper()
            )
        if document_id is not None:
            query = query.where(VerificationRow.document_id == document_id)
        if loan is not None:
            query = query.join(Loan, Loan.id == VerificationRow.loan_id).where(
                Loan.contract_number == unicodedata.normalize("NFKC", loan).strip().upper()
            )
        records = [record_from_event(e) for e in session.execute(query).scalars()]
        ids = [r.id for r in records]
        corrections = (
            dict(
                session.execute(
                    select(VerificationRow.corrects_id, VerificationRow.id).where(
                        VerificationRow.corrects_id.in_(ids)
                    )
                ).all()
            )
            if ids
            else {}
        )
        return [_replace(r, corrected_by=corrections[r.id]) if r.id in corrections else r for r in records]

    found = archive.transaction(read, write=False)
    return [r for r in found if r.current] if current_only else found


@dataclass(frozen=True)
class MirrorProblem:
    record: int
    problem: str


@dataclass
class MirrorReport:
    records: int = 0
    problems: list[MirrorProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_mirror(archive: Archive) -> MirrorReport:
    """Whether the table holds exactly the chain's ``verify`` events, each row matching its event."""

    def read(session: Session) -> MirrorReport:
        report = MirrorReport()
        events = {e.seq: e for e in session.execute(select(Event).where(Event.action == ACTION)).scalars()}
        rows = {r.id: r for r in session.execute(select(VerificationRow)).scalars()}
        report.records = len(events)
        for seq in sorted(set(events) | set(rows)):
            event, row = events.get(seq), rows.get(seq)
            if event is None:
                report.problems.append(MirrorProblem(seq, "row without an audit event (无对应审计事件)"))
            elif row is None:
                report.problems.append(MirrorProblem(seq, "audit event without a row (表中缺少记录)"))
            elif (
                row.event_hash != event.hash
                or row.document_id != event.details.get("document_id")
                or row.method != event.details.get("method")
                or row.result != event.details.get("result")
                or row.corrects_id != event.details.get("corrects")
            ):
                report.problems.append(
                    MirrorProblem(seq, "row differs from its audit event (记录与审计事件不符)")
                )
        return report

    return archive.transaction(read, write=False)
