"""Contract and loan-receipt (借据) numbers; each bank sets its own patterns in [identifiers]."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, field_validator

from dossier.config import Config, default_config
from dossier.errors import InvalidIdentifier

Kind = Literal["contract", "receipt"]

_NAMES: dict[str, tuple[str, str]] = {
    "contract": ("contract number", "合同编号"),
    "receipt": ("loan receipt number", "借据编号"),
}


class _NumberRules(BaseModel):
    """The part of [identifiers] this module reads."""

    contract_number: str
    receipt_number: str

    @field_validator("contract_number", "receipt_number")
    @classmethod
    def _must_compile(cls, pattern: str) -> str:
        try:
            _compiled(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression (正则表达式无效): {exc}") from exc
        return pattern


@lru_cache(maxsize=32)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def number_pattern(kind: Kind = "contract", config: Config | None = None) -> str:
    """The configured full-match pattern for ``kind``."""
    rules = (config or default_config()).section("identifiers", _NumberRules)
    if kind == "contract":
        return rules.contract_number
    if kind == "receipt":
        return rules.receipt_number
    raise ValueError(f"kind must be 'contract' or 'receipt', not {kind!r}")


def parse_contract_number(text: str, *, kind: Kind = "contract", config: Config | None = None) -> str:
    """The normalized number (NFKC, stripped, upper case) if it fully matches the pattern for ``kind``."""
    pattern = number_pattern(kind, config)
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    if not _compiled(pattern).fullmatch(cleaned):
        english, chinese = _NAMES[kind]
        raise InvalidIdentifier(
            f"{english} {cleaned!r} does not match the pattern {pattern} ({chinese}不符合格式 {pattern})"
        )
    return cleaned
