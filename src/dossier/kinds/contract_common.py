"""Blocks every contract shares: the header (number, signing date and place), the contracting parties,
the 送达地址确认 (where notices and court papers go), the dispute forum, and the term of a debt in words.
Cross-field rules are written as everywhere in the kinds (dossier.domain.rules.Problems).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Self

from pydantic import AfterValidator, model_validator

from dossier.domain.dates import add_months
from dossier.domain.enums import LabeledEnum, PartyKind
from dossier.domain.identifiers.types import ContractNumber
from dossier.domain.models import DomainModel, Lender, Party, PositiveMoney, labelled
from dossier.domain.rules import Problems
from dossier.kinds.base import Subject, party_subject

_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
_RATE_QUANTUM = Decimal("0.000001")
# Landlines (0592-5550123, (0592)5550123, 400-800-1234), mobiles and extensions.
_PHONE_RE = re.compile(r"^\+?[0-9(][0-9\-() ]{5,24}[0-9](转[0-9]{1,6})?$")


def _email(value: str) -> str:
    if not _EMAIL_RE.fullmatch(value):
        raise ValueError(f"not an e-mail address (电子邮箱格式错误): {value!r}")
    return value


def _phone(value: str) -> str:
    if not _PHONE_RE.fullmatch(value):
        raise ValueError(f"not a telephone number (联系电话格式错误): {value!r}")
    return value


Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]


class ServiceAddress(DomainModel):
    """送达地址确认: where a party accepts notices, including court papers (民事诉讼法 送达)."""

    address: str = labelled("送达地址", min_length=1, max_length=200)
    recipient: str | None = labelled("收件人", default=None, max_length=50)
    phone: Phone | None = labelled("联系电话", default=None, max_length=40)
    email: Email | None = labelled("电子邮箱", default=None, max_length=100)


class ContractParty(Party):
    """A party signing a contract: it needs an address; an enterprise also its legal representative."""

    service: ServiceAddress | None = labelled("送达地址确认", default=None)

    @model_validator(mode="after")
    def _complete_for_contract(self) -> ContractParty:
        problems = Problems()
        if not self.address:
            problems.add(("address",), "a contracting party needs an address (合同当事人须填写住所/地址)")
        if self.kind is PartyKind.ENTERPRISE and not self.legal_representative:
            problems.add(
                ("legal_representative",),
                "an enterprise party needs its legal representative (企业当事人须填写法定代表人)",
            )
        problems.raise_if_any(type(self).__name__)
        return self

    @property
    def is_enterprise(self) -> bool:
        return self.kind is PartyKind.ENTERPRISE


class DisputeMethod(LabeledEnum):
    LITIGATION = ("litigation", "诉讼")
    ARBITRATION = ("arbitration", "仲裁")


class DisputeForum(DomainModel):
    """争议解决: a court, or an arbitration commission (then the award is final)."""

    method: DisputeMethod = labelled("争议解决方式", default=DisputeMethod.LITIGATION)
    court: str = labelled("管辖法院", default="贷款人住所地有管辖权的人民法院", min_length=1, max_length=200)
    arbitration_commission: str | None = labelled("仲裁委员会", default=None, max_length=200)

    @model_validator(mode="after")
    def _commission_for_arbitration(self) -> DisputeForum:
        if self.method is DisputeMethod.ARBITRATION and not self.arbitration_commission:
            problems = Problems()
            problems.add(
                ("arbitration_commission",),
                "arbitration needs the name of the commission (选择仲裁须写明仲裁委员会名称)",
            )
            problems.raise_if_any(type(self).__name__)
        return self


class ContractBase(DomainModel):
    """The header every contract has. Subclasses relabel ``lender`` (贷款人 / 抵押权人 / 债权人)."""

    contract_number: ContractNumber = labelled("合同编号")
    lender: Lender = labelled("贷款人")
    lender_service: ServiceAddress | None = labelled("贷款人送达地址", default=None)
    signing_date: date = labelled("签订日期")
    signing_place: str = labelled("签订地点", min_length=1, max_length=100)
    dispute: DisputeForum = labelled("争议解决", default_factory=DisputeForum)

    @model_validator(mode="after")
    def _lender_reachable(self) -> ContractBase:
        if not self.lender.address and self.lender_service is None:
            problems = Problems()
            problems.add(
                ("lender", "address"),
                "the bank's address is needed for the service clause (须填写银行地址或送达地址)",
            )
            problems.raise_if_any(type(self).__name__)
        return self


class SecuredDebtContract(ContractBase):
    """A security contract (抵押, 保证): the main contract, the claim it secures and the debtor's term
    (民法典 art. 400, 684). Subclasses name the security giver and relabel the claim (被担保 / 被保证), and
    write their own rules in :meth:`check`, so every problem is reported at once."""

    debtor: Party = labelled("债务人")
    main_contract_number: ContractNumber = labelled("主合同编号")
    main_contract_name: str = labelled("主合同名称", default="借款合同", min_length=1, max_length=100)
    claim_type: str = labelled("被担保主债权种类", min_length=1, max_length=100)
    claim_amount: PositiveMoney = labelled("被担保主债权本金数额")
    debt_start: date = labelled("债务履行期限起始日")
    debt_end: date = labelled("债务履行期限届满日")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = Problems()
        if self.debt_end <= self.debt_start:
            problems.add(
                ("debt_end",),
                "must be after the start of the debt (债务履行期限届满日须晚于起始日)",
                self.debt_end,
            )
        self.check(problems)
        problems.raise_if_any(type(self).__name__)
        return self

    def check(self, problems: Problems) -> None:
        """The contract's own cross-field rules."""

    def subjects(self) -> list[Subject]:
        """A security contract files into the debtor's archive, under the main contract."""
        return [
            party_subject(
                self.debtor,
                self.main_contract_number,
                amount=self.claim_amount,
                start_date=self.debt_start,
                maturity_date=self.debt_end,
            )
        ]


