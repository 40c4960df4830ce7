"""贷款(综合)风险度 and the credit grade of a scorecard (domain.md §1.6).

    风险度 = 信用等级系数 × 贷款方式系数 × 期限系数 (× 项目风险等级系数)

All coefficients are percentages from ``[risk_degree]``; the product is a percentage too
(AAA 30 % × 抵押 50 % × 4 years 130 % = 19.5 %). Above ``high_risk_above_percent`` (60) the loan counts
as high-risk. Grade bands of the bank's scorecard are ``[credit_grade].bands``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator

from dossier.config import Config
from dossier.domain.enums import GuaranteeMethod
from dossier.finance._common import HUNDRED, as_decimal, round2


class TermBand(BaseModel):
    max_months: int = Field(gt=0)
    percent: Decimal = Field(gt=0)


class RiskDegreeSettings(BaseModel):
    """``[risk_degree]`` of the configuration."""

    high_risk_above_percent: Decimal
    grade: dict[str, Decimal]
    guarantee: dict[str, Decimal]
    term: list[TermBand] = Field(min_length=1)

    @model_validator(mode="after")
    def _bands_ascend(self) -> RiskDegreeSettings:
        limits = [band.max_months for band in self.term]
        if limits != sorted(set(limits)):
            raise ValueError("term bands must be listed by increasing max_months")
        return self


class CreditGradeSettings(BaseModel):
    """``[credit_grade]`` of the configuration: (min_score, grade) bands."""

    bands: list[tuple[Decimal, str]] = Field(min_length=1)


@dataclass(frozen=True)
class RiskDegree:
    """The risk degree in percent (2 dp) and the coefficients (percent) that made it."""

    percent: Decimal
    grade_coefficient: Decimal
    guarantee_coefficient: Decimal
    term_coefficient: Decimal
    high_risk: bool
    project_coefficient: Decimal | None = None


def _accepted(table: dict[str, Decimal]) -> str:
    return ", ".join(table)


def _grade_coefficient(settings: RiskDegreeSettings, grade: str) -> Decimal:
    wanted = grade.strip()
    for key in (wanted, wanted.upper()):
        if key in settings.grade:
            return settings.grade[key]
    raise ValueError(
        f"unknown credit grade (未知信用等级) {grade!r}; accepted (可选): {_accepted(settings.grade)}"
    )


def _guarantee_coefficient(settings: RiskDegreeSettings, guarantee: str) -> Decimal:
    wanted = guarantee.strip()
    candidates = [wanted, wanted.removesuffix("贷款"), wanted.removesuffix("担保")]
    try:
        # English values of the domain enum ("mortgage") name the same keys as their labels (抵押).
        candidates.append(GuaranteeMethod(wanted).label)
    except ValueError:
        pass
    for key in candidates:
        if key in settings.guarantee:
            return settings.guarantee[key]
    accepted = _accepted(settings.guarantee)
    raise ValueError(f"unknown guarantee method (未知担保方式) {guarantee!r}; accepted (可选): {accepted}")


def _term_coefficient(settings: RiskDegreeSettings, term_months: int) -> Decimal:
    if term_months < 1:
        raise ValueError(f"term must be at least one month (贷款期限至少一个月): {term_months}")
    for band in settings.term:
        if term_months <= band.max_months:
            return band.percent
    longest = settings.term[-1].max_months
    raise ValueError(f"term {term_months} months exceeds the longest band {longest} (期限超出配置的最长档次)")


def risk_degree(
    grade: str,
    guarantee: str,
    term_months: int,
    *,
    project_factor_percent: Decimal | None = None,
    config: Config,
) -> RiskDegree:
    """贷款风险度 of one loan. ``guarantee`` is a key of ``[risk_degree.guarantee]`` (抵押) or its English
    value (mortgage); the term coefficient is the first band whose ``max_months`` ≥ the term."""
    settings = config.section("risk_degree", RiskDegreeSettings)
    grade_pct = _grade_coefficient(settings, grade)
    guarantee_pct = _guarantee_coefficient(settings, guarantee)
    term_pct = _term_coefficient(settings, term_months)
    product = grade_pct * guarantee_pct * term_pct / HUNDRED / HUNDRED
    project_pct = None
    if project_factor_percent is not None:
        project_pct = as_decimal(project_factor_percent, "project factor")
        if project_pct <= 0:
            raise ValueError(f"project factor must be positive (项目风险系数必须大于零): {project_pct}")
        product = product * project_pct / HUNDRED
    percent = round2(product)
    return RiskDegree(
        percent=percent,
        grade_coefficient=grade_pct,
        guarantee_coefficient=guarantee_pct,
        term_coefficient=term_pct,
        high_risk=percent > settings.high_risk_above_percent,
        project_coefficient=project_pct,
    )


def credit_grade(score: Decimal | int, *, config: Config) -> str:
    """The grade of a scorecard score: the band with the highest ``min_score`` ≤ score."""
    value = as_decimal(score, "score")
    bands = config.section("credit_grade", CreditGradeSettings).bands
    for min_score, grade in sorted(bands, key=lambda band: band[0], reverse=True):
        if value >= min_score:
            return grade
    lowest = min(band[0] for band in bands)
    raise ValueError(f"score {value} is below the lowest band {lowest} (评分低于最低档次)")
