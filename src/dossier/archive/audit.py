"""The audit log: append-only events chained by SHA-256, and the walk that proves the chain whole.

Each event's hash is SHA-256 over the previous event's hash followed by the canonical JSON of its own
content (seq, at, actor, action, target, borrower_key, details; sorted keys, UTF-8, decimals and dates as
strings). The ``audit_head`` row holds the newest seq and hash: writers lock it, so appends serialize
across processes, and it anchors the end of the chain, so a deleted tail shows.

What the chain cannot show from inside the catalog: someone with write access to it who rewrites every
later event *and* the head, or cuts the tail and moves the head back. A head written down elsewhere
closes that gap: see anchors.py (`dossier audit anchor`, `dossier audit verify --anchors`).

A missing head row is never re-created by a writer once events exist: appends are refused with
AuditHeadMissing until `dossier repair` has verified the chain and rebuilt the row (repair.py).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from dossier.archive.audit_context import request_details
from dossier.archive.catalog.models import AuditHead, Event
from dossier.errors import DossierError

GENESIS = "0" * 64
HEAD_ID = 1


class AuditHeadMissing(DossierError):
    """The ``audit_head`` row is gone while events exist: appending would fork the chain."""

    def __init__(self) -> None:
        super().__init__(
            "the audit chain's head row (审计链头 audit_head) is missing from the catalog, so nothing can be "
            "recorded; run `dossier repair` to verify the chain and rebuild the head from its last event"
        )


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: decimals, dates and enums as strings, tuples as lists."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical(value: Any) -> bytes:
    return json.dumps(plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_content(event: Any) -> dict[str, Any]:
    """What an event's hash covers (``event``: an Event or a row with the same attributes; its details
    are already plain JSON, as append_event stores them)."""
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "borrower_key": event.borrower_key,
        "details": event.details,
    }


def event_hash(prev_hash: str, event: Any) -> str:
    """SHA-256 of ``prev_hash`` and the event's canonical content."""
    text = json.dumps(event_content(event), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    body = text.encode("utf-8")
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def require_head(session: Session, *, head_found: bool | None = None) -> None:
    """Refuse, before any work, a write that will need to append an event when the head row is gone
    (so a refused filing leaves no pending row for `dossier repair` to finish). ``head_found``: whether
    the caller's own query (in this transaction) found the head row, which spares reading it again."""
    if head_found is None:
        head_found = session.execute(_HEAD_ROW).first() is not None
    if not head_found and session.execute(_ANY_EVENT).first() is not None:
        raise AuditHeadMissing()


@dataclass(frozen=True)
class EventDraft:
    """An event still to be appended: what :func:`append_events` chains, in order."""

    actor: str
    action: str
    target: str
    borrower_key: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Appended:
    """An appended event's columns (what event_hash reads)."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    borrower_key: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str = ""


# Plain SQL on the tables, not ORM objects: every write appends, so this is the hottest path there is.
_EVENTS = cast(Table, Event.__table__)
_HEAD = cast(Table, AuditHead.__table__)
_COLUMNS = ("seq", "at", "actor", "action", "target", "borrower_key", "details", "prev_hash", "hash")
# Built once: a statement made per call costs more than SQLite takes to run it.
_HEAD_ROW = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)
_HEAD_LOCKED = _HEAD_ROW.with_for_update()
_ANY_EVENT = select(_EVENTS.c.seq).limit(1)
_INSERT_EVENTS = insert(_EVENTS)
_NEW_HEAD = insert(_HEAD).values(id=HEAD_ID, seq=bindparam("new_seq"), hash=bindparam("new_hash"))
_MOVE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_MOVED_FROM = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID, _HEAD.c.seq == bindparam("old_seq"), _HEAD.c.hash == bindparam("old_hash"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
    .returning(_HEAD.c.id)
    .cte("moved")
)
_APPENDED = (
    insert(_EVENTS)
    .from_select(
        list(_COLUMNS),
        select(*(bindparam(name, type_=_EVENTS.c[name].type) for name in _COLUMNS)).select_from(_MOVED_FROM),
    )
    .returning(_EVENTS.c.seq)
    .cte("appended")
)
_APPEND_AFTER_MOVE = select(
    select(_APPENDED.c.seq).scalar_subquery().label("appended"), _HEAD.c.seq, _HEAD.c.hash
).where(_HEAD.c.id == HEAD_ID)
"""PostgreSQL: move the head from where it is believed to be and append the event after it, in one
statement (one round trip instead of three). The event is inserted only if the head moved, i.e. only if
it was where the caller believed; otherwise nothing is written and the row shows the head as it was when
the statement began (under the writer lock: as it is), for a second try."""

SESSION_HEAD_HINT = "dossier.audit_head_hint"
"""The Session.info key of the archive's :class:`HeadHint` (Archive puts one in every session)."""


class HeadHint:
    """Where this process last saw the chain's head (seq, hash), so an append on PostgreSQL can move the
    head conditionally instead of reading it first. Only a hint: the catalog's head row decides, and a
    stale hint (another process appended, or the transaction rolled back) costs the locked read."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._head: tuple[int, str] | None = None

    def get(self) -> tuple[int, str] | None:
        with self._guard:
            return self._head

    def set(self, seq: int, hash_: str) -> None:
        with self._guard:
            self._head = (seq, hash_)


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    borrower_key: str | None = None,
    details: dict[str, Any] | None = None,
) -> Event:
    """Add the next event to the chain in ``session``'s transaction (committed with it).

    Returns the event as written (a detached Event: its seq, at and hash are what the catalog holds)."""
    (row,) = _append(session, [EventDraft(actor, action, target, borrower_key, details)])
    return Event(**{name: getattr(row, name) for name in _COLUMNS})


def append_events(session: Session, drafts: Sequence[EventDraft]) -> int:
    """Add several events to the chain, in order, in ``session``'s transaction: one head lock, one
    multi-row insert. The chain is the same as appending them one by one. Returns the last seq."""
    rows = _append(session, drafts)
    return rows[-1].seq if rows else 0


def _append(session: Session, drafts: Sequence[EventDraft]) -> list[_Appended]:
    if not drafts:
        return []
    # Rows the caller added through the ORM go to the catalog first (as when appends flushed them).
    session.flush()
    hint: HeadHint | None = session.info.get(SESSION_HEAD_HINT)
    rows = _append_after_hint(session, drafts, hint)
    if rows is None:
        head = session.execute(_HEAD_LOCKED).first()
        if head is None:
            # A catalog migrated by revision 0001 always has the row; an empty one made another way gets
            # it now. With events present the row was deleted: starting again at 1 would collide or fork.
            if session.execute(_ANY_EVENT).first() is not None:
                raise AuditHeadMissing()
        rows = _chained(drafts, (head.seq, head.hash) if head is not None else (0, GENESIS))
        session.execute(_INSERT_EVENTS, [_values(row) for row in rows])
        session.execute(
            _NEW_HEAD if head is None else _MOVE_HEAD, {"new_seq": rows[-1].seq, "new_hash": rows[-1].hash}
        )
    if hint is not None:
        hint.set(rows[-1].seq, rows[-1].hash)
    held = session.identity_map.get(identity_key(AuditHead, HEAD_ID))
    if held is not None:
        session.expire(held)  # a head the caller loaded through the ORM is now behind the catalog
    return rows


def _append_after_hint(
    session: Session, drafts: Sequence[EventDraft], hint: HeadHint | None
) -> list[_Appended] | None:
    """One event appended in one statement on PostgreSQL, after the hinted head or, when another
    process moved it, after the head that statement saw (a second one); None when that did not apply
    (no hint, several events, another backend, the head moved twice or is missing): nothing was written."""
    if hint is None or len(drafts) != 1 or session.get_bind().dialect.name != "postgresql":
        return None
    # No hint yet (this process has not appended): a head no catalog has, and the answer says where it is.
    head = hint.get() or (-1, "")
    for _ in range(2):
        rows = _chained(drafts, head)
        (row,) = rows
        params = {
            **_values(row),
            "old_seq": head[0],
            "old_hash": head[1],
            "new_seq": row.seq,
            "new_hash": row.hash,
        }
        answer = session.execute(_APPEND_AFTER_MOVE, params).first()
        if answer is None:
            return None  # no head row: the locked read names the problem
        if answer.appended is not None:
            return rows
        head = (answer.seq, answer.hash)
    return None


def _chained(drafts: Sequence[EventDraft], head: tuple[int, str]) -> list[_Appended]:
    """The drafts as the events that follow ``head`` (seq, hash), hashed in order."""
    seq, prev = head
    context = request_details()
    rows: list[_Appended] = []
    for draft in drafts:
        seq += 1
        row = _Appended(
            seq=seq,
            # Microseconds survive every backend; the hash is computed on what will be read back.
            at=datetime.now(UTC),
            actor=draft.actor[:50],
            action=draft.action,
            target=draft.target[:300],
            borrower_key=draft.borrower_key,
            # How the request signed in (e.g. the API token's id), see audit_context; the caller's own win.
            details=plain({**context, **(draft.details or {})}),
            prev_hash=prev,
        )
        prev = event_hash(prev, row)
        rows.append(replace(row, hash=prev))
    return rows


def _values(row: _Appended) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _COLUMNS}


class ChainBreak(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    TAIL_DELETED = "tail-deleted"
    HEAD_MISSING = "head-missing"


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    """Where the chain first breaks: the first event that is wrong or missing."""
    kind: ChainBreak
    message: str


@dataclass
class ChainReport:
    events: int = 0
    head_seq: int = 0
    last_seq: int = 0
    """The last event walked (with last_hash): where a rebuilt head row would point."""
    last_hash: str = GENESIS
    problem: ChainProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


EventVisitor = Callable[[Any], None]
"""Called with each event row the walk reads (seq, at, actor, action, target, borrower_key, details,
prev_hash, hash), in order, so other checks share the one pass over the log."""


def verify_chain(session: Session, *, visit: EventVisitor | None = None) -> ChainReport:
    """Walk the chain from the first event and name the first broken link; ``visit`` sees every row
    read, up to and including a broken one."""
    head = session.execute(select(AuditHead).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()
    report = ChainReport(head_seq=head.seq if head else 0)
    expected, prev = 1, GENESIS
    seen: dict[str, int] = {GENESIS: 0}
    last: Any = None
    # Plain rows, not ORM objects: the walk touches every event and needs nothing but their columns.
    columns = select(
        Event.seq,
        Event.at,
        Event.actor,
        Event.action,
        Event.target,
        Event.borrower_key,
        Event.details,
        Event.prev_hash,
        Event.hash,
    )
    for event in session.execute(columns.order_by(Event.seq)):
        report.events += 1
        if visit is not None:
            visit(event)
        problem = _check_link(event, expected, prev, seen)
        if problem is not None:
            report.problem = problem
            return report
        seen[event.hash] = event.seq
        expected, prev, last = event.seq + 1, event.hash, event
        report.last_seq, report.last_hash = event.seq, event.hash
    last_seq = last.seq if last is not None else 0
    if head is None:
        report.problem = ChainProblem(
            last_seq,
            ChainBreak.HEAD_MISSING,
            "the audit head row is missing (审计链头缺失); the events link up to event "
            f"{last_seq}: `dossier repair` rebuilds the head from it",
        )
    elif last_seq < head.seq:
        report.problem = ChainProblem(
            last_seq + 1,
            ChainBreak.TAIL_DELETED,
            f"events {last_seq + 1}…{head.seq} are missing from the end of the log; the head anchor "
            f"says {head.seq} (日志末尾的事件被删除)",
        )
    elif last_seq > head.seq:
        report.problem = ChainProblem(
            head.seq + 1,
            ChainBreak.INSERTED,
            f"event {head.seq + 1} was added after the head anchor ({head.seq}) outside the audit log "
            f"(锚点之后被插入事件)",
        )
    elif last is not None and last.hash != head.hash:
        report.problem = ChainProblem(
            last_seq, ChainBreak.EDITED, f"event {last_seq} does not match the head anchor (末条事件被篡改)"
        )
    return report


def _check_link(event: Any, expected: int, prev: str, seen: dict[str, int]) -> ChainProblem | None:
    seq = event.seq
    if seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}…{seq - 1}"
        return ChainProblem(
            expected, ChainBreak.DELETED, f"event {missing} is missing before event {seq} (事件被删)"
        )
    if event_hash(event.prev_hash, event) != event.hash:
        if _hashes_as(event, seq - 1):
            return ChainProblem(
                seq - 1,
                ChainBreak.INSERTED,
                f"event {seq - 1} was inserted: the event after it was renumbered from {seq - 1} to {seq} "
                f"(事件被插入)",
            )
        if _hashes_as(event, seq + 1):
            return ChainProblem(
                seq,
                ChainBreak.DELETED,
                f"event {seq} was renumbered from {seq + 1}: an event was deleted before it (事件被删除)",
            )
        return ChainProblem(
            seq,
            ChainBreak.EDITED,
            f"event {seq} ({event.action} {event.target}) does not match its hash (事件内容被篡改)",
        )
    if event.prev_hash != prev:
        if event.prev_hash in seen and seen[event.prev_hash] < seq - 1:
            first = seen[event.prev_hash] + 1
            return ChainProblem(
                first,
                ChainBreak.INSERTED,
                f"events {first}…{seq - 1} do not belong: event {seq} follows event {first - 1} (事件被插入)",
            )
        return ChainProblem(
            seq - 1,
            ChainBreak.EDITED,
            f"event {seq - 1} was changed (its hash no longer links to event {seq}) (事件被篡改后重算哈希)",
        )
    return None


def _hashes_as(event: Any, seq: int) -> bool:
    """Whether ``event`` hashes correctly under another seq: renumbered to hide an insert or a delete."""
    original = Event(
        seq=seq,
        at=event.at,
        actor=event.actor,
        action=event.action,
        target=event.target,
        borrower_key=event.borrower_key,
        details=event.details,
    )
    return seq > 0 and event_hash(event.prev_hash, original) == event.hash


def events_for(
    session: Session,
    *,
    borrower_key: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events in order, optionally one borrower's and only those at or after ``since``."""
    query = select(Event).order_by(Event.seq)
    if borrower_key is not None:
        query = query.where(Event.borrower_key == borrower_key)
    if since is not None:
        query = query.where(Event.at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())
