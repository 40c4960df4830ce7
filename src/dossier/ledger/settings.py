"""``[ledger]`` of the configuration: what the other rule sections do not already hold."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from dossier.config import Config
from dossier.errors import ConfigError


class LenderSettings(BaseModel):
    name: str = ""
    credit_code: str = ""
    principal: str = ""
    address: str = ""
    phone: str = ""

    def as_input(self) -> dict[str, str]:
        """The lender block of a notice's input; refuses to print a notice without a lender name."""
        if not self.name.strip():
            raise ConfigError(
                "set the lender printed on notices in [ledger.lender].name of your configuration "
                "(请在配置 [ledger.lender].name 中填写贷款人名称)"
            )
        return {key: value for key, value in self.model_dump().items() if value}


class LedgerSettings(BaseModel):
    limitation_years: int = Field(ge=1)
    limitation_alert_days: int = Field(ge=0)
    guarantee_period_months: int = Field(ge=1)
    guarantee_alert_days: int = Field(ge=0)
    inspection_ahead_days: int = Field(ge=0)
    overdue_buckets: list[int] = Field(min_length=1)
    action_shift: Literal["none", "earlier"] = "none"
    period_end_shift: Literal["none", "later"] = "none"
    weekends_are_holidays: bool = True
    holidays: list[date] = Field(default_factory=list)
    make_up_workdays: list[date] = Field(default_factory=list)
    collection_repeat_days: int = Field(ge=0)
    collection_deadline_days: int = Field(ge=1)
    collection_method: str
    notice_kinds: list[str] = Field(min_length=1)
    lender: LenderSettings = Field(default_factory=LenderSettings)

    @field_validator("overdue_buckets")
    @classmethod
    def _buckets_ascend(cls, value: list[int]) -> list[int]:
        if value[0] < 1 or value != sorted(set(value)):
            raise ValueError("overdue_buckets must start at 1 day or later and increase")
        return value


def ledger_settings(config: Config) -> LedgerSettings:
    return config.section("ledger", LedgerSettings)
