"""处理时限: how many working days an application has waited at its stage, by the [ledger] calendar
(weekends, holidays and 调休 make-up days: one calendar for the whole bank)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dossier.config import Config
from dossier.domain.local_time import local_zone
from dossier.ledger.settings import ledger_settings
from dossier.ledger.workdays import is_holiday
from dossier.process.store import Application

_MAX_DAYS = 3660
"""Counting stops after ten years: an application that old is overdue whatever the calendar says."""


def working_days_between(start: date, end: date, config: Config) -> int:
    """Working days after ``start`` up to and including ``end`` (the day it arrived does not count)."""
    settings = ledger_settings(config)
    count = 0
    day = start + timedelta(days=1)
    steps = 0
    while day <= end and steps < _MAX_DAYS:
        if not is_holiday(day, settings):
            count += 1
        day += timedelta(days=1)
        steps += 1
    return count


@dataclass(frozen=True)
class Waiting:
    """How long an open application has waited at its stage, against the stage's limit."""

    days: int
    limit_days: int

    @property
    def overdue(self) -> bool:
        return self.limit_days > 0 and self.days > self.limit_days

    def to_dict(self) -> dict[str, object]:
        return {"waited_days": self.days, "limit_days": self.limit_days, "overdue": self.overdue}


def waiting(app: Application, now: datetime, config: Config) -> Waiting:
    zone = local_zone(config)
    since = app.stage_since.astimezone(zone).date()
    today = now.astimezone(zone).date()
    limit = app.flow.get(app.stage).limit_days
    if app.status.closed:
        return Waiting(0, limit)
    return Waiting(working_days_between(since, today, config), limit)
