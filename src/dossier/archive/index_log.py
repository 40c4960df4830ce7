"""The index's change log in the catalog (``index_log``) and the nodes that apply it (``index_nodes``).

The outbox (``index_outbox``) is the extraction work queue: one process extracts each document once. In
the catalog transaction that settles its outbox row, the extractor appends an entry here (``add`` or
``update``; ``remove`` for a document gone from the catalog); a full reindex appends ``reindex``. Every
node keeps its own index replica and applies the entries after its applied seq, in seq order.

Seqs are allocated and committed in one order: every writing transaction takes the catalog writer lock
first (``pg_advisory_xact_lock`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so an applier that has
seen seq N has seen every seq below it. On PostgreSQL appending also sends ``pg_notify(CHANNEL, seq)`` in
the same transaction: listeners hear of an entry only once it is committed.

Trimming (:func:`trim`) deletes the entries below a floor and always keeps the floor entry itself, so the
oldest kept seq tells a node whether it missed entries: a node whose applied seq is below it rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from dossier.archive.catalog.models import IndexLog, IndexNode

CHANNEL = "dossier_index"
"""The PostgreSQL notification channel; the payload is the newest seq appended."""

_APPEND = insert(cast(Table, IndexLog.__table__))


class LogOp(StrEnum):
    ADD = "add"
    UPDATE = "update"
    REMOVE = "remove"
    REINDEX = "reindex"


@dataclass(frozen=True)
class Entry:
    seq: int
    op: LogOp
    document_id: int | None
    logged_at: datetime


def append(session: Session, changes: Iterable[tuple[LogOp, int | None]]) -> int | None:
    """Append ``changes`` in ``session``'s transaction (committed with it); the last seq, or None."""
    now = datetime.now(UTC)
    rows = [{"op": op.value, "document_id": doc, "logged_at": now} for op, doc in changes]
    if not rows:
        return None
    session.execute(_APPEND, rows)
    last = head(session)
    if session.get_bind().dialect.name == "postgresql":
        # Delivered at commit, never before: a listener woken by it finds the entry.
        session.execute(text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANNEL, "seq": str(last)})
    return last


def head(session: Session) -> int:
    """The newest seq (0 for an empty log)."""
    return int(session.execute(select(func.coalesce(func.max(IndexLog.seq), 0))).scalar_one())


def oldest(session: Session) -> int | None:
    """The oldest kept seq (None for an empty log)."""
    found = session.execute(select(func.min(IndexLog.seq))).scalar_one()
    return None if found is None else int(found)


def after(session: Session, seq: int, size: int) -> list[Entry]:
    """The next ``size`` entries after ``seq``, in seq order."""
    rows = session.execute(
        select(IndexLog.seq, IndexLog.op, IndexLog.document_id, IndexLog.logged_at)
        .where(IndexLog.seq > seq)
        .order_by(IndexLog.seq)
        .limit(size)
    ).all()
    return [Entry(int(s), LogOp(op), doc, at) for s, op, doc, at in rows]


def first_logged_after(session: Session, seq: int) -> datetime | None:
    """When the oldest entry after ``seq`` was logged (how long a node at ``seq`` is behind)."""
    found: datetime | None = session.execute(
        select(IndexLog.logged_at).where(IndexLog.seq > seq).order_by(IndexLog.seq).limit(1)
    ).scalar()
    return found


def record_node(session: Session, node: str, index_path: str, applied_seq: int) -> None:
    """Register ``node`` or move it on to ``applied_seq`` (never back: a slower writer of an older figure
    loses), and mark it seen now."""
    now = datetime.now(UTC)
    known = session.get(IndexNode, node)
    if known is None:
        session.add(
            IndexNode(node=node, index_path=index_path, applied_seq=applied_seq, applied_at=now, seen_at=now)
        )
        session.flush()
        return
    values: dict[str, object] = {"seen_at": now, "index_path": index_path}
    if applied_seq != known.applied_seq:
        values.update(applied_seq=applied_seq, applied_at=now)
    session.execute(update(IndexNode).where(IndexNode.node == node).values(**values))


def nodes(session: Session) -> list[IndexNode]:
    return list(session.execute(select(IndexNode).order_by(IndexNode.node)).scalars())


def forget_node(session: Session, node: str) -> None:
    session.execute(delete(IndexNode).where(IndexNode.node == node))


def trim(session: Session, retention: timedelta, now: datetime | None = None) -> int:
    """Delete the entries every live node has applied, and those older than ``retention`` whatever
    the nodes: below the floor, keeping the floor entry. A node counts as live if seen within
    ``retention``. How many were deleted."""
    now = now or datetime.now(UTC)
    cutoff = now - retention
    newest = head(session)
    if newest == 0:
        return 0
    live: Sequence[int] = [
        int(s)
        for s in session.execute(select(IndexNode.applied_seq).where(IndexNode.seen_at >= cutoff)).scalars()
    ]
    applied_by_all = min(live) if live else newest
    aged = session.execute(select(func.max(IndexLog.seq)).where(IndexLog.logged_at < cutoff)).scalar()
    floor = min(max(applied_by_all, int(aged or 0)), newest)
    result = session.execute(delete(IndexLog).where(IndexLog.seq < floor))
    return int(getattr(result, "rowcount", 0) or 0)
