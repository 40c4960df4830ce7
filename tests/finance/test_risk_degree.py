from decimal import Decimal

import pytest

from dossier.config import load_config
from dossier.finance.risk import RiskDegree, credit_grade, risk_degree


def test_exam_example() -> None:
    assert risk_degree("AAA", "抵押", 48, config=load_config()) == RiskDegree(
        percent=Decimal("19.50"),
        grade_coefficient=Decimal(30),
        guarantee_coefficient=Decimal(50),
        term_coefficient=Decimal(130),
        high_risk=False,
    )


def test_high_risk_above_threshold() -> None:
    # A 70 % × 信用 100 % × 6-year 140 % = 98 %
    result = risk_degree("A", "信用", 72, config=load_config())
    assert result.percent == Decimal("98.00")
    assert result.high_risk


def test_threshold_is_exclusive_and_configurable(config_with) -> None:
    # BBB 90 % × 保证 80 % × 1-year 100 % = 72 %; A 70 % × 组合 60 % × 2 years 110 % = 46.2 %
    assert risk_degree("A", "组合", 24, config=load_config()).percent == Decimal("46.20")
    config = config_with("risk_degree", high_risk_above_percent="46.2")
    assert not risk_degree("A", "组合", 24, config=config).high_risk
    assert risk_degree("BBB", "保证", 12, config=config).high_risk


@pytest.mark.parametrize(
    ("term", "coefficient"), [(1, 100), (12, 100), (13, 110), (36, 120), (48, 130), (49, 140), (73, 150)]
)
def test_term_bands(term: int, coefficient: int) -> None:
    assert risk_degree("AAA", "质押", term, config=load_config()).term_coefficient == coefficient


def test_project_factor_and_aliases() -> None:
    result = risk_degree("aa", "mortgage", 12, project_factor_percent=Decimal(120), config=load_config())
    # 50 % × 50 % × 100 % × 120 % = 30 %
    assert result.percent == Decimal("30.00")
    assert result.project_coefficient == Decimal(120)
    assert risk_degree("AA", "抵押贷款", 12, config=load_config()).guarantee_coefficient == Decimal(50)


def test_unknown_values_list_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match="未知信用等级") as info:
        risk_degree("D", "抵押", 12, config=load_config())
    assert "AAA" in str(info.value) and "BBB" in str(info.value)
    with pytest.raises(ValueError, match="未知担保方式") as info:
        risk_degree("AAA", "回购", 12, config=load_config())
    assert "质押" in str(info.value) and "信用" in str(info.value)
    with pytest.raises(ValueError, match="期限超出"):
        risk_degree("AAA", "抵押", 1201, config=load_config())


def test_grade_coefficients_from_config(config_with) -> None:
    config = config_with("risk_degree", grade={"AAA": "20", "D": "150"})
    assert risk_degree("AAA", "抵押", 48, config=config).percent == Decimal("13.00")
    assert risk_degree("D", "信用", 12, config=config).percent == Decimal("150.00")


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "AAA"), (90, "AAA"), (Decimal("89.99"), "AA"), (80, "AA"), (79, "A"), (60, "BBB"), (0, "C")],
)
def test_credit_grade_bands(score, grade: str) -> None:
    assert credit_grade(score, config=load_config()) == grade


def test_credit_grade_below_every_band_and_override(config_with) -> None:
    with pytest.raises(ValueError, match="评分低于最低档次"):
        credit_grade(-1, config=load_config())
    config = config_with("credit_grade", bands=[[85, "A"], [60, "B"], [0, "D"]])
    assert credit_grade(86, config=config) == "A"
    assert credit_grade(59, config=config) == "D"
