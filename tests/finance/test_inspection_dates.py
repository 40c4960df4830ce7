from datetime import date

import pytest

from dossier.config import load_config
from dossier.finance.classification import FiveClass
from dossier.finance.inspection_cadence import (
    first_inspection_due,
    fund_use_check_due,
    inspection_interval_months,
    next_inspection_date,
)


def test_first_inspection_within_15_days() -> None:
    assert first_inspection_due(date(2024, 1, 20), config=load_config()) == date(2024, 2, 4)
    assert first_inspection_due(date(2024, 12, 25), config=load_config()) == date(2025, 1, 9)


def test_first_inspection_days_from_config(config_with) -> None:
    config = config_with("inspection", first_check_days=7)
    assert first_inspection_due(date(2024, 1, 20), config=config) == date(2024, 1, 27)


def test_fund_use_check() -> None:
    assert fund_use_check_due(date(2024, 11, 30), config=load_config()) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("cls", "term", "grade", "months"),
    [
        (FiveClass.NORMAL, 12, None, 3),  # 正常 quarterly; long term quarterly
        (FiveClass.NORMAL, 6, None, 1),  # ≤ 6 months: monthly
        (FiveClass.NORMAL, 7, None, 3),
        (FiveClass.SPECIAL_MENTION, 36, None, 1),
        (FiveClass.SUBSTANDARD, 36, None, 1),
        (FiveClass.NORMAL, 36, "A1", 3),  # the shorter of class (3) and grade (6)
        (FiveClass.NORMAL, 36, "B1", 2),
        (FiveClass.NORMAL, 36, "b2", 1),
        (FiveClass.DOUBTFUL, 36, "A1", 1),
    ],
)
def test_interval_is_the_shortest_applicable(
    cls: FiveClass, term: int, grade: str | None, months: int
) -> None:
    assert (
        inspection_interval_months(five_class=cls, term_months=term, grade=grade, config=load_config())
        == months
    )


def test_unknown_customer_grade() -> None:
    with pytest.raises(ValueError, match="未知客户分类") as info:
        inspection_interval_months(
            five_class=FiveClass.NORMAL, term_months=12, grade="AAA", config=load_config()
        )
    assert "A1" in str(info.value) and "B2" in str(info.value)


def test_class_interval_from_config(config_with) -> None:
    by_class = {"正常": 6, "关注": 2, "次级": 1, "可疑": 1, "损失": 1}
    config = config_with("inspection", by_class=by_class, long_term_interval_months=6)
    assert inspection_interval_months(five_class=FiveClass.NORMAL, term_months=24, config=config) == 6
    assert inspection_interval_months(five_class="关注", term_months=24, config=config) == 2


@pytest.mark.parametrize(
    ("last", "cls", "term", "expected"),
    [
        (date(2024, 1, 31), FiveClass.SPECIAL_MENTION, 24, date(2024, 2, 29)),
        (date(2023, 1, 31), FiveClass.SPECIAL_MENTION, 24, date(2023, 2, 28)),
        (date(2024, 11, 30), FiveClass.NORMAL, 24, date(2025, 2, 28)),
        (date(2024, 5, 31), FiveClass.NORMAL, 24, date(2024, 8, 31)),
        (date(2024, 12, 31), FiveClass.NORMAL, 3, date(2025, 1, 31)),
        (date(2024, 3, 31), FiveClass.NORMAL, 24, date(2024, 6, 30)),
    ],
)
def test_next_inspection_at_month_ends(last: date, cls: FiveClass, term: int, expected: date) -> None:
    assert next_inspection_date(last, five_class=cls, term_months=term, config=load_config()) == expected
