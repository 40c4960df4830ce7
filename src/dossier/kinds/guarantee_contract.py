"""保证合同: the guarantee contract (民法典 art. 681–702; domain.md §1.5).

Art. 684 requires the main claim (type, amount), the debtor's term, and the 保证方式, 范围 and 期间.
The 保证方式 is always 连带责任保证 and the template says so: left unstated it would be 一般保证
(art. 686). The 保证期间 is derived: an agreed period that is missing, or that ends on or before the
main debt falls due, counts as none, and the period is then six months after that due date (art. 692).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.domain.enums import LabeledEnum
from dossier.domain.models import Lender, PositiveMoney, labelled
from dossier.domain.rules import Problems
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

STATUTORY_PERIOD_MONTHS = 6
"""民法典 art. 692: the period when none (or one ending too early) is agreed."""


class ResolutionBody(LabeledEnum):
    """Which organ of a corporate guarantor resolved to give the guarantee (公司法 art. 15)."""

    SHAREHOLDERS = ("shareholders", "股东会", "股东大会")
    BOARD = ("board", "董事会")


class GuaranteeContractInput(SecuredDebtContract):
    lender: Lender = labelled("债权人")
    guarantor: ContractParty = labelled("保证人")
    claim_type: str = labelled("被保证主债权种类", min_length=1, max_length=100)
    claim_amount: PositiveMoney = labelled("被保证主债权本金数额")
    guarantee_period_end: date | None = labelled("保证期间届满日", default=None)
    guarantee_period_months: int | None = labelled(
        "保证期间(主债务履行期限届满之日起月数)", default=None, ge=1, le=120
    )
    board_resolution: bool = labelled("股东会/董事会决议", default=False)
    resolution_body: ResolutionBody = labelled("决议机关", default=ResolutionBody.BOARD)
    resolution_date: date | None = labelled("决议日期", default=None)

    def check(self, problems: Problems) -> None:
        if self.guarantee_period_end is not None and self.guarantee_period_months is not None:
            problems.add(
                ("guarantee_period_months",),
                "give the guarantee period as an end date or in months, not both "
                "(保证期间只能按届满日或月数约定其一)",
                self.guarantee_period_months,
            )
        if self.debtor.key and self.guarantor.key == self.debtor.key:
            problems.add(
                ("guarantor",),
                "the debtor cannot guarantee its own debt (债务人不能为自己的债务提供保证)",
                self.guarantor.name,
            )
        if not self.guarantor.is_enterprise and self.board_resolution:
            problems.add(
                ("board_resolution",),
                "only a corporate guarantor gives a resolution (自然人保证人无须股东会/董事会决议)",
                self.board_resolution,
            )
        if self.resolution_date is not None:
            if not self.board_resolution:
                problems.add(
                    ("resolution_date",),
                    "a resolution date needs board_resolution (填写决议日期须同时确认已取得决议)",
                    self.resolution_date,
                )
            elif self.resolution_date > self.signing_date:
                problems.add(
                    ("resolution_date",),
                    "the resolution must precede the contract (决议日期不得晚于合同签订日期)",
                    self.resolution_date,
                )


@dataclass(frozen=True)
class GuaranteePeriod:
    """The 保证期间 that applies: its last day and whether art. 692 supplied it."""

    end: date
    statutory: bool
    agreed_end: date | None


def guarantee_period(
    debt_due: date, agreed_end: date | None = None, agreed_months: int | None = None
) -> GuaranteePeriod:
    """The guarantee period after art. 692.

    ``agreed_months`` counts from the due date. A missing agreement, or one ending on or before the due
    date, counts as none: the period is then six months after the due date.
    """
    agreed = add_months(debt_due, agreed_months) if agreed_months is not None else agreed_end
    if agreed is None or agreed <= debt_due:
        return GuaranteePeriod(add_months(debt_due, STATUTORY_PERIOD_MONTHS), True, agreed)
    return GuaranteePeriod(agreed, False, agreed)


def derive(data: GuaranteeContractInput, config: Config) -> dict[str, Any]:
    period = guarantee_period(data.debt_end, data.guarantee_period_end, data.guarantee_period_months)
    notices = [
        lender_service_row("债权人", data.lender, data.lender_service),
        party_service_row("保证人", data.guarantor),
    ]
    warnings = service_warnings(notices)
    if period.statutory and period.agreed_end is not None:
        warnings.append(
            f"the agreed guarantee period ends {period.agreed_end}, on or before the debt falls due "
            f"{data.debt_end}; it counts as none and runs six months to {period.end} (art. 692) "
            f"(约定的保证期间届满日{period.agreed_end}早于或等于主债务履行期限届满日，视为没有约定，"
            f"保证期间为主债务履行期限届满之日起六个月，至{period.end})"
        )
    enterprise = data.guarantor.is_enterprise
    if enterprise and not data.board_resolution:
        warnings.append(
            f"corporate guarantor {data.guarantor.name} has no shareholders'/board resolution on file "
            f"(企业保证人{data.guarantor.name}未提供股东会/董事会决议，须补充后归档)"
        )
    return {
        "period_end": period.end,
        "period_statutory": period.statutory,
        "debt_term_text": term_text(data.debt_start, data.debt_end),
        "guarantor_enterprise": enterprise,
        "resolution_on_file": enterprise and data.board_resolution,
        "notices": notices,
        **dispute_values(data.dispute),
        "warnings": warnings,
    }


KIND = Kind(
    name="guarantee-contract",
    title="保证合同",
    schema=GuaranteeContractInput,
    derive=derive,
    category="contracts",
    doc_type="guarantee-contract",
    subjects=GuaranteeContractInput.subjects,
    filename=lambda d: f"保证合同-{d.contract_number}",
)
