"""Contract and loan-receipt (借据) numbers; each bank sets its own patterns in [identifiers].

The shipped patterns accept the common shapes of Chinese numbers (``(2026)思明借字第0318号``,
``2026年厦农商借字第00318号``, ``JK2026-000318``, ``HZ-L01``); a rejection names the setting that changes
the pattern, because the number on a signed contract cannot be changed to fit the software.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel

from dossier.config import Config
from dossier.domain.identifiers.section_cache import cached_section
from dossier.errors import InvalidIdentifier

Kind = Literal["contract", "receipt"]

_NAMES: dict[str, tuple[str, str]] = {
    "contract": ("contract number", "合同编号"),
    "receipt": ("loan receipt number", "借据编号"),
}
_SECTION = "identifiers"
_SHOWN_PATTERN_CHARS = 120
_KEYS: dict[str, str] = {"contract": "contract_number", "receipt": "receipt_number"}


def setting_name(kind: Kind = "contract") -> str:
    """The configuration key holding the pattern for ``kind``: ``identifiers.contract_number``."""
    return f"{_SECTION}.{_KEYS[kind]}"


class _NumberRules(BaseModel):
    """The part of [identifiers] this module reads; pydantic compiles the patterns and names the key of a
    broken one. The patterns stay settings, not field constraints, because each bank sets its own."""

    contract_number: re.Pattern[str]
    receipt_number: re.Pattern[str]


def _compiled_pattern(kind: Kind, config: Config) -> re.Pattern[str]:
    rules = cached_section(config, _SECTION, _NumberRules)
    if kind == "contract":
        return rules.contract_number
    if kind == "receipt":
        return rules.receipt_number
    raise ValueError(f"kind must be 'contract' or 'receipt', not {kind!r}")


def number_pattern(kind: Kind, config: Config) -> str:
    """The configured full-match pattern for ``kind``."""
    return _compiled_pattern(kind, config).pattern


def parse_contract_number(text: str, *, kind: Kind = "contract", config: Config) -> str:
    """The normalized number (NFKC, stripped, upper case) if it fully matches the pattern for ``kind``."""
    compiled = _compiled_pattern(kind, config)
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    if not compiled.fullmatch(cleaned):
        english, chinese = _NAMES[kind]
        if not cleaned:
            raise InvalidIdentifier(f"{english} is empty ({chinese}为空)")
        key = setting_name(kind)
        # A long pattern (the shipped one is) says nothing to the clerk importing a ledger; the key does.
        pattern = compiled.pattern
        shown = f": {pattern}" if len(pattern) <= _SHOWN_PATTERN_CHARS else ""
        raise InvalidIdentifier(
            f"{english} {cleaned!r} does not match the pattern set by {key} in the configuration "
            f"({chinese} {cleaned!r} 不符合配置项 {key} 设定的格式); a bank whose numbers look different "
            f"sets its own pattern there (编号规则不同可在该配置项中修改){shown}"
        )
    return cleaned
