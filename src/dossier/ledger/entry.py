"""One ledger row, validated: the loan's facts in domain types, or the problems found, cell by cell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from dossier.archive.names import check_name
from dossier.archive.registry import normalize_key
from dossier.config import Config
from dossier.domain.dates import add_months, parse_date
from dossier.domain.enums import CustomerType, Product
from dossier.domain.identifiers import parse_contract_number, parse_credit_code, parse_resident_id
from dossier.domain.money import ZERO, parse_amount
from dossier.errors import DossierError, InvalidIdentifier
from dossier.finance.classification import FiveClass, parse_five_class
from dossier.finance.schedule import parse_method
from dossier.ledger.columns import BY_NAME
from dossier.ledger.readers import RawRow

_GUARANTOR_SEPARATORS = (";", "；", ",", "，", "、")
# Credit codes of 个体工商户 begin with 92 (GB 32100: registration authority 9, kind 2).
_BUSINESS_OWNER_PREFIX = "92"
MAX_RATE_PERCENT = Decimal(100)


@dataclass(frozen=True)
class CellProblem:
    line: int
    column: str
    """The column as ``name 中文`` (and the file's own header when it differs)."""
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class LoanTerms:
    """One loan as the ledger describes it: what a row holds and what the catalog keeps of it."""

    contract_number: str
    receipt_number: str
    borrower_key: str
    borrower_name: str
    customer_type: str
    product: str | None
    amount: Decimal
    annual_rate: Decimal
    method: str
    start_date: date
    maturity_date: date
    balance: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_since: date | None
    last_inspection: date | None
    five_class: FiveClass
    officer: str | None
    guarantors: tuple[str, ...] = ()

    @property
    def term_months(self) -> int:
        return term_months(self.start_date, self.maturity_date)


@dataclass(frozen=True, kw_only=True)
class LedgerEntry(LoanTerms):
    """A validated row, with the line it came from."""

    line: int
    officer_username: str | None = None
    """The sign-in name of the officer's account (the import assigns the borrower to it); ``officer``
    is a name for people and grants nothing."""


def term_months(start: date, maturity: date) -> int:
    """Whole months from drawdown to maturity, a part month counted as one (a 12-month loan is 12)."""
    months = (maturity.year - start.year) * 12 + maturity.month - start.month
    if add_months(start, months) < maturity:
        months += 1
    return max(months, 1)


def customer_type_of(key: str) -> str:
    """自然人 for an ID number; for a credit code, 个体工商户 (92…) or 企业."""
    try:
        parse_resident_id(key)
        return CustomerType.PERSON.value
    except InvalidIdentifier:
        pass
    if key.startswith(_BUSINESS_OWNER_PREFIX):
        return CustomerType.BUSINESS_OWNER.value
    return CustomerType.ENTERPRISE.value


def party_key(text: str, config: Config) -> str:
    """An ID number or credit code whose check character is right (or a listed known exception).

    The archive accepts a credit code failing its check, as a few real ones do; a ledger row is typed
    data, so an unlisted failing code is far more likely a typo and is refused here.
    """
    try:
        return parse_resident_id(text).number
    except InvalidIdentifier as id_error:
        try:
            parse_credit_code(text, strict=True, config=config)
        except InvalidIdentifier as code_error:
            raise InvalidIdentifier(
                "neither a resident ID number nor a unified social credit code "
                f"(既非有效身份证号也非有效统一社会信用代码): {text!r} — as an ID number: {id_error}; "
                f"as a credit code: {code_error}"
            ) from None
    return normalize_key(text, config)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _amount(value: Any) -> Decimal:
    return parse_amount(_text(value))


def _non_negative(value: Any) -> Decimal:
    result = _amount(value)
    if result < 0:
        raise ValueError(f"must not be negative (不得为负数): {value}")
    return result


def _positive(value: Any) -> Decimal:
    result = _amount(value)
    if result <= 0:
        raise ValueError(f"must be greater than zero (须大于零): {value}")
    return result


def _rate(value: Any) -> Decimal:
    text = _text(value).removesuffix("%").strip()
    try:
        result = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"not a percentage (应为年利率百分数): {value!r}") from None
    if not result.is_finite() or result <= 0 or result >= MAX_RATE_PERCENT:
        raise ValueError(f"annual rate in percent must lie between 0 and 100 (年利率须在0至100之间): {value}")
    return result


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return parse_date(_text(value))


