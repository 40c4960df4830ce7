"""Workdays for the ledger's timers: holidays move a date only when ``[ledger]`` says so."""

from __future__ import annotations

from datetime import date, timedelta

from dossier.ledger.settings import LedgerSettings

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)
# A calendar that marks every day a holiday would loop for ever; no real one comes near a month.
_MAX_STEPS = 60


def is_holiday(day: date, settings: LedgerSettings) -> bool:
    if day in settings.make_up_workdays:
        return False
    if day in settings.holidays:
        return True
    return settings.weekends_are_holidays and day.weekday() >= _SATURDAY


def _shift(day: date, settings: LedgerSettings, step: timedelta) -> date:
    for _ in range(_MAX_STEPS):
        if not is_holiday(day, settings):
            return day
        day += step
    raise ValueError(f"no workday within {_MAX_STEPS} days of {day} (节假日配置有误)")


def action_date(day: date, settings: LedgerSettings) -> date:
    """A date an officer must act by: moved to the workday before when ``action_shift = "earlier"``."""
    if settings.action_shift == "earlier":
        return _shift(day, settings, -_ONE_DAY)
    return day


def period_end(day: date, settings: LedgerSettings) -> date:
    """The last day of a legal period: moved to the next workday when ``period_end_shift = "later"``."""
    if settings.period_end_shift == "later":
        return _shift(day, settings, _ONE_DAY)
    return day
