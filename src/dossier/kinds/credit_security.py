"""The security of a credit file (domain.md §1.1 section 5): guarantors and collateral, the rule that a
method needs its security listed, and the 抵押率 derived from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from dossier.domain.enums import GuaranteeMethod
from dossier.domain.models import Collateral, DomainModel, Guarantor, PositiveMoney, labelled
from dossier.domain.money import ZERO
from dossier.domain.rules import Loc, Problems
from dossier.finance import ratios

# Security a guarantee method needs listed in the guarantee block.
_NEEDS_COLLATERAL = (GuaranteeMethod.MORTGAGE, GuaranteeMethod.PLEDGE)


class SecuredCollateral(Collateral):
    """A collateral item; ``secured_amount`` is the claim it secures when it is not the whole loan."""

    secured_amount: PositiveMoney | None = labelled("担保债权金额", default=None)


class GuaranteeAnalysis(DomainModel):
    guarantors: list[Guarantor] = labelled("保证人", default_factory=list)
    collateral: list[SecuredCollateral] = labelled("抵(质)押物", default_factory=list)
    analysis: str | None = labelled("担保分析", default=None, max_length=3000)


def check_security(
    methods: Iterable[GuaranteeMethod], guarantee: GuaranteeAnalysis, loc: Loc, problems: Problems
) -> None:
    """A mortgage or pledge needs collateral listed, a surety a guarantor."""
    wanted = set(methods)
    if wanted & set(_NEEDS_COLLATERAL) and not guarantee.collateral:
        problems.add(
            (*loc, "collateral"),
            "a mortgage or pledge needs the collateral listed (抵押/质押担保须列明抵(质)押物)",
            [],
        )
    if GuaranteeMethod.SURETY in wanted and not guarantee.guarantors:
        problems.add((*loc, "guarantors"), "a surety needs its guarantors listed (保证担保须列明保证人)", [])


def guarantee_facts(guarantee: GuaranteeAnalysis, loan_amount: Decimal) -> dict[str, Any]:
    """Per-item 抵押率 = secured claim (the whole loan unless stated) / appraised value; and overall."""
    rows = []
    for item in guarantee.collateral:
        secured = item.secured_amount or loan_amount
        rows.append(
            {
                "item": item,
                "secured": secured,
                "mortgage_ratio": ratios.mortgage_ratio(secured, item.appraised_value),
            }
        )
    appraised = sum((c.appraised_value for c in guarantee.collateral), ZERO)
    return {
        "collateral_rows": rows,
        "appraised_total": appraised if guarantee.collateral else None,
        "overall_mortgage_ratio": ratios.mortgage_ratio(loan_amount, appraised)
        if guarantee.collateral
        else None,
        "guarantor_net_assets": sum((g.net_assets or ZERO for g in guarantee.guarantors), ZERO)
        if guarantee.guarantors
        else None,
    }
