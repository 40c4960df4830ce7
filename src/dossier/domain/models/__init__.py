"""Domain models (pydantic v2). Every field's title is its Chinese label."""

from dossier.domain.models.collateral import Collateral
from dossier.domain.models.fields import Money, NonNegativeMoney, Percent, PositiveMoney, Rate, labelled
from dossier.domain.models.lender import Lender
from dossier.domain.models.loan import Loan, RateTerms
from dossier.domain.models.party import (
    Borrower,
    BusinessOwnerBorrower,
    DomainModel,
    Enterprise,
    EnterpriseBorrower,
    Guarantor,
    Party,
    Person,
    PersonBorrower,
    PersonRef,
    Shareholder,
)

__all__ = [
    "Borrower",
    "BusinessOwnerBorrower",
    "Collateral",
    "DomainModel",
    "Enterprise",
    "EnterpriseBorrower",
    "Guarantor",
    "Lender",
    "Loan",
    "Money",
    "NonNegativeMoney",
    "Party",
    "Percent",
    "Person",
    "PersonBorrower",
    "PersonRef",
    "PositiveMoney",
    "Rate",
    "RateTerms",
    "Shareholder",
    "labelled",
]
