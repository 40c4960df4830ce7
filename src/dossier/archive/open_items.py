"""Open 补充材料 items of credit applications close themselves when a matching document is filed.

Called by the filing path (``filing.complete``) in the transaction that marks the document filed, so an
item is closed exactly when the document exists. It lives in ``archive`` because filing must not import
the credit process (``dossier.process`` imports the archive); it only touches the items' own table.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event
from dossier.archive.catalog.process_tables import OpenItemRow

ITEM_CLOSED_ACTION = "application.item-closed"
"""The audit action of an item closed by a filed document."""


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
    query = (
        select(OpenItemRow)
        .where(
            OpenItemRow.borrower_id == borrower_id,
            OpenItemRow.doc_type == doc_type,
            OpenItemRow.closed_at.is_(None),
        )
        .order_by(OpenItemRow.id)
    )
    closed: list[int] = []
    for item in session.execute(query).scalars():
        item.closed_at = datetime.now(UTC)
        item.closed_by_document = document_id
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
