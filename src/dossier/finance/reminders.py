"""到期还款提示 dates (domain.md §1.4, §2.5).

贷款通则 requires the notice at least one week before maturity for short-term loans and at least one
month before for medium/long-term loans; ``[reminders]`` holds the days (7 and 30) and the longest
short-term term (12 months).
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field

from dossier.config import Config


class ReminderSettings(BaseModel):
    """``[reminders]`` of the configuration."""

    short_term_days: int = Field(ge=0)
    long_term_days: int = Field(ge=0)
    short_term_max_months: int = Field(ge=1)
    plan_ahead_days: int = Field(default=60, ge=0)


def reminder_settings(config: Config) -> ReminderSettings:
    return config.section("reminders", ReminderSettings)


def is_short_term(term_months: int, config: Config) -> bool:
    """A loan of at most ``[reminders].short_term_max_months`` (12) months is short-term."""
    if term_months < 1:
        raise ValueError(f"term must be at least one month (贷款期限至少一个月): {term_months}")
    return term_months <= reminder_settings(config).short_term_max_months


def reminder_due_date(maturity: date, term_months: int, *, config: Config) -> date:
    """Latest date to send the maturity reminder: T−7 for short-term loans, T−30 otherwise."""
    settings = reminder_settings(config)
    days = settings.short_term_days if is_short_term(term_months, config) else settings.long_term_days
    return maturity - timedelta(days=days)


def plan_ahead_date(maturity: date, *, config: Config) -> date:
    """When maturity planning (collection or extension) should start: ``plan_ahead_days`` before it."""
    return maturity - timedelta(days=reminder_settings(config).plan_ahead_days)
