"""Borrowers and loans in the catalog: registered on first sight, updated when the input knows more.

A borrower's key is its resident ID number or unified social credit code (a credit code failing its
check character is accepted, as a few real ones do). Every registration and every change is an audit event.
The ``officer`` of a borrower or loan is free text for people (reports, notices); it grants no access:
which officer sees a borrower is an assignment to a user account (dossier.access.scope).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event, plain
from dossier.archive.catalog.models import Borrower, Loan
from dossier.archive.names import borrower_folder_name, check_name
from dossier.config import Config, session_config
from dossier.domain.enums import CustomerType, GuaranteeMethod, PartyKind, Product
from dossier.domain.identifiers import parse_contract_number, parse_credit_code, parse_resident_id
from dossier.domain.models.loan import LOAN_FACTS
from dossier.domain.money import to_fen
from dossier.errors import DossierError, InvalidIdentifier

if TYPE_CHECKING:
    from dossier.archive.home import Archive

T = TypeVar("T")


def normalize_key(key: str, config: Config) -> str:
    """The borrower key in its canonical form, or InvalidIdentifier saying what a key must be."""
    text = check_name(key, ("borrower key", "借款人标识"), max_chars=40)
    try:
        return parse_resident_id(text).number
    except InvalidIdentifier as id_error:
        try:
            return parse_credit_code(text, strict=False, config=config).code
        except InvalidIdentifier as code_error:
            raise InvalidIdentifier(
                f"borrower key must be a resident ID number or a unified social credit code "
                f"(借款人标识须为身份证号或统一社会信用代码): {text!r} — as an ID number: {id_error}; "
                f"as a credit code: {code_error}"
            ) from None


def customer_type_value(value: str | Enum) -> str:
    """``person``, ``business-owner`` or ``enterprise`` from any spelling (English, Chinese, party kind)."""
    raw = value.value if isinstance(value, Enum) else str(value)
    try:
        return CustomerType(raw).value
    except ValueError:
        pass
    try:
        kind = PartyKind(raw)
    except ValueError:
        raise DossierError(
            f"unknown customer type (客户类型不正确): {raw!r}; accepted: {CustomerType.accepted()}"
        ) from None
    return CustomerType.PERSON.value if kind is PartyKind.PERSON else CustomerType.ENTERPRISE.value


def find_borrower(session: Session, key: str) -> Borrower | None:
    return session.execute(select(Borrower).where(Borrower.key == key)).scalar_one_or_none()


def ensure_borrower(
    target: Archive | Session,
    key: str,
    name: str,
    customer_type: str | Enum,
    *,
    officer: str | None = None,
    details: Mapping[str, Any] | None = None,
    actor: str = "system",
) -> Borrower:
    """The borrower with ``key``, registered if new; a new name, officer or detail is recorded as a change.

    The folder is fixed at registration, so renaming a borrower never moves its files.
    """
    config = _config_of(target)
    key = normalize_key(key, config)
    name = check_name(name, ("borrower name", "借款人名称"))
    kind = customer_type_value(customer_type)
    if officer is not None:
        officer = check_name(officer, ("loan officer", "客户经理"), max_chars=50)
    facts = plain(dict(details or {}))

    def work(session: Session) -> Borrower:
        now = datetime.now(UTC)
        borrower = find_borrower(session, key)
        if borrower is None:
            borrower = Borrower(
                key=key,
                name=name,
                customer_type=kind,
                folder=borrower_folder_name(key, name),
                officer=officer,
                legal_hold=False,
                details=facts,
                created_at=now,
                updated_at=now,
            )
            session.add(borrower)
            session.flush()
            append_event(
                session,
                actor=actor,
                action="register-borrower",
                target=f"borrower:{key}",
                borrower_key=key,
                details=registered_borrower(name, kind, borrower.folder, officer),
            )
            return borrower
        current = {column: getattr(borrower, column) for column in BORROWER_FACTS}
        changes, values = borrower_changes(current, name, kind, officer, facts)
        for column, value in values.items():
            setattr(borrower, column, value)
        if changes:
            borrower.updated_at = now
            append_event(
                session,
                actor=actor,
                action="update-borrower",
                target=f"borrower:{key}",
                borrower_key=key,
                details=changes,
            )
        return borrower

    return _run(target, work)


def ensure_loan(
    target: Archive | Session,
    borrower_key: str,
    contract_number: str,
    *,
    facts: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    actor: str = "system",
) -> Loan:
    """The loan with ``contract_number``, registered for the borrower if new, updated with ``facts``
    (product, amount, term_months, start_date, maturity_date, guarantee_methods, receipt_numbers,
    officer). Receipt numbers accumulate; the other facts take the newest value. ``details`` (facts the
    checklists read: five_class, payment_mode, guarantors, collateral) merge into the loan's details."""
    extra = {name: plain(value) for name, value in (details or {}).items()}
    config = _config_of(target)
    key = normalize_key(borrower_key, config)
    number = check_name(contract_number, ("contract number", "合同编号"), max_chars=60)
    number = parse_contract_number(number, config=config)
    values = loan_values(facts or {}, config)

    def work(session: Session) -> Loan:
        borrower = find_borrower(session, key)
        if borrower is None:
            raise DossierError(f"unknown borrower (借款人未登记): {key}")
        now = datetime.now(UTC)
        loan = session.execute(select(Loan).where(Loan.contract_number == number)).scalar_one_or_none()
        if loan is None:
            fresh = dict(values)  # this function may run again if the catalog was busy
            loan = Loan(
                borrower_id=borrower.id,
                contract_number=number,
                receipt_numbers=fresh.pop("receipt_numbers", []),
                guarantee_methods=fresh.pop("guarantee_methods", []),
                legal_hold=False,
                details=dict(extra),
                created_at=now,
                updated_at=now,
                **fresh,
            )
            session.add(loan)
            session.flush()
            append_event(
                session,
                actor=actor,
                action="register-loan",
                target=f"loan:{number}",
                borrower_key=key,
                details=registered_loan(number, {name: getattr(loan, name) for name in LOAN_FACTS}),
            )
            return loan
        if loan.borrower_id != borrower.id:
            raise DossierError(
                f"contract {number} belongs to another borrower (该合同编号已登记在其他借款人名下)"
            )
        current = {name: getattr(loan, name) for name in (*LOAN_FACTS, "details")}
        changes, changed = loan_changes(current, values, extra)
        for name, value in changed.items():
            setattr(loan, name, value)
        if changes:
            loan.updated_at = now
            append_event(
                session,
                actor=actor,
                action="update-loan",
                target=f"loan:{number}",
                borrower_key=key,
                details=changes,
            )
        return loan

    return _run(target, work)


