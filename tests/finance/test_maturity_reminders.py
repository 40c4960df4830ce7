from datetime import date

import pytest

from dossier.config import load_config
from dossier.finance.reminders import is_short_term, plan_ahead_date, reminder_due_date


def test_short_term_is_up_to_twelve_months() -> None:
    assert is_short_term(12, config=load_config())
    assert is_short_term(1, config=load_config())
    assert not is_short_term(13, config=load_config())
    with pytest.raises(ValueError, match="贷款期限至少一个月"):
        is_short_term(0, config=load_config())


def test_reminder_one_week_before_short_term_maturity() -> None:
    assert reminder_due_date(date(2024, 3, 5), 12, config=load_config()) == date(2024, 2, 27)


def test_reminder_one_month_before_medium_term_maturity() -> None:
    assert reminder_due_date(date(2024, 3, 5), 36, config=load_config()) == date(2024, 2, 4)


def test_reminder_days_from_config(config_with) -> None:
    config = config_with("reminders", short_term_days=10, short_term_max_months=24)
    assert reminder_due_date(date(2024, 3, 5), 24, config=config) == date(2024, 2, 24)


def test_plan_ahead() -> None:
    assert plan_ahead_date(date(2024, 3, 5), config=load_config()) == date(2024, 1, 5)
