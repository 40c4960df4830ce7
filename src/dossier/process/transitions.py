"""Every move of an application: submit, advance, 退回, 否决, 要求补充材料, 有条件通过, 撤回.

Each is checked before anything changes (closed, the version the caller saw, the stage's actions, the
stage's role, 审贷分离, the gate), then made in one catalog transaction: a conditional update of the
application (``WHERE version = seen``: of two people acting at once, one wins and the other is told the
application moved), an audit event with the actor, role, reasons and the hashes of the documents relied
on, and its mirror row in ``application_steps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from dossier.access.roles import Role
from dossier.archive.audit import append_event, plain
from dossier.archive.catalog.models import Document
from dossier.archive.catalog.process_tables import ApplicationRow, ApplicationStepRow, OpenItemRow
from dossier.archive.home import Archive
from dossier.archive.registry import find_borrower, normalize_key
from dossier.config import Config
from dossier.domain.document_types import get_document_type
from dossier.domain.enums import GuaranteeMethod, Product
from dossier.domain.local_time import local_zone
from dossier.domain.money import to_fen
from dossier.errors import DossierError
from dossier.process.enums import ActionKind, Refusal, Status
from dossier.process.errors import ProcessRefused
from dossier.process.gates import Gate, gate
from dossier.process.separation import check_separation, people_by_stage
from dossier.process.settings import StageRule, process_settings
from dossier.process.stages import Flow, flow_for, flow_named
from dossier.process.store import Application, not_found, steps_of, view

MAX_REASONS = 20
MAX_REASON_CHARS = 500


def _invalid(english: str, chinese: str) -> ProcessRefused:
    return ProcessRefused(Refusal.INVALID, english, chinese)


@dataclass(frozen=True)
class Conditions:
    """有条件通过: a lower amount, a shorter term, added guarantees and the conditions in words."""

    amount: Decimal | None = None
    term_months: int | None = None
    add_guarantees: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.amount is None and self.term_months is None and not self.add_guarantees and not self.notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": plain(self.amount),
            "term_months": self.term_months,
            "add_guarantees": list(self.add_guarantees),
            "notes": list(self.notes),
        }


def parse_conditions(
    amount: str | Decimal | None = None,
    term_months: int | None = None,
    add_guarantees: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Conditions:
    """Conditions from a face's fields; a bad value is refused naming the field in both languages."""
    money: Decimal | None = None
    if amount not in (None, ""):
        try:
            money = to_fen(Decimal(str(amount).replace(",", "").strip()))
        except (InvalidOperation, ValueError):
            raise _invalid(f"amount: not an amount: {amount!r}", "审批金额不是有效金额") from None
        if money <= 0:
            raise _invalid("amount: must be above zero", "审批金额须大于零")
    if term_months is not None and not 1 <= term_months <= 360:
        raise _invalid("term_months: must be 1 to 360", "审批期限须为1至360个月")
    return Conditions(
        amount=money,
        term_months=term_months,
        add_guarantees=tuple(_guarantee(g) for g in add_guarantees if g.strip()),
        notes=tuple(_reasons(notes, "notes", "附加条件")),
    )


def _guarantee(value: str) -> str:
    try:
        return GuaranteeMethod(value).value
    except ValueError:
        raise _invalid(
            f"guarantee: unknown guarantee method {value!r}; accepted: {GuaranteeMethod.accepted()}",
            "担保方式不正确",
        ) from None


def _reasons(values: Sequence[str], english: str, chinese: str) -> list[str]:
    kept = [v.strip() for v in values if v and v.strip()]
    if len(kept) > MAX_REASONS or any(len(v) > MAX_REASON_CHARS for v in kept):
        raise _invalid(
            f"{english}: at most {MAX_REASONS} entries of {MAX_REASON_CHARS} characters",
            f"{chinese}最多{MAX_REASONS}条，每条不超过{MAX_REASON_CHARS}字",
        )
    return kept


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- submit


