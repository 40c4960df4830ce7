from datetime import date

from dossier.domain import dates
from dossier.finance import calendar


def test_add_months_is_the_domain_function() -> None:
    assert calendar.add_months is dates.add_months
    assert calendar.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
