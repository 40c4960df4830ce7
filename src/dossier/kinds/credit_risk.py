"""风险评价 of a credit file (domain.md §1.1 section 6): the credit grade or the scorecard score it comes
from, and the 贷款风险度 of the terms proposed or approved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo, model_validator

from dossier.config import Config
from dossier.domain.identifiers.types import config_from_context
from dossier.domain.models import DomainModel, labelled
from dossier.domain.rules import Problems
from dossier.finance.risk import RiskDegreeSettings, credit_grade, risk_degree
from dossier.kinds.credit_terms import Terms, guarantee_key


class RiskAssessment(DomainModel):
    """风险评价: the grade (or the scorecard score it comes from), risk points and mitigation."""

    credit_grade: str | None = labelled("信用等级", default=None, max_length=10)
    credit_score: Decimal | None = labelled("信用评分", default=None, ge=0, le=1000, decimal_places=2)
    risk_points: list[Annotated[str, AfterValidator(str.strip)]] = labelled("风险点", min_length=1)
    mitigation: str | None = labelled("风险缓释措施", default=None, max_length=2000)
    project_factor_percent: Decimal | None = labelled(
        "项目风险等级系数(%)", default=None, gt=0, le=1000, decimal_places=2
    )

    @model_validator(mode="after")
    def _grade_known(self, info: ValidationInfo) -> RiskAssessment:
        config = config_from_context(info)
        problems = Problems()
        if self.credit_grade is None and self.credit_score is None:
            problems.add(
                ("credit_grade",), "give the credit grade or the score (信用等级与信用评分至少填写一项)", None
            )
        if self.credit_grade is not None:
            self.credit_grade = self.credit_grade.strip().upper()
            known = config.section("risk_degree", RiskDegreeSettings).grade
            if self.credit_grade not in known:
                problems.add(
                    ("credit_grade",),
                    f"unknown credit grade {self.credit_grade!r} (未知信用等级); "
                    f"accepted (可选): {', '.join(known)}",
                    self.credit_grade,
                )
        if self.credit_score is not None and self.credit_grade is not None and not problems:
            scored = credit_grade(self.credit_score, config=config)
            if scored != self.credit_grade:
                problems.add(
                    ("credit_grade",),
                    f"a score of {self.credit_score} gives grade {scored}, not {self.credit_grade} "
                    f"(评分{self.credit_score}对应信用等级为{scored}，与填写的{self.credit_grade}不符)",
                    self.credit_grade,
                )
        problems.raise_if_any("risk assessment")
        return self


def risk_facts(risk: RiskAssessment, terms: Terms, config: Config) -> dict[str, Any]:
    """信用等级 (from the score when one is given) and 贷款风险度 of ``terms``."""
    if risk.credit_score is not None:
        grade, source = credit_grade(risk.credit_score, config=config), "评分卡"
    else:
        assert risk.credit_grade is not None  # the validator requires one of the two
        grade, source = risk.credit_grade, "评级结果"
    degree = risk_degree(
        grade,
        guarantee_key(terms.guarantee_methods),
        terms.term_months,
        project_factor_percent=risk.project_factor_percent,
        config=config,
    )
    return {
        "grade": grade,
        "grade_source": source,
        "degree": degree.percent,
        "grade_coefficient": degree.grade_coefficient,
        "guarantee_coefficient": degree.guarantee_coefficient,
        "term_coefficient": degree.term_coefficient,
        "project_coefficient": degree.project_coefficient,
        "high_risk": degree.high_risk,
        "guarantee_key": guarantee_key(terms.guarantee_methods),
        "high_risk_above": config.section("risk_degree", RiskDegreeSettings).high_risk_above_percent,
    }
