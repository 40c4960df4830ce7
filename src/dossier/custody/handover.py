"""Handover (客户移交): an archivist or manager moves one borrower, a list, or an officer's whole portfolio
to another officer, effective on a date.

Until both officers have acknowledged it (交接双方签字) the borrowers are read-only to both of them
(access.scope.scope_of); the second acknowledgement moves the assignments to the new officer. Due lists,
notices and the dashboard name the new officer from the effective date (archive.custody_history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dossier.access.roles import AccessSettings
from dossier.access.scope import assign_user, assigned_ids
from dossier.access.users import Principal, UnknownUser, get_user
from dossier.archive.audit import append_event
from dossier.archive.catalog.custody_tables import Handover, HandoverBorrower
from dossier.archive.catalog.models import Borrower
from dossier.archive.catalog.user_tables import Assignment, User
from dossier.custody.errors import CustodyRecordNotFound, WrongState
from dossier.custody.numbers import Prefix, number_for, provisional
from dossier.errors import FieldProblem, InputError

WHAT = "handover (移交单)"
NOTE_MAX_CHARS = 500


class HandoverState(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {"pending": "待双方确认", "completed": "已完成"}[self.value]


class Side(StrEnum):
    """Which officer acknowledges."""

    FROM = "from"
    TO = "to"


@dataclass(frozen=True)
class HandoverInfo:
    number: str
    from_username: str
    from_name: str
    to_username: str
    to_name: str
    effective_on: date
    state: HandoverState
    state_label: str
    borrowers: tuple[tuple[int, str, str], ...]
    """(id, key, name) in key order."""
    note: str | None
    created_by: str
    created_at: datetime
    from_ack_at: datetime | None
    to_ack_at: datetime | None
    completed_at: datetime | None
    document_ids: tuple[int, ...]


def _problem(path: str, label: str, reason: str) -> InputError:
    return InputError([FieldProblem(path, label, reason)])


def _officer(session: Session, username: str, path: str, label: str, access: AccessSettings) -> User:
    try:
        user = get_user(session, username.strip())
    except UnknownUser:
        raise _problem(path, label, f"no user {username!r}") from None
    if not user.active:
        raise _problem(path, label, f"user {username!r} is disabled (已停用)")
    if not access.scoped(user.role):
        raise _problem(path, label, f"user {username!r} is a {user.role}, not an officer with a portfolio")
    return user


def create_handover(
    session: Session,
    *,
    from_username: str,
    to_username: str,
    borrower_keys: list[str] | None,
    effective_on: date,
    note: str | None,
    actor: str,
    access: AccessSettings,
    now: datetime,
) -> Handover:
    """A pending handover of ``borrower_keys`` (None: the old officer's whole portfolio)."""
    old = _officer(session, from_username, "from", "移交人", access)
    new = _officer(session, to_username, "to", "接收人", access)
    if old.id == new.id:
        raise _problem("to", "接收人", "the officers must differ (移交人与接收人不能相同)")
    text = (note or "").strip()
    if len(text) > NOTE_MAX_CHARS:
        raise _problem("note", "备注", f"at most {NOTE_MAX_CHARS} characters")
    portfolio = assigned_ids(session, old.id)
    if borrower_keys is None:
        ids = sorted(portfolio)
    else:
        ids = []
        for key in dict.fromkeys(k.strip() for k in borrower_keys):
            found = session.execute(select(Borrower.id).where(Borrower.key == key)).scalar_one_or_none()
            if found is None or found not in portfolio:
                raise _problem("borrowers", "借款人", f"{key!r} is not in {old.username}'s portfolio")
            ids.append(found)
    if not ids:
        raise _problem("borrowers", "借款人", f"{old.username} holds no borrower to hand over")
    busy = session.execute(
        select(Borrower.key)
        .join(HandoverBorrower, HandoverBorrower.borrower_id == Borrower.id)
        .join(Handover, Handover.id == HandoverBorrower.handover_id)
        .where(Handover.state == HandoverState.PENDING.value, Borrower.id.in_(ids))
        .order_by(Borrower.key)
    ).first()
    if busy is not None:
        raise _problem(
            "borrowers", "借款人", f"{busy[0]!r} is already in a handover waiting for acknowledgement"
        )
    handover = Handover(
        number=provisional(),
        from_user_id=old.id,
        to_user_id=new.id,
        effective_on=effective_on,
        state=HandoverState.PENDING.value,
        note=text or None,
        created_by=actor[:50],
        created_at=now,
        details={},
    )
    session.add(handover)
    session.flush()
    handover.number = number_for(Prefix.HANDOVER, handover.id, now)
    session.add_all(HandoverBorrower(handover_id=handover.id, borrower_id=i) for i in ids)
    keys = list(
        session.execute(select(Borrower.key).where(Borrower.id.in_(ids)).order_by(Borrower.key)).scalars()
    )
    append_event(
        session,
        actor=actor,
        action="handover.create",
        target=f"handover:{handover.number}",
        details={
            "handover": handover.number,
            "from": old.username,
            "to": new.username,
            "effective_on": effective_on.isoformat(),
            "borrowers": keys,
        },
    )
    return handover


def find_handover(session: Session, number: str, *, party: Principal | None = None) -> Handover:
    """The handover; with ``party``, only if that user is one of its two officers (else as missing)."""
    handover = session.execute(select(Handover).where(Handover.number == number)).scalar_one_or_none()
    if handover is None or (
        party is not None and party.id not in (handover.from_user_id, handover.to_user_id)
    ):
        raise CustodyRecordNotFound(WHAT, number)
    return handover


def acknowledge(session: Session, number: str, officer: Principal, *, now: datetime) -> Handover:
    """``officer`` signs for their side; the second signature completes the handover."""
    handover = find_handover(session, number, party=officer)
    if handover.state != HandoverState.PENDING.value:
        raise WrongState(f"{WHAT} {number} is already completed (已完成)")
    side = Side.FROM if officer.id == handover.from_user_id else Side.TO
    if (handover.from_ack_at if side is Side.FROM else handover.to_ack_at) is not None:
        raise WrongState(f"{WHAT} {number}: {officer.username} has already acknowledged (已确认)")
    if side is Side.FROM:
        handover.from_ack_at = now
    else:
        handover.to_ack_at = now
    append_event(
        session,
        actor=officer.actor,
        action="handover.acknowledge",
        target=f"handover:{handover.number}",
        details={"handover": handover.number, "side": side.value},
    )
    if handover.from_ack_at is not None and handover.to_ack_at is not None:
        _complete(session, handover, now)
    return handover


def _complete(session: Session, handover: Handover, now: datetime) -> None:
    new = session.get(User, handover.to_user_id)
    assert new is not None  # a foreign key
    borrowers = _borrowers(session, handover)
    session.execute(
        delete(Assignment).where(
            Assignment.user_id == handover.from_user_id, Assignment.borrower_id.in_([b.id for b in borrowers])
        )
    )
    for borrower in borrowers:
        assign_user(session, new, borrower, actor=f"handover:{handover.number}")
    handover.state = HandoverState.COMPLETED.value
    handover.completed_at = now
    append_event(
        session,
        actor=new.username,
        action="handover.complete",
        target=f"handover:{handover.number}",
        details={"handover": handover.number, "borrowers": [b.key for b in borrowers]},
    )


def _borrowers(session: Session, handover: Handover) -> list[Borrower]:
    return list(
        session.execute(
            select(Borrower)
            .join(HandoverBorrower, HandoverBorrower.borrower_id == Borrower.id)
            .where(HandoverBorrower.handover_id == handover.id)
            .order_by(Borrower.key)
        ).scalars()
    )


def handover_borrowers(session: Session, handover: Handover) -> list[Borrower]:
    return _borrowers(session, handover)


def info(session: Session, handover: Handover) -> HandoverInfo:
    old, new = session.get(User, handover.from_user_id), session.get(User, handover.to_user_id)
    assert old is not None and new is not None  # foreign keys
    state = HandoverState(handover.state)
    return HandoverInfo(
        number=handover.number,
        from_username=old.username,
        from_name=old.display_name,
        to_username=new.username,
        to_name=new.display_name,
        effective_on=handover.effective_on,
        state=state,
        state_label=state.label,
        borrowers=tuple((b.id, b.key, b.name) for b in _borrowers(session, handover)),
        note=handover.note,
        created_by=handover.created_by,
        created_at=handover.created_at,
        from_ack_at=handover.from_ack_at,
        to_ack_at=handover.to_ack_at,
        completed_at=handover.completed_at,
        document_ids=tuple(int(i) for i in (handover.details or {}).get("documents", [])),
    )


def list_handovers(session: Session, *, party_id: int | None = None) -> list[HandoverInfo]:
    """Handovers, newest first; ``party_id``: only those naming that user on either side."""
    query = select(Handover).order_by(Handover.id.desc())
    if party_id is not None:
        query = query.where((Handover.from_user_id == party_id) | (Handover.to_user_id == party_id))
    return [info(session, h) for h in session.execute(query).scalars()]
