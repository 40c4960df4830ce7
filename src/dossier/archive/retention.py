"""Retention (domain.md §2.3): how long each document is kept, which ones have passed it, legal holds.

Each document type names a rule in ``[retention]`` (document_types.yaml). A document keeps the longest
of the rules that apply to it: its type's rule and the base rule (``base_rule``, default ``loan-file``)
that every document of a credit file keeps. Years count from 1 January of the year after settlement
(结清/核销): the loan's ``settled_on`` for a loan's documents; for the borrower's own documents (no
loan), the last settlement once every loan of the borrower is settled. A rule is ``{years = N}``,
``{short_term_years, long_term_years}`` (by the loan's term against ``short_term_max_months``; an unknown
term counts as long) or ``{permanent = true}``; a document flagged ``permanent`` is kept forever.

Nothing here deletes anything. The list of documents past retention is advice for the archivist; a legal
hold on the borrower or the loan (shown with each document) blocks their destruction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.completeness.snapshot import BorrowerSnapshot, DocumentFacts, LoanFacts, load_snapshots
from dossier.archive.registry import find_borrower, normalize_key
from dossier.config import Config
from dossier.domain.document_types import document_types
from dossier.errors import ConfigError, DossierError

if TYPE_CHECKING:
    from dossier.archive.home import Archive

PERMANENT_FLAG = "permanent"
"""A document flag for files of special value (具有特殊保存价值), kept forever."""


class RetentionRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    years: int | None = Field(default=None, ge=0)
    short_term_years: int | None = Field(default=None, ge=0)
    long_term_years: int | None = Field(default=None, ge=0)
    permanent: bool = False

    @model_validator(mode="after")
    def _one_form(self) -> RetentionRule:
        by_term = (self.short_term_years is not None, self.long_term_years is not None)
        forms = [self.years is not None, any(by_term), self.permanent]
        if sum(forms) != 1 or (any(by_term) and not all(by_term)):
            raise ValueError(
                "a rule is {years = N}, {short_term_years = N, long_term_years = M} or {permanent = true}"
            )
        return self

    def years_for(self, term_months: int | None, short_term_max_months: int) -> int | None:
        """Years kept; None = permanent."""
        if self.permanent:
            return None
        if self.years is not None:
            return self.years
        short = term_months is not None and term_months <= short_term_max_months
        return self.short_term_years if short else self.long_term_years


@dataclass(frozen=True)
class RetentionSettings:
    short_term_max_months: int
    base_rule: str | None
    rules: Mapping[str, RetentionRule]


def retention_settings(config: Config) -> RetentionSettings:
    """``[retention]``: ``short_term_max_months``, optional ``base_rule`` and one table per rule."""
    raw = config.raw("retention")
    rules: dict[str, RetentionRule] = {}
    for name, value in raw.items():
        if isinstance(value, Mapping):
            try:
                rules[name] = RetentionRule.model_validate(dict(value))
            except ValidationError as exc:
                problems = "; ".join(err["msg"] for err in exc.errors())
                raise ConfigError(f"invalid configuration (配置错误): retention.{name}: {problems}") from exc
    try:
        short = int(raw.get("short_term_max_months", 12))
    except (TypeError, ValueError):
        raise ConfigError("invalid configuration (配置错误): retention.short_term_max_months") from None
    base = raw.get("base_rule", "loan-file")
    base = base or None
    if base is not None and base not in rules:
        raise ConfigError(f"invalid configuration (配置错误): retention.base_rule {base!r} is not a rule")
    for doc_type in document_types(config):
        if doc_type.retention not in rules:
            raise ConfigError(
                f"document type {doc_type.key} names retention rule {doc_type.retention!r}, which "
                f"[retention] does not define (保管期限规则未定义)"
            )
    return RetentionSettings(short_term_max_months=short, base_rule=base, rules=rules)


@dataclass(frozen=True)
class DocumentRetention:
    document_id: int
    borrower_key: str
    borrower_name: str
    loan: str | None
    doc_type: str
    doc_type_label: str
    title: str
    path: str
    doc_date: date | None
    rules: tuple[str, ...]
    """The rules that apply, each as ``name=N`` years (or ``name=permanent``)."""
    years: int | None
    """Years kept: the longest applicable rule; None when kept permanently."""
    settled_on: date | None
    """The settlement the period counts from; None while it has not started."""
    keep_until: date | None
    """Last day of the period (31 December); None while it has not started or when permanent."""
    past_retention: bool
    legal_hold: bool
    hold_on: tuple[str, ...]
    """What holds it: ``borrower`` and/or ``loan:<contract number>``."""

    @property
    def may_be_destroyed(self) -> bool:
        return self.past_retention and not self.legal_hold


def _counted_from(doc: DocumentFacts, loans: Mapping[str, LoanFacts]) -> date | None:
    if doc.loan is not None:
        loan = loans.get(doc.loan)
        return loan.settled_on if loan else None
    # The borrower's own documents serve every loan: they wait until the last one is settled.
    if not loans or any(loan.settled_on is None for loan in loans.values()):
        return None
    return max(loan.settled_on for loan in loans.values() if loan.settled_on is not None)


def _term(doc: DocumentFacts, loans: Mapping[str, LoanFacts]) -> int | None:
    if doc.loan is not None:
        loan = loans.get(doc.loan)
        return loan.term if loan else None
    terms = [loan.term for loan in loans.values()]
    # Unknown terms count as long, so the borrower's documents keep the longest period that may apply.
    return None if not terms or None in terms else max(t for t in terms if t is not None)


def review_retention(snapshot: BorrowerSnapshot, as_of: date, *, config: Config) -> list[DocumentRetention]:
    """Every document of the borrower with its retention period and hold."""
    settings = retention_settings(config)
    types = {t.key: t for t in document_types(config)}
    loans = {loan.contract_number: loan for loan in snapshot.loans}
    result: list[DocumentRetention] = []
    for doc in snapshot.documents:
        doc_type = types.get(doc.doc_type)
        names = [doc_type.retention if doc_type else settings.base_rule or "loan-file"]
        if settings.base_rule and settings.base_rule not in names:
            names.append(settings.base_rule)
        term = _term(doc, loans)
        periods = {
            name: settings.rules[name].years_for(term, settings.short_term_max_months)
            for name in names
            if name in settings.rules
        }
        permanent = PERMANENT_FLAG in doc.flags or None in periods.values()
        years = None if permanent else max((y for y in periods.values() if y is not None), default=0)
        settled = _counted_from(doc, loans)
        keep_until = None
        if settled is not None and years is not None:
            keep_until = date(settled.year + years, 12, 31)
        hold_on: list[str] = ["borrower"] if snapshot.legal_hold else []
        related = [loans[doc.loan]] if doc.loan in loans else list(loans.values()) if doc.loan is None else []
        hold_on += [f"loan:{loan.contract_number}" for loan in related if loan.legal_hold]
        rule_text = [f"{name}={'permanent' if y is None else y}" for name, y in periods.items()]
        if PERMANENT_FLAG in doc.flags:
            rule_text.append(f"flag:{PERMANENT_FLAG}")
        result.append(
            DocumentRetention(
                document_id=doc.id,
                borrower_key=snapshot.key,
                borrower_name=snapshot.name,
                loan=doc.loan,
                doc_type=doc.doc_type,
                doc_type_label=doc_type.label if doc_type else doc.doc_type,
                title=doc.title,
                path=doc.path,
                doc_date=doc.doc_date,
                rules=tuple(rule_text),
                years=years,
                settled_on=settled,
                keep_until=keep_until,
                past_retention=keep_until is not None and as_of > keep_until,
                legal_hold=bool(hold_on),
                hold_on=tuple(hold_on),
            )
        )
    return result


@dataclass(frozen=True)
class RetentionReport:
    as_of: date
    documents: tuple[DocumentRetention, ...]
    """Documents past retention, by borrower and document id."""
    held: int
    """How many of them a legal hold keeps."""

    @property
    def may_be_destroyed(self) -> int:
        return len(self.documents) - self.held


def retention_report(archive: Archive, as_of: date) -> RetentionReport:
    """Documents of the whole archive past retention on ``as_of`` (nothing is deleted)."""
    with archive.session(write=False) as session:
        snapshots = load_snapshots(session)
    past = [
        doc
        for snapshot in snapshots
        for doc in review_retention(snapshot, as_of, config=archive.config)
        if doc.past_retention
    ]
    return RetentionReport(as_of=as_of, documents=tuple(past), held=sum(d.legal_hold for d in past))


# --- legal hold and settlement --------------------------------------------------------------------


@dataclass(frozen=True)
class HoldChange:
    target: str
    """``borrower:<key>`` or ``loan:<contract number>``."""
    legal_hold: bool
    changed: bool


def _borrower(session: Session, key: str, config: Config) -> Borrower:
    try:
        normal = normalize_key(key, config)
    except ValueError:
        normal = key.strip()
    borrower = find_borrower(session, normal)
    if borrower is None:
        raise DossierError(f"no borrower {key!r} in the archive (档案中没有该借款人)")
    return borrower


def _loan(session: Session, borrower: Borrower, contract_number: str) -> Loan:
    loan = session.scalars(select(Loan).where(Loan.contract_number == contract_number.strip())).one_or_none()
    if loan is None or loan.borrower_id != borrower.id:
        raise DossierError(
            f"borrower {borrower.key} has no loan {contract_number!r} (该借款人没有此合同编号的贷款)"
        )
    return loan


def set_legal_hold(
    archive: Archive,
    borrower_key: str,
    *,
    loan: str | None = None,
    hold: bool = True,
    reason: str | None = None,
    actor: str = "system",
) -> HoldChange:
    """Set (or with ``hold=False`` release) the legal hold of a borrower or one of its loans; an audit
    event records each change, and setting what is already set changes nothing."""

    def work(session: Session) -> HoldChange:
        borrower = _borrower(session, borrower_key, archive.config)
        row: Borrower | Loan = borrower
        target = f"borrower:{borrower.key}"
        if loan is not None:
            row = _loan(session, borrower, loan)
            target = f"loan:{row.contract_number}"
        if bool(row.legal_hold) == hold:
            return HoldChange(target, hold, changed=False)
        row.legal_hold = hold
        row.updated_at = datetime.now(UTC)
        details: dict[str, Any] = {"legal_hold": hold}
        if reason:
            details["reason"] = reason
        append_event(
            session,
            actor=actor,
            action="legal-hold" if hold else "release-hold",
            target=target,
            borrower_key=borrower.key,
            details=details,
        )
        return HoldChange(target, hold, changed=True)

    return archive.transaction(work)


def settle_loan(
    archive: Archive, borrower_key: str, contract_number: str, settled_on: date, *, actor: str = "system"
) -> bool:
    """Record the loan's settlement (结清/核销) date, which starts its retention period; an audit event
    records it. Returns False when the date was already recorded."""

    def work(session: Session) -> bool:
        borrower = _borrower(session, borrower_key, archive.config)
        loan = _loan(session, borrower, contract_number)
        if loan.settled_on == settled_on:
            return False
        previous = loan.settled_on
        loan.settled_on = settled_on
        loan.updated_at = datetime.now(UTC)
        append_event(
            session,
            actor=actor,
            action="settle",
            target=f"loan:{loan.contract_number}",
            borrower_key=borrower.key,
            details={"settled_on": settled_on, **({"previous": previous} if previous else {})},
        )
        return True

    return archive.transaction(work)
