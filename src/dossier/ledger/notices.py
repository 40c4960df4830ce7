"""`dossier notices`: generate every notice that is due and not yet sent, file each, link it to the ledger.

"Sent" is what the catalog holds: a ledger notice row for (loan, kind, due event) whose document is filed.
Documents are generated and filed by dossier.generation.generate_batch (N worker processes, each document
filed into its borrower's archive with its input beside it); the link is recorded as each one finishes.
A document filed but not yet linked (a run stopped in between) is adopted on the next run, so no notice
is ever filed twice. Kinds run in order — reminders, collection notices, then plans — so a plan lists
the collection notice generated a moment before.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive.audit import append_event, plain
from dossier.archive.catalog.ledger_tables import LedgerNotice
from dossier.archive.home import Archive
from dossier.errors import DossierError
from dossier.generation import BatchResult, generate_batch
from dossier.kinds.registry import get_kind
from dossier.ledger.due import NoticeEvent, compute_due
from dossier.ledger.inputs import collection_input, plan_input, reminder_input
from dossier.ledger.settings import ledger_settings
from dossier.ledger.store import LoanView, load_views, sent_events, unlinked_documents

KIND_ORDER = ("reminder", "collection", "collection-plan")
LINK_BATCH = 50


@dataclass
class NoticeOutcome:
    kind: str
    contract_number: str
    event: str
    status: str
    """``generated``, ``adopted`` (found filed, now linked), ``invalid`` or ``failed``."""
    document_id: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class NoticePlan:
    as_of: date
    kinds: tuple[str, ...]
    pending: dict[str, list[NoticeEvent]]
    already_sent: dict[str, int]

    @property
    def total(self) -> int:
        return sum(len(events) for events in self.pending.values())


@dataclass
class NoticesReport:
    as_of: date
    outcomes: list[NoticeOutcome] = field(default_factory=list)
    already_sent: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, status: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind and o.status == status)

    @property
    def failed(self) -> list[NoticeOutcome]:
        return [o for o in self.outcomes if o.status in ("invalid", "failed")]

    def summary(self) -> dict[str, dict[str, int]]:
        kinds = dict.fromkeys([*self.already_sent, *(o.kind for o in self.outcomes)])
        return {
            kind: {
                "generated": self.count(kind, "generated"),
                "adopted": self.count(kind, "adopted"),
                "already_sent": self.already_sent.get(kind, 0),
                "failed": self.count(kind, "invalid") + self.count(kind, "failed"),
            }
            for kind in kinds
        }


def parse_kinds(text: str | None, default: list[str]) -> tuple[str, ...]:
    wanted = [k.strip() for k in (text.split(",") if text else default) if k.strip()]
    unknown = [k for k in wanted if k not in KIND_ORDER]
    if unknown or not wanted:
        raise ValueError(
            f"unknown notice kind (未知通知种类) {', '.join(unknown) or '(none)'}; accepted (可选): "
            f"{', '.join(KIND_ORDER)}"
        )
    return tuple(k for k in KIND_ORDER if k in wanted)


def plan_notices(archive: Archive, as_of: date, kinds: tuple[str, ...]) -> NoticePlan:
    """What is due on ``as_of`` and not yet sent, per kind."""

    def work(session: Session) -> NoticePlan:
        due = compute_due(load_views(session), as_of, archive.config)
        sent = sent_events(session)
        pending: dict[str, list[NoticeEvent]] = {k: [] for k in kinds}
        already: dict[str, int] = dict.fromkeys(kinds, 0)
        for event in due.notices:
            if event.kind not in kinds:
                continue
            if (event.view.ledger_id, event.kind, event.event) in sent:
                already[event.kind] += 1
            else:
                pending[event.kind].append(event)
        return NoticePlan(as_of, kinds, pending, already)

    return archive.transaction(work, write=False)


def send_notices(
    archive: Archive,
    plan: NoticePlan,
    *,
    jobs: int = 1,
    actor: str = "system",
    progress: Callable[[NoticeOutcome], None] | None = None,
) -> NoticesReport:
    settings = ledger_settings(archive.config)
    report = NoticesReport(plan.as_of, already_sent=dict(plan.already_sent))
    lender = settings.lender.as_input() if plan.total else {}
    for kind in plan.kinds:
        events = plan.pending[kind]
        if not events:
            continue
        events = _adopt(archive, kind, events, plan.as_of, report, actor, progress)
        if kind == "collection-plan":
            events = _with_fresh_contacts(archive, events)
        _generate(archive, kind, events, lender, plan.as_of, jobs, actor, report, progress)
    archive.transaction(
        lambda s: append_event(
            s,
            actor=actor,
            action="ledger-notices",
            target="ledger:notices",
            details={"as_of": plan.as_of.isoformat(), "summary": report.summary()},
        )
    )
    return report


def _adopt(
    archive: Archive,
    kind: str,
    events: list[NoticeEvent],
    as_of: date,
    report: NoticesReport,
    actor: str,
    progress: Callable[[NoticeOutcome], None] | None,
) -> list[NoticeEvent]:
    doc_type = get_kind(kind).doc_type
    found = archive.transaction(lambda s: unlinked_documents(s, doc_type, as_of), write=False)
    rest: list[NoticeEvent] = []
    for event in events:
        document_id = found.pop(event.view.loan_id, None)
        if document_id is None:
            rest.append(event)
            continue
        _adopt_link(archive, event, document_id, as_of, actor)
        outcome = NoticeOutcome(kind, event.view.contract_number, event.event, "adopted", document_id)
        report.outcomes.append(outcome)
        if progress:
            progress(outcome)
    return rest


def _with_fresh_contacts(archive: Archive, events: list[NoticeEvent]) -> list[NoticeEvent]:
    views = {
        v.ledger_id: v for v in archive.transaction(lambda s: load_views(s, with_contacts=True), write=False)
    }
    return [NoticeEvent(e.kind, e.event, views.get(e.view.ledger_id, e.view)) for e in events]


def _input_for(
    kind: str, view: LoanView, as_of: date, lender: dict[str, Any], archive: Archive
) -> dict[str, Any]:
    settings = ledger_settings(archive.config)
    if kind == "reminder":
        return reminder_input(view, as_of, lender)
    if kind == "collection":
        return collection_input(view, as_of, lender, settings)
    return plan_input(view, as_of, lender, settings, archive.config)


def _generate(
    archive: Archive,
    kind: str,
    events: list[NoticeEvent],
    lender: dict[str, Any],
    as_of: date,
    jobs: int,
    actor: str,
    report: NoticesReport,
    progress: Callable[[NoticeOutcome], None] | None,
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="dossier-notices-"))
    waiting: list[tuple[NoticeEvent, NoticeOutcome]] = []
    try:
        by_path: dict[str, NoticeEvent] = {}
        paths: list[Path] = []
        for i, event in enumerate(events):
            path = scratch / f"{kind}-{i:05d}.json"
            data = _input_for(kind, event.view, as_of, lender, archive)
            path.write_text(json.dumps(plain(data), ensure_ascii=False), encoding="utf-8")
            by_path[str(path)] = event
            paths.append(path)

        def finished(result: BatchResult) -> None:
            event = by_path[result.input]
            outcome = _outcome(kind, event, result)
            report.outcomes.append(outcome)
            if outcome.status == "generated":
                waiting.append((event, outcome))
            if len(waiting) >= LINK_BATCH:
                _link_all(archive, waiting, as_of)
            if progress:
                progress(outcome)

        generate_batch(
            kind,
            paths,
            None,
            jobs=jobs,
            home=archive.home,
            actor=actor,
            progress=finished,
            config=archive.config,
        )
    finally:
        # Also after an error: what was filed gets its link (and a run that stops before still adopts it).
        _link_all(archive, waiting, as_of)
        shutil.rmtree(scratch, ignore_errors=True)


def _outcome(kind: str, event: NoticeEvent, result: BatchResult) -> NoticeOutcome:
    view = event.view
    if result.status != "ok":
        return NoticeOutcome(
            kind, view.contract_number, event.event, result.status, errors=[str(e) for e in result.errors]
        )
    document_id = next(
        (
            f["document_id"]
            for f in result.filings
            if f["media"] == "docx" and f["borrower_key"] == view.borrower_key
        ),
        None,
    )
    if document_id is None:
        return NoticeOutcome(kind, view.contract_number, event.event, "failed", errors=["not filed (未归档)"])
    return NoticeOutcome(kind, view.contract_number, event.event, "generated", document_id)


def _notice_row(event: NoticeEvent, document_id: int, as_of: date) -> LedgerNotice:
    return LedgerNotice(
        ledger_loan_id=event.view.ledger_id,
        document_id=document_id,
        kind=event.kind,
        event=event.event,
        as_of=as_of,
        created_at=datetime.now(UTC),
    )


def _link_all(archive: Archive, waiting: list[tuple[NoticeEvent, NoticeOutcome]], as_of: date) -> None:
    """Link a batch of filed notices in one transaction; the workers' filings need the write lock too,
    and one commit per notice would take it from them 500 times."""
    if not waiting:
        return
    batch = list(waiting)
    waiting.clear()

    def work(session: Session) -> None:
        for event, outcome in batch:
            if outcome.document_id is not None:
                session.add(_notice_row(event, outcome.document_id, as_of))

    try:
        archive.transaction(work)
    except DossierError as exc:
        for _, outcome in batch:
            outcome.status, outcome.errors = "failed", [f"filed but not linked (已归档但未登记): {exc}"]


def _adopt_link(archive: Archive, event: NoticeEvent, document_id: int, as_of: date, actor: str) -> None:
    def work(session: Session) -> None:
        session.add(_notice_row(event, document_id, as_of))
        append_event(
            session,
            actor=actor,
            action="ledger-notice-adopted",
            target=f"loan:{event.view.contract_number}",
            borrower_key=event.view.borrower_key,
            details={"kind": event.kind, "event": event.event, "document_id": document_id},
        )

    archive.transaction(work)
