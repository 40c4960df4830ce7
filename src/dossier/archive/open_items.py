"""Open 补充材料 items of credit applications close themselves when a matching document is filed.

Called by the filing path (``filing.complete``) in the transaction that marks the document filed, so an
item is closed exactly when the document exists. It lives in ``archive`` because filing must not import
the credit process (``dossier.process`` imports the archive); it only touches the items' own table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event
from dossier.archive.catalog.process_tables import OpenItemRow

ITEM_CLOSED_ACTION = "application.item-closed"
"""The audit action of an item closed by a filed document."""
# Plain SQL built once: every filing asks, and almost every filing finds no item.
_ITEMS = cast(Table, OpenItemRow.__table__)
_OPEN_ITEMS = (
    select(_ITEMS.c.id, _ITEMS.c.application_id, _ITEMS.c.doc_type)
    .where(
        _ITEMS.c.borrower_id == bindparam("borrower_id"),
        _ITEMS.c.doc_type == bindparam("doc_type"),
        _ITEMS.c.closed_at.is_(None),
    )
    .order_by(_ITEMS.c.id)
)
_CLOSE_ITEM = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(closed_at=bindparam("closed_at"), closed_by_document=bindparam("document_id"))
)


ITEMS_OPEN = exists(
    select(_ITEMS.c.id).where(
        _ITEMS.c.borrower_id == bindparam("item_borrower_id"),
        _ITEMS.c.doc_type == bindparam("item_doc_type"),
        _ITEMS.c.closed_at.is_(None),
    )
)
"""Whether the borrower has open items asking for the type (parameters ``item_borrower_id`` and
``item_doc_type``: an UPDATE keeps the columns' own names), as an expression: filing reads it back with
the row it marks filed, and calls close_open_items only then."""


def close_open_items(
    session: Session,
    *,
    document_id: int,
    borrower_id: int,
    borrower_key: str,
    doc_type: str,
    sha256: str,
    actor: str,
) -> list[int]:
    """Close the borrower's open items asking for the filed document's type; one audit event per item."""
    items = session.execute(_OPEN_ITEMS, {"borrower_id": borrower_id, "doc_type": doc_type}).all()
    closed: list[int] = []
    for item in items:
        params = {"item_id": item.id, "closed_at": datetime.now(UTC), "document_id": document_id}
        session.execute(_CLOSE_ITEM, params)
        append_event(
            session,
            actor=actor,
            action=ITEM_CLOSED_ACTION,
            target=f"application:{item.application_id}",
            borrower_key=borrower_key,
            details={"item": item.id, "doc_type": item.doc_type, "document": document_id, "sha256": sha256},
        )
        closed.append(item.id)
    return closed