def _optional(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        return None if _text(value) == "" else parser(value)

    return read


class _Row:
    """Reads one raw row cell by cell, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: RawRow) -> None:
        self.raw = raw
        self.problems: list[CellProblem] = []

    def column(self, name: str) -> str:
        column = BY_NAME[name]
        spelled = self.raw.headers.get(name)
        return column.both if spelled in (None, column.name, column.label) else f"{column.both} ({spelled})"

    def problem(self, name: str, reason: str) -> None:
        self.problems.append(CellProblem(self.raw.line, self.column(name), reason))

    def get(self, name: str, parser: Callable[[Any], Any], *, default: Any = None) -> Any:
        value = self.raw.cells.get(name)
        if _text(value) == "":
            if BY_NAME[name].required:
                self.problem(name, "empty (必填项为空)")
            return default
        try:
            return parser(value)
        except (ValueError, TypeError, ArithmeticError, DossierError) as exc:
            self.problem(name, str(exc) or f"cannot read {value!r}")
            return default


@lru_cache(maxsize=256)
def _method(text: str) -> str:
    """A repayment method's value; a ledger spells the same few methods on every row, so each spelling
    is read once (a refused one raises again every time: errors are not cached)."""
    return parse_method(text).value


def parse_entry(raw: RawRow, config: Config) -> LedgerEntry | list[CellProblem]:
    row = _Row(raw)
    contract = row.get("contract_no", lambda v: parse_contract_number(_text(v), config=config))
    receipt = row.get("receipt_no", lambda v: parse_contract_number(_text(v), kind="receipt", config=config))
    key = row.get("borrower_key", lambda v: party_key(_text(v), config))
    name = row.get("borrower_name", lambda v: check_name(_text(v), ("borrower name", "借款人名称")))
    product = row.get("product", lambda v: Product(_text(v)).value)
    amount = row.get("amount", _positive)
    rate = row.get("rate", _rate)
    method = row.get("method", lambda v: _method(_text(v)))
    start = row.get("start_date", _date)
    maturity = row.get("maturity_date", _date)
    balance = row.get("balance", _non_negative)
    overdue_principal = row.get("overdue_principal", _optional(_non_negative), default=ZERO) or ZERO
    overdue_interest = row.get("overdue_interest", _optional(_non_negative), default=ZERO) or ZERO
    overdue_since = row.get("overdue_since", _optional(_date))
    last_inspection = row.get("last_inspection", _optional(_date))
    five_class = row.get("class", lambda v: parse_five_class(_text(v)))
    officer = row.get("officer", lambda v: check_name(_text(v), ("loan officer", "客户经理"), max_chars=50))
    officer_username = row.get(
        "officer_username",
        lambda v: check_name(_text(v), ("officer username", "客户经理用户名"), max_chars=50),
    )
    guarantors = row.get("guarantors", lambda v: _guarantors(_text(v), config), default=[])
    _cross_checks(row, amount, start, maturity, balance, overdue_principal, overdue_interest, overdue_since)
    if key is not None and guarantors and key in guarantors:
        row.problem("guarantors", "the borrower is listed as its own guarantor (借款人不能为自己的保证人)")
    if row.problems:
        return row.problems
    return LedgerEntry(
        line=raw.line,
        contract_number=contract,
        receipt_number=receipt,
        borrower_key=key,
        borrower_name=name,
        customer_type=customer_type_of(key),
        product=product,
        amount=amount,
        annual_rate=rate,
        method=method,
        start_date=start,
        maturity_date=maturity,
        balance=balance,
        overdue_principal=overdue_principal,
        overdue_interest=overdue_interest,
        overdue_since=overdue_since,
        last_inspection=last_inspection,
        five_class=five_class,
        officer=officer,
        officer_username=officer_username,
        guarantors=tuple(guarantors),
    )


def _guarantors(text: str, config: Config) -> list[str]:
    for separator in _GUARANTOR_SEPARATORS[1:]:
        text = text.replace(separator, _GUARANTOR_SEPARATORS[0])
    keys = [party_key(part, config) for part in text.split(_GUARANTOR_SEPARATORS[0]) if part.strip()]
    return list(dict.fromkeys(keys))


def _cross_checks(
    row: _Row,
    amount: Decimal | None,
    start: date | None,
    maturity: date | None,
    balance: Decimal | None,
    overdue_principal: Decimal,
    overdue_interest: Decimal,
    overdue_since: date | None,
) -> None:
    if start is not None and maturity is not None and maturity <= start:
        row.problem("maturity_date", f"is not after the start date {start} (到期日须晚于发放日 {start})")
    if amount is not None and balance is not None and balance > amount:
        row.problem("balance", f"exceeds the loan amount {amount} (贷款余额大于借款金额)")
    if balance is not None and overdue_principal > balance:
        row.problem("overdue_principal", f"exceeds the balance {balance} (逾期本金大于贷款余额)")
    owed = overdue_principal > 0 or overdue_interest > 0
    if owed and overdue_since is None and not _has_problem(row, "overdue_since"):
        row.problem(
            "overdue_since",
            "something is overdue, so the date it fell due is needed (有逾期须填写逾期起始日)",
        )
    if overdue_since is not None and not owed:
        row.problem("overdue_since", "given but nothing is overdue (无逾期本金或欠息却填写了逾期起始日)")
    if overdue_since is not None and start is not None and overdue_since <= start:
        row.problem("overdue_since", f"is not after the start date {start} (逾期起始日须晚于发放日)")


def _has_problem(row: _Row, name: str) -> bool:
    wanted = row.column(name)
    return any(p.column == wanted for p in row.problems)
