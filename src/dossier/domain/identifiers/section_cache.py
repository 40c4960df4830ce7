"""A configuration section parsed once, not once per identifier: a ledger import parses two numbers per
row, and the section changes only with the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from dossier.config import Config

M = TypeVar("M", bound=BaseModel)

_LAST: dict[tuple[str, type[Any]], tuple[Mapping[str, Any], Any]] = {}


def cached_section(config: Config, name: str, model: type[M]) -> M:
    """``config.section(name, model)``, reused while the section is the same object (a Config is immutable
    once loaded, so the same table means the same settings)."""
    raw = config.raw(name)
    hit = _LAST.get((name, model))
    if hit is not None and hit[0] is raw:
        return hit[1]
    parsed = config.section(name, model)
    _LAST[(name, model)] = (raw, parsed)
    return parsed
