"""[custody]: loan periods of files and the departments a loan can be transferred to."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from dossier.config import Config


class Department(BaseModel):
    label: str = Field(min_length=1, max_length=40)
    """What notices, due lists and the transfer list name as the holder."""
    account: str = Field("", max_length=50)
    """The department's user account ("" for none): a transferred borrower is assigned to it."""


class CustodySettings(BaseModel):
    loan_default_days: int = Field(7, ge=1, le=366)
    loan_max_days: int = Field(30, ge=1, le=366)
    departments: dict[str, Department] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_within_max(self) -> CustodySettings:
        if self.loan_default_days > self.loan_max_days:
            raise ValueError("loan_default_days must not exceed loan_max_days")
        long = [key for key in self.departments if not 1 <= len(key) <= 40]
        if long:
            raise ValueError(f"a department key has 1 to 40 characters: {long[0]!r}")
        return self


def custody_settings(config: Config) -> CustodySettings:
    return config.section("custody", CustodySettings)