@dataclass(frozen=True)
class ServiceRow:
    """One line of the 送达地址确认 table."""

    role: str
    name: str
    address: str
    recipient: str
    phone: str
    email: str


def lender_service_row(role: str, lender: Lender, service: ServiceAddress | None) -> ServiceRow:
    if service is not None:
        return ServiceRow(
            role,
            lender.name,
            service.address,
            service.recipient or lender.principal or "",
            service.phone or lender.phone or "",
            service.email or "",
        )
    return ServiceRow(role, lender.name, lender.address or "", lender.principal or "", lender.phone or "", "")


def party_service_row(role: str, party: ContractParty) -> ServiceRow:
    """The party's confirmed service address, falling back to its address and mobile."""
    default_recipient = party.legal_representative if party.is_enterprise else party.name
    service = party.service
    if service is not None:
        return ServiceRow(
            role,
            party.name,
            service.address,
            service.recipient or default_recipient or party.name,
            service.phone or party.mobile or "",
            service.email or "",
        )
    return ServiceRow(
        role, party.name, party.address or "", default_recipient or party.name, party.mobile or "", ""
    )


def service_warnings(rows: list[ServiceRow]) -> list[str]:
    """A notice that can only go by post is slow to prove; ask for a phone or e-mail too."""
    return [
        f"{row.role} {row.name} has no phone or e-mail for notices "
        f"(送达地址确认缺少{row.role}的联系电话或电子邮箱)"
        for row in rows
        if not row.phone and not row.email
    ]


def whole_months_between(start: date, end: date) -> int:
    """The largest m with ``add_months(start, m) <= end`` (month ends clamp as in the schedule)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def term_text(start: date, end: date) -> str:
    """A term in words as contracts print it: ``12个月``, ``6个月零15天``, ``20天``."""
    months = whole_months_between(start, end)
    days = (end - add_months(start, months)).days
    if months and days:
        return f"{months}个月零{days}天"
    if months:
        return f"{months}个月"
    return f"{days}天"


def dispute_values(dispute: DisputeForum) -> dict[str, Any]:
    """What the dispute clause prints: whether it is arbitration, and the forum's name."""
    arbitration = dispute.method is DisputeMethod.ARBITRATION
    return {
        "arbitration": arbitration,
        "forum": dispute.arbitration_commission if arbitration else dispute.court,
    }


def percent_text(value: Decimal) -> str:
    """An annual rate as a contract prints it: exact, at least two decimals (3.45%, 5.175%, 6.525%).

    The ``pct`` filter rounds to a fixed number of places; a penalty rate of 5.175 % must not print
    as 5.18 %, since the contract binds the exact figure.
    """
    exact = value.quantize(_RATE_QUANTUM, rounding=ROUND_HALF_UP).normalize()
    if exact.as_tuple().exponent > -2:  # type: ignore[operator]  # a finite rate's exponent is an int
        exact = exact.quantize(Decimal("0.01"))
    return f"{exact:f}%"
