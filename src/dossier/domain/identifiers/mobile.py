"""Mainland mobile numbers; the accepted pattern is a bank setting ([identifiers].mobile)."""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel

from dossier.config import Config
from dossier.domain.identifiers.section_cache import cached_section
from dossier.errors import InvalidIdentifier

_NAME = "mobile number (手机号码)"
_SEPARATORS_RE = re.compile(r"[\s\-]+")
# Country code as written on forms: +86, 0086, (+86); NFKC has already folded full-width brackets and plus.
_COUNTRY_PREFIXES = ("(+86)", "(86)", "+86", "0086")


class _MobileRules(BaseModel):
    """The part of [identifiers] this module reads; pydantic compiles the pattern and names the key of a
    broken one."""

    mobile: re.Pattern[str]


def parse_mobile(number: str, config: Config) -> str:
    """The bare 11-digit number, after removing separators and a +86 / 0086 country code."""
    pattern = cached_section(config, "identifiers", _MobileRules).mobile
    cleaned = _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", number))
    for prefix in _COUNTRY_PREFIXES:
        if cleaned.startswith(prefix):
            cleaned = cleaned.removeprefix(prefix)
            break
    if not pattern.fullmatch(cleaned):
        raise InvalidIdentifier(
            f"{_NAME} does not match the pattern {pattern.pattern} (手机号码格式错误): {number!r}"
        )
    return cleaned
