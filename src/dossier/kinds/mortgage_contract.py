"""抵押合同 / 最高额抵押合同: the mortgage contract (民法典 art. 400–424; domain.md §1.5).

Art. 400 requires the secured claim (type, amount), the debtor's performance period, the collateral and
the scope of the security. ``max_amount`` switches to the 最高额抵押 clauses (art. 420): a 最高债权额
and a 债权确定期间 replace the single claim as what is secured. For real estate the right arises only on
registration (art. 402), so the contract fixes a registration deadline.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dossier.config import Config
from dossier.domain.models import Collateral, Lender, PositiveMoney, labelled
from dossier.domain.rules import Problems
from dossier.finance.ratios import mortgage_ratio
from dossier.kinds.base import Kind
from dossier.kinds.contract_common import (
    ContractParty,
    SecuredDebtContract,
    dispute_values,
    lender_service_row,
    party_service_row,
    service_warnings,
    term_text,
)

_FULL_COVER_PERCENT = Decimal(100)
_STALE_APPRAISAL_DAYS = 365


class MortgageContractInput(SecuredDebtContract):
    lender: Lender = labelled("抵押权人")
    mortgagor: ContractParty = labelled("抵押人")
    collateral: list[Collateral] = labelled("抵押财产", min_length=1)
    max_amount: bool = labelled("最高额抵押", default=False)
    max_claim_amount: PositiveMoney | None = labelled("最高债权额", default=None)
    determination_start: date | None = labelled("债权确定期间起始日", default=None)
    determination_end: date | None = labelled("债权确定期间届满日", default=None)
    registration_days: int = labelled("办理抵押登记期限(日)", default=30, ge=1, le=180)
    insurance_required: bool = labelled("抵押财产投保", default=True)
    insurance_amount: PositiveMoney | None = labelled("保险金额", default=None)

    def check(self, problems: Problems) -> None:
        if self.max_amount:
            self._check_max_amount(problems)
        else:
            for name, label in (
                ("max_claim_amount", "最高债权额"),
                ("determination_start", "债权确定期间起始日"),
                ("determination_end", "债权确定期间届满日"),
            ):
                if getattr(self, name) is not None:
                    problems.add(
                        (name,),
                        f"only for a maximum-amount mortgage; set max_amount (仅最高额抵押填写{label}，"
                        "请同时选择最高额抵押)",
                        getattr(self, name),
                    )
        if not self.insurance_required and self.insurance_amount is not None:
            problems.add(
                ("insurance_amount",),
                "an insurance amount needs insurance_required (未约定投保的不应填写保险金额)",
                self.insurance_amount,
            )
        _check_duplicates(self.collateral, problems)

    def _check_max_amount(self, problems: Problems) -> None:
        if self.max_claim_amount is None:
            problems.add(
                ("max_claim_amount",), "a maximum-amount mortgage needs it (最高额抵押须填写最高债权额)"
            )
        elif self.claim_amount > self.max_claim_amount:
            problems.add(
                ("claim_amount",),
                f"exceeds the maximum amount {self.max_claim_amount} (主债权本金超过最高债权额)",
                self.claim_amount,
            )
        start, end = self.determination_start, self.determination_end
        if start is None:
            problems.add(
                ("determination_start",), "a maximum-amount mortgage needs it (最高额抵押须约定债权确定期间)"
            )
        if end is None:
            problems.add(
                ("determination_end",), "a maximum-amount mortgage needs it (最高额抵押须约定债权确定期间)"
            )
        if start is not None and end is not None and end <= start:
            problems.add(
                ("determination_end",), "must be after its start (债权确定期间届满日须晚于起始日)", end
            )


def _check_duplicates(items: list[Collateral], problems: Problems) -> None:
    for name, label in (("certificate_no", "权证号"), ("unit_no", "不动产单元号")):
        seen: set[str] = set()
        for index, item in enumerate(items):
            value = getattr(item, name)
            if value and value in seen:
                problems.add(("collateral", index, name), f"listed twice ({label}重复)", value)
            if value:
                seen.add(value)


def _warnings(data: MortgageContractInput, rate: Decimal | None, notices: list[Any]) -> list[str]:
    warnings = service_warnings(notices)
    if rate is not None and rate > _FULL_COVER_PERCENT:
        warnings.append(
            f"secured amount is {rate} % of the appraised value (担保债权为评估价值的{rate}%，抵押物不足值)"
        )
    for index, item in enumerate(data.collateral):
        if item.owner_name and item.owner_name != data.mortgagor.name:
            warnings.append(
                f"collateral[{index}] is owned by {item.owner_name}, not the mortgagor; all owners must sign "
                f"(抵押财产{item.name}所有权人{item.owner_name}与抵押人不一致，须由全体所有权人签署)"
            )
        if item.appraisal_date and (data.signing_date - item.appraisal_date).days > _STALE_APPRAISAL_DAYS:
            warnings.append(
                f"collateral[{index}] appraisal of {item.appraisal_date} is over a year old "
                f"(抵押财产{item.name}评估日期超过一年，建议重新评估)"
            )
    start, end = data.determination_start, data.determination_end
    if data.max_amount and start and end and not start <= data.debt_start <= end:
        warnings.append(
            "the main contract's debt starts outside the determination period; an existing claim is covered "
            "only if the parties agree (art. 420) (主合同债务起始日不在债权确定期间内，"
            "最高额抵押设立前已存在的"
            "债权须经当事人同意方可转入担保范围)"
        )
    return warnings


def _total_area(items: list[Collateral]) -> Decimal | None:
    """Total area, only when every item has one: a partial sum would mislead."""
    areas = [item.area for item in items]
    if any(area is None for area in areas):
        return None
    return sum((a for a in areas if a is not None), Decimal(0))


def derive(data: MortgageContractInput, config: Config) -> dict[str, Any]:
    secured = data.max_claim_amount if data.max_amount and data.max_claim_amount else data.claim_amount
    total = sum((item.appraised_value for item in data.collateral), Decimal("0.00"))
    rate = mortgage_ratio(secured, total)
    notices = [
        lender_service_row("抵押权人", data.lender, data.lender_service),
        party_service_row("抵押人", data.mortgagor),
    ]
    # Claims may arise on both the first and the last day of the 债权确定期间, so its length counts both.
    determination = (
        term_text(data.determination_start, data.determination_end + timedelta(days=1))
        if data.max_amount and data.determination_start and data.determination_end
        else ""
    )
    return {
        "contract_title": "最高额抵押合同" if data.max_amount else "抵押合同",
        "secured_amount": secured,
        "total_appraised": total,
        "total_area": _total_area(data.collateral),
        "mortgage_rate": rate,
        "collateral_count": len(data.collateral),
        "debt_term_text": term_text(data.debt_start, data.debt_end),
        "determination_term_text": determination,
        "third_party_mortgagor": data.mortgagor.key != data.debtor.key,
        "insured_amount": (data.insurance_amount or total) if data.insurance_required else None,
        "mortgagor_enterprise": data.mortgagor.is_enterprise,
        "notices": notices,
        **dispute_values(data.dispute),
        "warnings": _warnings(data, rate, notices),
    }


KIND = Kind(
    name="mortgage-contract",
    title="抵押合同",
    schema=MortgageContractInput,
    derive=derive,
    category="contracts",
    doc_type="mortgage-contract",
    subjects=MortgageContractInput.subjects,
    filename=lambda d: f"{'最高额抵押合同' if d.max_amount else '抵押合同'}-{d.contract_number}",
)
