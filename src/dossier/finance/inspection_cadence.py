"""贷后检查 dates (domain.md §2.4).

* First check (首次跟踪检查): ``[inspection].first_check_days`` after disbursement.
* Fund-use check: ``fund_use_check_months`` after disbursement.
* Periodic checks: the shortest interval among the rules that apply — by five-class result
  (``[inspection.by_class]``), by term (``short_term_interval_months`` for terms up to
  ``short_term_max_months``, ``long_term_interval_months`` otherwise) and by customer grade
  (``[inspection.by_grade]``) when a grade is given.

Month intervals are added with month-end clamping (31 January + 1 month → 29 February).
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field

from dossier.config import Config
from dossier.domain.dates import add_months
from dossier.errors import ConfigError
from dossier.finance.classification import FiveClass, parse_five_class


class InspectionSettings(BaseModel):
    """``[inspection]`` of the configuration."""

    first_check_days: int = Field(ge=0)
    fund_use_check_months: int = Field(ge=1)
    short_term_max_months: int = Field(ge=1)
    short_term_interval_months: int = Field(ge=1)
    long_term_interval_months: int | None = Field(default=None, ge=1)
    by_class: dict[FiveClass, int] = Field(default_factory=dict)
    by_grade: dict[str, int] = Field(default_factory=dict)


def inspection_settings(config: Config) -> InspectionSettings:
    return config.section("inspection", InspectionSettings)


def first_inspection_due(disbursed: date, *, config: Config) -> date:
    """Latest date of the first post-loan check: disbursement + ``first_check_days`` days."""
    return disbursed + timedelta(days=inspection_settings(config).first_check_days)


def fund_use_check_due(disbursed: date, *, config: Config) -> date:
    """Latest date of the fund-use check of a small-business loan: + ``fund_use_check_months``."""
    return add_months(disbursed, inspection_settings(config).fund_use_check_months)


def inspection_interval_months(
    *,
    five_class: FiveClass,
    term_months: int,
    grade: str | None = None,
    config: Config,
) -> int:
    """Months between periodic checks: the shortest interval of the rules that apply."""
    settings = inspection_settings(config)
    cls = five_class if isinstance(five_class, FiveClass) else parse_five_class(five_class)
    if term_months < 1:
        raise ValueError(f"term must be at least one month (贷款期限至少一个月): {term_months}")
    candidates: list[int] = []
    if cls in settings.by_class:
        candidates.append(settings.by_class[cls])
    if term_months <= settings.short_term_max_months:
        candidates.append(settings.short_term_interval_months)
    elif settings.long_term_interval_months is not None:
        candidates.append(settings.long_term_interval_months)
    if grade is not None:
        key = grade.strip().upper()
        if key not in settings.by_grade:
            accepted = ", ".join(settings.by_grade)
            raise ValueError(f"unknown customer grade (未知客户分类) {grade!r}; accepted (可选): {accepted}")
        candidates.append(settings.by_grade[key])
    if not candidates:
        raise ConfigError(
            f"no inspection interval applies to class {cls.value} and a {term_months}-month term "
            "(配置中没有适用的贷后检查频率)"
        )
    return min(candidates)


def next_inspection_date(
    last_check: date,
    *,
    five_class: FiveClass,
    term_months: int,
    grade: str | None = None,
    config: Config,
) -> date:
    """下次检查日期 = last check + interval(class, term, grade) months, clamped to the month end."""
    months = inspection_interval_months(
        five_class=five_class, term_months=term_months, grade=grade, config=config
    )
    return add_months(last_check, months)
