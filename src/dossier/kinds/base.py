"""What a document kind is: one small unit that the registry finds on its own.

A kind module defines ``KIND = Kind(...)``: its input schema, a function deriving every computed value,
its template, the archive category and document type it files under, and its output file name. Adding a
kind means adding one module (and its example and template); nothing else is edited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from dossier.config import Config
from dossier.domain.models.loan import LOAN_FACTS
from dossier.inputs import parse_text

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class Subject:
    """Whose archive a generated document files into, and under which loan."""

    borrower_key: str
    borrower_name: str
    customer_type: str = "自然人"
    contract_number: str | None = None
    loan: Mapping[str, Any] = field(default_factory=dict)
    """Loan facts to register or update: product, amount, term_months, start_date, maturity_date,
    guarantee_methods, receipt_numbers, officer — whatever the input knows."""


def party_subject(party: Any, contract_number: str | None = None, **loan: Any) -> Subject:
    """The Subject for a Party-like value (``key``, ``name``, ``kind``) and the loan it owes."""
    kind = getattr(party, "customer_type", None) or getattr(party, "kind", None)
    return Subject(
        borrower_key=party.key,
        borrower_name=party.name,
        customer_type=getattr(kind, "label", str(kind or "自然人")),
        contract_number=contract_number,
        loan={name: value for name, value in loan.items() if value not in (None, [], "")},
    )


def default_subjects(data: BaseModel) -> list[Subject]:
    """The ``borrower`` and ``loan`` fields most kinds have; kinds shaped otherwise pass their own."""
    borrower = getattr(data, "borrower", None)
    if borrower is None:
        raise TypeError(f"{type(data).__name__} has no borrower field; its kind must define subjects()")
    loan = getattr(data, "loan", None)
    if loan is None:
        return [party_subject(borrower)]
    facts = {name: getattr(loan, name, None) for name in LOAN_FACTS}
    receipt = getattr(loan, "receipt_number", None)
    if receipt:
        facts["receipt_numbers"] = [receipt]
    return [party_subject(borrower, getattr(loan, "contract_number", None), **facts)]


@dataclass(frozen=True)
class Kind(Generic[S]):
    name: str
    """Command-line and API name, e.g. ``loan-contract``."""
    title: str
    """Chinese title of the document, e.g. 借款合同."""
    schema: type[S]
    derive: Callable[[S, Config], Mapping[str, Any]]
    """Every computed value, keyed by the name the template uses. Keys must not shadow input fields."""
    category: str
    """Archive category key (see [archive.categories] in the configuration)."""
    doc_type: str
    """Document type key the archive and the checklists know it by."""
    filename: Callable[[S], str]
    """Output file name without extension, e.g. ``借款合同-JK2026-000123``."""
    subjects: Callable[[S], list[Subject]] = default_subjects
    """Whose archive the document files into (a public notice names many debtors)."""

    @property
    def template(self) -> str:
        return f"{self.name}.docx"

    def example_text(self) -> str:
        """The shipped example input in YAML: complete, valid, realistic, fictional."""
        path = resources.files("dossier.kinds").joinpath(f"examples/{self.name}.yaml")
        return path.read_text(encoding="utf-8")

    def example(self) -> dict[str, Any]:
        return parse_text(self.example_text(), source=f"examples/{self.name}.yaml")
