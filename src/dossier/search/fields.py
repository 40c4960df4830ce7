"""What the index knows of a document beyond its text, and how query fields name it.

Keyword fields (exact values): ``borrower`` holds the borrower's key AND its name, so ``borrower:`` takes
either; ``loan`` the contract number; ``category`` and ``type`` the keys (a query may give the Chinese
label: it is turned into the key before searching); ``source`` and ``flag`` (e.g. ``flag:needs-ocr``).
Date fields: ``date`` (the document's date) and ``filed`` (the day it was filed).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from dossier.archive.catalog.models import Borrower, Document, Loan
from dossier.archive.registry import normalize_key
from dossier.config import Config
from dossier.domain.categories import get_category
from dossier.domain.document_types import get_document_type
from dossier.errors import DossierError
from indexer import query as q
from indexer.engines import IndexDoc, IndexSchema

KEYWORD_FIELDS = ("borrower", "loan", "category", "type", "source", "flag")
DATE_FIELDS = ("date", "filed")
SCHEMA = IndexSchema(keyword_fields=KEYWORD_FIELDS, date_fields=DATE_FIELDS)


class SearchError(DossierError):
    """A query or filter the search cannot use; the CLI prints it on one line and exits 2."""


def index_doc(
    document: Document, borrower: Borrower, loan: Loan | None, text: str, *, flags: list[str] | None = None
) -> IndexDoc:
    """The engine's view of a filed document (``flags``: the document's flags, if about to change).

    The title leads the text unless the text already holds it, so a scan waiting for OCR is still found
    by its title."""
    body = text if document.title in text else f"{document.title}\n\n{text}" if text else document.title
    return IndexDoc(
        id=str(document.id),
        text=body,
        keywords={
            "borrower": list(dict.fromkeys([borrower.key, borrower.name])),
            "loan": [loan.contract_number] if loan is not None else [],
            "category": [document.category],
            "type": [document.doc_type],
            "source": [document.source],
            "flag": list(document.flags or []) if flags is None else list(flags),
        },
        dates={"date": document.doc_date, "filed": document.filed_at.date()},
        stored={"title": document.title},
    )


def parse_query(text: str) -> q.Query:
    """The query tree; raises indexer.query.QuerySyntaxError (a ValueError) on bad syntax."""
    return q.parse(text, keyword_fields=KEYWORD_FIELDS, date_fields=DATE_FIELDS)


def borrower_value(value: str, config: Config) -> str:
    """A borrower key in canonical form, or the name as given (trimmed)."""
    try:
        return normalize_key(value, config)
    except (DossierError, ValueError):
        return value.strip()


def category_value(value: str, config: Config) -> str:
    try:
        return get_category(value, config).key
    except DossierError as exc:
        raise SearchError(f"category: {exc}") from None


def type_value(value: str, config: Config) -> str:
    try:
        return get_document_type(value, config).key
    except DossierError as exc:
        raise SearchError(f"type: {exc}") from None


def loan_value(value: str, config: Config) -> str:
    # As filing and ensure_loan store it.
    return unicodedata.normalize("NFKC", value.strip()).upper()


_NORMALIZERS: dict[str, Callable[[str, Config], str]] = {
    "borrower": borrower_value,
    "category": category_value,
    "type": type_value,
    "loan": loan_value,
    "source": lambda v, _c: v.strip().lower(),
    "flag": lambda v, _c: v.strip().lower(),
}


def normalize_fields(query: q.Query, config: Config) -> q.Query:
    """The query with every keyword value turned into what the index holds (keys, canonical numbers)."""
    if isinstance(query, q.Field):
        return q.Field(query.name, _NORMALIZERS[query.name](query.value, config))
    if isinstance(query, q.And):
        return q.And(tuple(normalize_fields(item, config) for item in query.items))
    if isinstance(query, q.Or):
        return q.Or(tuple(normalize_fields(item, config) for item in query.items))
    if isinstance(query, q.Not):
        return q.Not(normalize_fields(query.item, config))
    return query


def has_text(query: q.Query) -> bool:
    """Whether the query matches any words (else it only filters, and relevance means nothing)."""
    if isinstance(query, q.Text):
        return True
    if isinstance(query, q.And | q.Or):
        return any(has_text(item) for item in query.items)
    return False


@dataclass(frozen=True)
class Filters:
    """The command line's filters, already normalised; each one narrows the query."""

    borrower: str | None = None
    loan: str | None = None
    category: str | None = None
    doc_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    scope: tuple[str, ...] | None = None
    """The borrowers (keys) the searcher may see; None for all. Never empty: see ``make_filters``."""

    def nodes(self) -> list[q.Query]:
        found: list[q.Query] = []
        if self.scope is not None:
            keys = [q.Field("borrower", key) for key in self.scope]
            found.append(keys[0] if len(keys) == 1 else q.Or(tuple(keys)))
        for name, value in (
            ("borrower", self.borrower),
            ("loan", self.loan),
            ("category", self.category),
            ("type", self.doc_type),
        ):
            if value is not None:
                found.append(q.Field(name, value))
        if self.date_from is not None or self.date_to is not None:
            found.append(q.DateRange("date", self.date_from, self.date_to))
        return found

    def as_dict(self) -> dict[str, str]:
        values = {
            "borrower": self.borrower,
            "loan": self.loan,
            "category": self.category,
            "type": self.doc_type,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: v for k, v in values.items() if v is not None}


def make_filters(
    *,
    borrower: str | None = None,
    loan: str | None = None,
    category: str | None = None,
    doc_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    scope: Iterable[str] | None = None,
    config: Config,
) -> Filters:
    scoped = None if scope is None else tuple(sorted(set(scope)))
    if scoped == ():
        # Nobody is matched by an empty OR; a key no borrower can have keeps the query well-formed.
        scoped = ("-",)
    return Filters(
        scope=scoped,
        borrower=borrower_value(borrower, config) if borrower else None,
        loan=loan_value(loan, config) if loan else None,
        category=category_value(category, config) if category else None,
        doc_type=type_value(doc_type, config) if doc_type else None,
        date_from=date_from,
        date_to=date_to,
    )


def combine(query: q.Query, filters: Filters) -> q.Query:
    """``query`` AND every filter, kept in the simplified shape engines expect."""
    extra = filters.nodes()
    if not extra:
        return query
    if isinstance(query, q.MatchAll):
        items: list[q.Query] = []
    elif isinstance(query, q.And):
        items = [item for item in query.items if not isinstance(item, q.MatchAll)]
    else:
        items = [query]
    items += extra
    return items[0] if len(items) == 1 else q.And(tuple(items))
