"""Read models of the archive for the faces: borrowers, their files as a tree in volume order,
documents with their versions, renditions and events. Plain data, labelled in Chinese where people read it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dossier.archive.audit import event_content
from dossier.archive.catalog.models import Borrower, Document, Event, Loan, Rendition
from dossier.archive.renditions import RenditionKind, renditions_of
from dossier.config import Config
from dossier.domain.categories import categories
from dossier.domain.document_types import document_types
from dossier.domain.enums import LabeledEnum, Product

FILED = "filed"


def _labels(config: Config) -> tuple[dict[str, str], dict[str, str]]:
    return (
        {c.key: c.label for c in categories(config)},
        {t.key: t.label for t in document_types(config)},
    )


def loan_info(loan: Loan) -> dict[str, Any]:
    return {
        "id": loan.id,
        "contract_number": loan.contract_number,
        "receipt_numbers": list(loan.receipt_numbers or []),
        "product": loan.product,
        "product_label": _label(Product, loan.product),
        "guarantee_methods": list(loan.guarantee_methods or []),
        "amount": loan.amount,
        "term_months": loan.term_months,
        "start_date": loan.start_date,
        "maturity_date": loan.maturity_date,
        "officer": loan.officer,
        "settled_on": loan.settled_on,
        "legal_hold": loan.legal_hold,
    }


def _label(enum: type[LabeledEnum], value: str | None) -> str | None:
    if not value:
        return None
    try:
        return enum(value).label
    except ValueError:
        return value


def borrower_info(borrower: Borrower, documents: int | None = None) -> dict[str, Any]:
    return {
        "id": borrower.id,
        "key": borrower.key,
        "name": borrower.name,
        "customer_type": borrower.customer_type,
        "officer": borrower.officer,
        "legal_hold": borrower.legal_hold,
        "documents": documents,
        "created_at": borrower.created_at,
        "updated_at": borrower.updated_at,
    }


def rendition_info(rendition: Rendition) -> dict[str, Any]:
    try:
        label = RenditionKind(rendition.kind).label
    except ValueError:
        label = rendition.kind
    return {
        "id": rendition.id,
        "document_id": rendition.document_id,
        "kind": rendition.kind,
        "kind_label": label,
        "file_name": rendition.path.rsplit("/", 1)[-1],
        "sha256": rendition.sha256,
        "size": rendition.size,
        "media_type": rendition.media_type,
        "pages": rendition.pages,
        "filed_at": rendition.filed_at,
    }


def document_info(
    doc: Document,
    config: Config,
    loan: Loan | None = None,
    renditions: Collection[Rendition] = (),
) -> dict[str, Any]:
    """One document as the faces show it; ``renditions`` are its other forms (the PDF of a DOCX)."""
    cat_labels, type_labels = _labels(config)
    return {
        "id": doc.id,
        "borrower_id": doc.borrower_id,
        "loan_contract_number": loan.contract_number if loan else None,
        "category": doc.category,
        "category_label": cat_labels.get(doc.category, doc.category),
        "doc_type": doc.doc_type,
        "doc_type_label": type_labels.get(doc.doc_type, doc.doc_type),
        "title": doc.title,
        "doc_date": doc.doc_date,
        "sha256": doc.sha256,
        "size": doc.size,
        "media_type": doc.media_type,
        "pages": doc.pages,
        "original_name": doc.original_name,
        "file_name": doc.path.rsplit("/", 1)[-1],
        "source": doc.source,
        "version": doc.version,
        "version_of": doc.version_of,
        "flags": list(doc.flags or []),
        "details": dict(doc.details or {}),
        "actor": doc.actor,
        "filed_at": doc.filed_at,
        "renditions": [rendition_info(r) for r in renditions],
    }


def document_renditions(session: Session, doc: Document) -> list[Rendition]:
    return renditions_of(session, [doc.id]).get(doc.id, [])


def list_borrowers(
    session: Session,
    *,
    visible: Collection[int] | None,
    text: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[dict[str, Any]]]:
    """Borrowers by name, with their document counts; ``visible`` None means every borrower."""
    query = select(Borrower)
    if visible is not None:
        query = query.where(Borrower.id.in_(list(visible)))
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(or_(Borrower.name.like(pattern), Borrower.key.like(pattern)))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(
        session.execute(query.order_by(Borrower.name, Borrower.id).offset(offset).limit(limit)).scalars()
    )
    counts = dict(
        session.execute(
            select(Document.borrower_id, func.count())
            .where(Document.borrower_id.in_([b.id for b in rows]), Document.state == FILED)
            .group_by(Document.borrower_id)
        ).all()
    )
    return total, [borrower_info(b, counts.get(b.id, 0)) for b in rows]


def borrower_loans(session: Session, borrower: Borrower) -> list[dict[str, Any]]:
    loans = session.execute(select(Loan).where(Loan.borrower_id == borrower.id).order_by(Loan.id)).scalars()
    return [loan_info(loan) for loan in loans]


def borrower_tree(session: Session, borrower: Borrower, config: Config) -> list[dict[str, Any]]:
    """Every category of the file in volume order (empty ones too), each with its documents by date."""
    loans = {
        loan.id: loan
        for loan in session.execute(select(Loan).where(Loan.borrower_id == borrower.id)).scalars()
    }
    docs = list(
        session.execute(
            select(Document)
            .where(Document.borrower_id == borrower.id, Document.state == FILED)
            .order_by(Document.doc_date, Document.filed_at, Document.id)
        ).scalars()
    )
    # A rendition is never a document row: each document shows once, with its renditions.
    renditions = renditions_of(session, [d.id for d in docs])
    by_category: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        loan = loans.get(doc.loan_id) if doc.loan_id else None
        info = document_info(doc, config, loan, renditions.get(doc.id, ()))
        by_category.setdefault(doc.category, []).append(info)
    tree = [
        {
            "key": cat.key,
            "number": cat.number,
            "label": cat.label,
            "folder": cat.folder,
            "documents": by_category.pop(cat.key, []),
        }
        for cat in categories(config)
    ]
    # Categories a bank has since dropped from its configuration still show, after the known ones.
    for key, documents in sorted(by_category.items()):
        tree.append({"key": key, "number": 99, "label": key, "folder": key, "documents": documents})
    return tree


def document_versions(session: Session, doc: Document, config: Config) -> list[dict[str, Any]]:
    root = doc.version_of or doc.id
    rows = list(
        session.execute(
            select(Document)
            .where(or_(Document.id == root, Document.version_of == root), Document.state == FILED)
            .order_by(Document.version)
        ).scalars()
    )
    renditions = renditions_of(session, [r.id for r in rows])
    return [document_info(row, config, renditions=renditions.get(row.id, ())) for row in rows]


def document_events(session: Session, doc: Document) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Event).where(Event.target == f"document:{doc.id}").order_by(Event.seq)
    ).scalars()
    return [event_info(e) for e in rows]


def event_info(event: Event) -> dict[str, Any]:
    return {**event_content(event), "hash": event.hash}
