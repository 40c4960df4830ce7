"""The outbox in the catalog (``index_queue``): the text extraction the index still owes the catalog.

Rows are written in the catalog transaction that creates the need (filing writes ``add`` in the
transaction that marks the document filed). The drain (search.indexing) extracts each document's text
once, then deletes the rows in the transaction that records the text and appends the change-log entry
every node's index replica applies (archive.index_log), so the index can lag behind the catalog but never
lose a document: after a crash the work is simply done again, and applying an entry again replaces the
document. Rows are worked in id order; a row that fails ``max_attempts`` times is left aside, with its
last error, for `dossier index` to report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    CursorResult,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from dossier.archive.catalog.models import Document, IndexQueue

ADD = "add"
DELETE = "delete"
OCR = "ocr"
OPS = (ADD, DELETE, OCR)
INDEX_OPS = (ADD, DELETE)
ERROR_CHARS = 2000
_ENQUEUE = insert(cast(Table, IndexQueue.__table__))


def enqueued_from(document_ids: ColumnElement[int], name: str = "queued") -> CTE:
    """A CTE that queues ``add`` for each of ``document_ids`` (a column of another CTE of the same
    statement), stamped with the ``queued_at`` parameter: on PostgreSQL a statement that files documents
    queues them in the same round trip. SQLite has no data-modifying CTE: there, :func:`enqueue`."""
    queued_at = bindparam("queued_at", type_=IndexQueue.queued_at.type)
    rows = select(document_ids, literal(ADD), queued_at, literal(0))
    columns = ["document_id", "op", "queued_at", "attempts"]
    return _ENQUEUE.from_select(columns, rows).cte(name)


def enqueue(session: Session, document_id: int, op: str = ADD) -> None:
    """Queue ``op`` for a document in ``session``'s transaction (committed with it)."""
    if op not in OPS:
        raise ValueError(f"unknown outbox operation {op!r} (未知的索引队列操作)")
    # A plain INSERT built once, no ORM object: filing queues one row per document on its hot path.
    session.execute(
        _ENQUEUE, {"document_id": document_id, "op": op, "queued_at": datetime.now(UTC), "attempts": 0}
    )


def enqueue_once(session: Session, document_id: int, op: str) -> bool:
    """Queue ``op`` unless a row for it is already waiting; True if a row was added."""
    waiting = session.execute(
        select(IndexQueue.id).where(IndexQueue.document_id == document_id, IndexQueue.op == op).limit(1)
    ).first()
    if waiting is not None:
        return False
    enqueue(session, document_id, op)
    return True


def enqueue_all_filed(session: Session) -> int:
    """Queue ``add`` for every filed document without one waiting, in one statement (bounded memory)."""
    waiting = select(IndexQueue.document_id).where(IndexQueue.op == ADD)
    chosen = select(
        Document.id, literal(ADD), literal(datetime.now(UTC), type_=IndexQueue.queued_at.type), literal(0)
    ).where(Document.state == "filed", Document.id.not_in(waiting))
    queued = insert(IndexQueue).from_select(["document_id", "op", "queued_at", "attempts"], chosen)
    # An INSERT's result is a CursorResult, which counts rows; Session.execute is typed for any statement.
    result = cast("CursorResult[Any]", session.execute(queued))
    return int(result.rowcount or 0)


def next_rows(
    session: Session, ops: Sequence[str], *, after: int, size: int, max_attempts: int
) -> list[IndexQueue]:
    """The next ``size`` live rows for ``ops`` with an id above ``after``, oldest first."""
    query = (
        select(IndexQueue)
        .where(IndexQueue.op.in_(ops), IndexQueue.id > after, IndexQueue.attempts < max_attempts)
        .order_by(IndexQueue.id)
        .limit(size)
    )
    return list(session.execute(query).scalars())


def remove(session: Session, row_ids: Iterable[int]) -> None:
    ids = list(row_ids)
    if ids:
        session.execute(delete(IndexQueue).where(IndexQueue.id.in_(ids)))


def record_failure(session: Session, row_ids: Iterable[int], error: str) -> None:
    ids = list(row_ids)
    if ids:
        session.execute(
            update(IndexQueue)
            .where(IndexQueue.id.in_(ids))
            .values(attempts=IndexQueue.attempts + 1, last_error=error[:ERROR_CHARS])
        )


@dataclass(frozen=True)
class QueueState:
    waiting: dict[str, int]
    """Rows still to be worked, by operation."""
    parked: int
    """Rows left aside after ``max_attempts`` failures."""
    orphans: int
    """``add``/``ocr`` rows whose document is not in the catalog (or not filed)."""

    @property
    def index_pending(self) -> int:
        return self.waiting.get(ADD, 0) + self.waiting.get(DELETE, 0)


def index_pending(session: Session, max_attempts: int) -> int:
    """Rows the index still owes (``QueueState.index_pending``) in one COUNT, for a search's answer."""
    owed = (
        select(func.count())
        .select_from(IndexQueue)
        .where(IndexQueue.op.in_(INDEX_OPS), IndexQueue.attempts < max_attempts)
    )
    return int(session.execute(owed).scalar_one())


def state(session: Session, max_attempts: int) -> QueueState:
    waiting = dict(
        session.execute(
            select(IndexQueue.op, func.count())
            .where(IndexQueue.attempts < max_attempts)
            .group_by(IndexQueue.op)
        ).all()
    )
    parked = session.execute(
        select(func.count()).select_from(IndexQueue).where(IndexQueue.attempts >= max_attempts)
    ).scalar_one()
    filed = select(Document.id).where(Document.state == "filed")
    orphans = session.execute(
        select(func.count())
        .select_from(IndexQueue)
        .where(IndexQueue.op.in_((ADD, OCR)), IndexQueue.document_id.not_in(filed))
    ).scalar_one()
    return QueueState({str(k): int(v) for k, v in waiting.items()}, int(parked), int(orphans))


def parked_rows(session: Session, max_attempts: int, limit: int = 20) -> list[IndexQueue]:
    query = select(IndexQueue).where(IndexQueue.attempts >= max_attempts).order_by(IndexQueue.id).limit(limit)
    return list(session.execute(query).scalars())


def retry_parked(session: Session, max_attempts: int) -> int:
    """Give rows left aside a fresh set of attempts (after the cause was fixed)."""
    changed = update(IndexQueue).where(IndexQueue.attempts >= max_attempts).values(attempts=0)
    result = cast("CursorResult[Any]", session.execute(changed))  # an UPDATE's result counts rows
    return int(result.rowcount or 0)