def submit(
    archive: Archive,
    *,
    borrower_key: str,
    product: str,
    amount: str | Decimal,
    term_months: int,
    guarantees: Sequence[str],
    actor: str,
    role: Role | str,
    purpose: str | None = None,
    contract_number: str | None = None,
    visible: set[int] | None = None,
) -> Application:
    """A new application at the flow's first stage, held by its applicant. ``visible``: the borrower ids
    the actor may see (None: all); a hidden borrower is answered like a missing one."""
    config = archive.config
    key = normalize_key(borrower_key, config)
    try:
        product_key = Product(product).value
    except ValueError:
        raise _invalid(
            f"product: unknown product {product!r}; accepted: {Product.accepted()}", "贷款品种不正确"
        ) from None
    conditions = parse_conditions(amount=amount, term_months=term_months)
    if conditions.amount is None or conditions.term_months is None:
        raise _invalid("amount and term_months are required", "申请金额和期限必须填写")
    methods = [_guarantee(g) for g in guarantees if g.strip()]
    if not methods:
        raise _invalid("guarantees: name at least one guarantee method", "请填写担保方式")
    if purpose is not None and len(purpose) > 200:
        raise _invalid("purpose: at most 200 characters", "借款用途不超过200字")
    number = contract_number.strip().upper() if contract_number and contract_number.strip() else None
    flow = flow_for(process_settings(config), product_key)
    if Role(role) is not flow.first.role:
        raise _wrong_role(flow.first, role)

    def write(session: Session) -> Application:
        borrower = find_borrower(session, key)
        if borrower is None or (visible is not None and borrower.id not in visible):
            raise DossierError(f"unknown borrower (借款人未登记): {key}")
        now = _now()
        row = ApplicationRow(
            borrower_id=borrower.id,
            product=product_key,
            flow=flow.name,
            amount=conditions.amount,
            term_months=conditions.term_months,
            guarantees=methods,
            purpose=purpose,
            applicant=actor,
            stage=flow.first.key,
            holder=actor,
            status=Status.OPEN.value,
            version=1,
            stage_since=now,
            conditions={},
            contract_number=number,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        details = {
            "application": row.id,
            "kind": ActionKind.SUBMIT.value,
            "to": flow.first.key,
            "role": Role(role).value,
            "product": product_key,
            "amount": conditions.amount,
            "term_months": conditions.term_months,
            "guarantees": methods,
            "version": 1,
        }
        _record(
            session,
            row,
            ActionKind.SUBMIT,
            None,
            flow.first.key,
            actor,
            Role(role),
            [],
            details,
            borrower.key,
        )
        return view(session, row, config)

    return archive.transaction(write)


# --------------------------------------------------------------------------- the other moves


@dataclass(frozen=True)
class Move:
    kind: ActionKind
    actor: str
    role: Role
    expected_version: int | None = None
    reasons: tuple[str, ...] = ()
    to_stage: str | None = None
    doc_types: tuple[str, ...] = ()
    conditions: Conditions = Conditions()
    documents: tuple[int, ...] = ()


def act(
    archive: Archive,
    application_id: int,
    kind: ActionKind | str,
    *,
    actor: str,
    role: Role | str,
    expected_version: int | None = None,
    reasons: Sequence[str] = (),
    to_stage: str | None = None,
    doc_types: Sequence[str] = (),
    conditions: Conditions | None = None,
    documents: Sequence[int] = (),
    visible: set[int] | None = None,
    as_of: date | None = None,
) -> Application:
    """Take one step; refused with :class:`ProcessRefused` (nothing changed) when it may not be taken."""
    config = archive.config
    try:
        what = ActionKind(kind)
    except ValueError:
        raise _invalid(
            f"action: unknown action {kind!r}; accepted: {ActionKind.accepted()}", "操作不正确"
        ) from None
    if what is ActionKind.SUBMIT:
        raise _invalid("submit: use apply for a new application", "新申请请使用提交申请")
    move = Move(
        kind=what,
        actor=actor,
        role=Role(role),
        expected_version=expected_version,
        reasons=tuple(_reasons(reasons, "reasons", "理由")),
        to_stage=to_stage,
        doc_types=tuple(dict.fromkeys(get_document_type(t, config).key for t in doc_types if t.strip())),
        conditions=conditions or Conditions(),
        documents=tuple(documents),
    )
    day = as_of or datetime.now(local_zone(config)).date()
    return archive.transaction(lambda s: _take(s, config, application_id, move, visible, day))


def _take(
    session: Session, config: Config, application_id: int, move: Move, visible: set[int] | None, day: date
) -> Application:
    row = session.get(ApplicationRow, application_id)
    if row is None or (visible is not None and row.borrower_id not in visible):
        raise not_found(application_id)
    settings = process_settings(config)
    flow = flow_named(settings, row.flow)
    status = Status(row.status)
    if status.closed:
        raise ProcessRefused(
            Refusal.CLOSED,
            f"application {row.id} is closed ({status.value}); nothing more can be done to it",
            f"授信申请 {row.id} 已办结（{status.label}），不能再办理",
        )
    if move.expected_version is not None and move.expected_version != row.version:
        raise _moved(row)
    stage = flow.get(row.stage)
    steps = steps_of(session, row.id)
    target, new_status, gate_found = _where_to(session, config, row, flow, stage, move, steps, day)
    borrower_key = view(session, row, config, full=False).borrower_key
    documents = _documents(session, row, [*(gate_found.relied_on if gate_found else ()), *move.documents])
    conditions = (
        _merged_conditions(row, move) if move.kind is ActionKind.APPROVE else dict(row.conditions or {})
    )
    holder = _holder(flow, target, row, steps) if new_status is Status.OPEN else None
    now = _now()
    values: dict[str, Any] = {
        "version": row.version + 1,
        "status": new_status.value,
        "stage": target,
        "holder": holder,
        "conditions": plain(conditions),
        "updated_at": now,
    }
    if target != row.stage:
        values["stage_since"] = now
    # The optimistic lock: only the version this step was checked against may be replaced.
    seen = row.version
    changed = (
        update(ApplicationRow)
        .where(ApplicationRow.id == row.id, ApplicationRow.version == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    done = cast("CursorResult[Any]", session.execute(changed))  # an UPDATE's result counts rows
    if done.rowcount != 1:
        raise _moved(row)
    session.refresh(row)
    details: dict[str, Any] = {
        "application": row.id,
        "kind": move.kind.value,
        "from": stage.key,
        "to": target,
        "role": move.role.value,
        "reasons": list(move.reasons),
        "documents": documents,
        "status": new_status.value,
        "version": row.version,
    }
    if move.doc_types:
        details["doc_types"] = list(move.doc_types)
    if move.kind is ActionKind.APPROVE:
        details["conditions"] = move.conditions.to_dict()
    if gate_found is not None and gate_found.investigators:
        details["investigators"] = list(gate_found.investigators)
    event = _record(
        session,
        row,
        move.kind,
        stage.key,
        target,
        move.actor,
        move.role,
        list(move.reasons),
        details,
        borrower_key,
    )
    if new_status.closed:
        # A closed application asks for nothing more: its open items close with it, met by no document.
        session.execute(
            update(OpenItemRow)
            .where(OpenItemRow.application_id == row.id, OpenItemRow.closed_at.is_(None))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
    for doc_type in move.doc_types:
        session.add(
            OpenItemRow(
                application_id=row.id,
                borrower_id=row.borrower_id,
                doc_type=doc_type,
                requested_seq=event,
                requested_at=now,
            )
        )
    session.flush()
    return view(session, row, config)


def _where_to(
    session: Session,
    config: Config,
    row: ApplicationRow,
    flow: Flow,
    stage: StageRule,
    move: Move,
    steps: list[ApplicationStepRow],
    day: date,
) -> tuple[str, Status, Gate | None]:
    """Where the move takes the application, after every check that refuses it."""
    if move.kind is ActionKind.WITHDRAW:
        if move.actor != row.applicant:
            raise ProcessRefused(
                Refusal.WRONG_ROLE,
                f"only the applicant {row.applicant} may withdraw the application",
                f"只有申请人 {row.applicant} 可以撤回申请",
            )
        return row.stage, Status.WITHDRAWN, None
    if move.kind not in stage.actions:
        allowed = "、".join(a.label for a in stage.actions) or "无"
        raise ProcessRefused(
            Refusal.OUT_OF_ORDER,
            f"{move.kind.value} is not possible at stage {stage.key}; possible: "
            f"{', '.join(a.value for a in stage.actions) or 'none'}",
            f"{stage.label}环节不能{move.kind.label}，可办理：{allowed}",
        )
    if move.role is not stage.role:
        raise _wrong_role(stage, move.role)
    if row.holder is not None and row.holder != move.actor and stage.role is not Role.OFFICER:
        raise ProcessRefused(
            Refusal.WRONG_ROLE,
            f"the application is held by {row.holder}, not {move.actor}",
            f"本申请由 {row.holder} 办理，不是 {move.actor}",
        )
    settings = process_settings(config)
    check_separation(settings.separation, people_by_stage(steps), flow, stage.key, move.actor)
    if move.kind in (ActionKind.RETURN, ActionKind.REJECT) and not move.reasons:
        raise _invalid(f"reasons: a {move.kind.value} needs its reasons", f"{move.kind.label}须写明理由")
    if move.kind is ActionKind.REQUEST and not move.doc_types:
        raise _invalid("doc_types: name the documents asked for", "请列明需补充的材料（文档类型）")
    if move.kind is ActionKind.REJECT:
        return stage.key, Status.REJECTED, None
    if move.kind is ActionKind.REQUEST:
        return stage.key, Status.OPEN, None
    if move.kind is ActionKind.RETURN:
        return _return_target(flow, stage, move), Status.OPEN, None
    if move.kind is ActionKind.APPROVE:
        _check_conditions(row, move.conditions)
    found = gate(session, row, stage, config, day)
    if not found.open:
        listed = "；".join(str(b) for b in found.blockers)
        raise ProcessRefused(
            Refusal.GATE,
            f"stage {stage.key} cannot be left yet: {len(found.blockers)} item(s) block it",
            f"{stage.label}环节尚不能办结：{listed}",
            blockers=found.blockers,
        )
    nxt = flow.after(stage.key)
    return nxt.key, Status.LOAN if nxt.key == flow.last.key else Status.OPEN, found


def _return_target(flow: Flow, stage: StageRule, move: Move) -> str:
    here = flow.index(stage.key)
    if move.to_stage in (None, ""):
        return flow.stages[here - 1].key if here > 0 else stage.key
    target = flow.find(move.to_stage or "")
    if target is None or flow.index(target.key) >= here:
        raise ProcessRefused(
            Refusal.OUT_OF_ORDER,
            f"to: {move.to_stage!r} is not a stage before {stage.key}",
            f"只能退回到{stage.label}之前的环节，{move.to_stage} 不是",
        )
    return target.key


def _check_conditions(row: ApplicationRow, conditions: Conditions) -> None:
    ceiling = Decimal((row.conditions or {}).get("amount") or row.amount)
    if conditions.amount is not None and conditions.amount > ceiling:
        raise _invalid(
            f"amount: {conditions.amount} exceeds the {ceiling} applied for or approved so far",
            f"审批金额不得超过申请或已核定金额{ceiling}元",
        )
    term = int((row.conditions or {}).get("term_months") or row.term_months)
    if conditions.term_months is not None and conditions.term_months > term:
        raise _invalid(
            f"term_months: {conditions.term_months} exceeds the {term} months applied for",
            f"审批期限不得超过申请期限{term}个月",
        )


def _merged_conditions(row: ApplicationRow, move: Move) -> dict[str, Any]:
    merged = dict(row.conditions or {})
    c = move.conditions
    if c.amount is not None:
        merged["amount"] = plain(c.amount)
    if c.term_months is not None:
        merged["term_months"] = c.term_months
    added = list(dict.fromkeys([*merged.get("add_guarantees", []), *c.add_guarantees]))
    if added:
        merged["add_guarantees"] = added
    notes = [*merged.get("notes", []), *c.notes]
    if notes:
        merged["notes"] = notes
    if not c.empty:
        merged["conditional"] = True
    return merged


def _holder(flow: Flow, target: str, row: ApplicationRow, steps: list[ApplicationStepRow]) -> str | None:
    """Who the application waits on at ``target``: who acted there before (a return comes back to
    them), else the applicant at an officer's stage, else anyone with the stage's role."""
    for step in reversed(steps):
        if step.from_stage == target and step.kind != ActionKind.WITHDRAW.value:
            return step.actor
    if flow.get(target).role is Role.OFFICER:
        return row.applicant
    return None


def _documents(session: Session, row: ApplicationRow, ids: Sequence[int]) -> list[dict[str, Any]]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {
        d.id: d
        for d in session.execute(select(Document).where(Document.id.in_(wanted))).scalars()
        if d.borrower_id == row.borrower_id and d.state == "filed"
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _invalid(
            f"documents: {missing} are not filed documents of this borrower",
            f"所依据的文件 {missing} 不是该借款人已归档的文件",
        )
    return [{"id": i, "doc_type": found[i].doc_type, "sha256": found[i].sha256} for i in wanted]


def _record(
    session: Session,
    row: ApplicationRow,
    kind: ActionKind,
    from_stage: str | None,
    to_stage: str,
    actor: str,
    role: Role,
    reasons: list[str],
    details: dict[str, Any],
    borrower_key: str,
) -> int:
    event = append_event(
        session,
        actor=actor,
        action=kind.audit_action,
        target=f"application:{row.id}",
        borrower_key=borrower_key,
        details=details,
    )
    session.add(
        ApplicationStepRow(
            seq=event.seq,
            application_id=row.id,
            kind=kind.value,
            from_stage=from_stage,
            to_stage=to_stage,
            actor=actor,
            role=role.value,
            at=event.at,
            reasons=reasons,
            details=event.details,
            event_hash=event.hash,
        )
    )
    session.flush()
    return event.seq


def _moved(row: ApplicationRow) -> ProcessRefused:
    return ProcessRefused(
        Refusal.MOVED,
        f"application {row.id} moved on since you saw it (now version {row.version}); "
        "reload it and try again",
        f"授信申请 {row.id} 已被他人处理（当前版本 {row.version}），请刷新后重试",
    )


def _wrong_role(stage: StageRule, role: Role | str) -> ProcessRefused:
    try:
        given = Role(role)
        named = f"{given.value}/{given.label}"
    except ValueError:
        named = str(role)
    return ProcessRefused(
        Refusal.WRONG_ROLE,
        f"stage {stage.key} is acted on by role {stage.role.value}, not {named}",
        f"{stage.label}环节由{stage.role.label}办理，{named}不能办理",
    )


def gate_status(archive: Archive, application_id: int, *, as_of: date | None = None) -> Gate | None:
    """The current stage's gate (None for a closed application)."""
    config = archive.config
    day = as_of or datetime.now(local_zone(config)).date()

    def read(session: Session) -> Gate | None:
        row = session.get(ApplicationRow, application_id)
        if row is None:
            raise not_found(application_id)
        if Status(row.status).closed:
            return None
        flow = flow_named(process_settings(config), row.flow)
        return gate(session, row, flow.get(row.stage), config, day)

    return archive.transaction(read, write=False)