def loan_values(facts: Mapping[str, Any], config: Config) -> dict[str, Any]:
    unknown = set(facts) - set(LOAN_FACTS)
    if unknown:
        raise DossierError(f"unknown loan facts (未知的贷款信息字段): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, value in facts.items():
        if value is None:
            continue
        if name == "product":
            values[name] = _enum_value(Product, value, "product", "贷款品种")
        elif name == "amount":
            values[name] = to_fen(value if isinstance(value, Decimal) else Decimal(str(value)))
        elif name == "term_months":
            values[name] = int(value)
        elif name in ("start_date", "maturity_date"):
            values[name] = value if isinstance(value, date) else date.fromisoformat(str(value))
        elif name == "guarantee_methods":
            values[name] = [_enum_value(GuaranteeMethod, v, "guarantee method", "担保方式") for v in value]
        elif name == "receipt_numbers":
            values[name] = [parse_contract_number(str(v), kind="receipt", config=config) for v in value]
        elif name == "officer":
            values[name] = check_name(str(value), ("loan officer", "客户经理"), max_chars=50)
    return values


def _enum_value(enum: type[Enum], value: Any, english: str, chinese: str) -> str:
    try:
        return enum(value.value if isinstance(value, Enum) else value).value
    except ValueError:
        raise DossierError(f"unknown {english} ({chinese}不正确): {value!r}") from None


BORROWER_FACTS = ("name", "customer_type", "officer", "details")
"""A borrower's columns that registering it again may change."""


def borrower_changes(
    current: Mapping[str, Any], name: str, kind: str, officer: str | None, facts: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What registering a known borrower again changes: the event's details and the new column values
    (``current`` holds the borrower's name, customer_type, officer and details)."""
    changes: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if current["name"] != name:
        changes["name"] = [current["name"], name]
        values["name"] = name
    if current["customer_type"] != kind:
        changes["customer_type"] = [current["customer_type"], kind]
        values["customer_type"] = kind
    if officer is not None and current["officer"] != officer:
        changes["officer"] = [current["officer"], officer]
        values["officer"] = officer
    known = current["details"] or {}
    merged = {**known, **facts}
    if merged != known:
        changes["details"] = {k: v for k, v in facts.items() if known.get(k) != v}
        values["details"] = merged
    return changes, values


def loan_changes(
    current: Mapping[str, Any], values: Mapping[str, Any], extra: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What registering a known loan again changes: the event's details and the new column values.
    Receipt numbers accumulate; the other facts take the newest value; ``extra`` merges into details."""
    changes: dict[str, Any] = {}
    changed: dict[str, Any] = {}
    for name, value in values.items():
        now = current[name]
        if name == "receipt_numbers":
            value = list(dict.fromkeys([*(now or []), *value]))
        if value != now:
            changes[name] = [plain(now), plain(value)]
            changed[name] = value
    known = current["details"] or {}
    merged = {**known, **extra}
    if merged != known:
        changes["details"] = [plain(known), merged]
        changed["details"] = merged
    return changes, changed


def registered_borrower(name: str, kind: str, folder: str, officer: str | None) -> dict[str, Any]:
    return {"name": name, "customer_type": kind, "folder": folder, **_some(officer=officer)}


def registered_loan(number: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The ``register-loan`` event's details: the contract number and every fact the loan holds."""
    return {
        "contract_number": number,
        **{name: plain(facts[name]) for name in LOAN_FACTS if facts[name] not in (None, [], "")},
    }


def _some(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _config_of(target: Archive | Session) -> Config:
    """The Config of the archive, or of the archive the session belongs to (see Archive.SESSION_CONFIG)."""
    return session_config(target) if isinstance(target, Session) else target.config


def _run(target: Archive | Session, work: Callable[[Session], T]) -> T:
    if isinstance(target, Session):
        return work(target)
    return target.transaction(work)
