"""Input models as template data: enums print their Chinese label, absent values print nothing."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel


def plain(value: Any) -> Any:
    """Models and dataclass-like values as dicts and lists of Decimals, dates and strings."""
    if isinstance(value, BaseModel):
        return {name: plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Enum):
        return getattr(value, "label", value.value)
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def build_context(data: BaseModel, derived: Mapping[str, Any]) -> dict[str, Any]:
    context = plain(data)
    clash = set(context) & set(derived)
    if clash:
        raise ValueError(f"derived values shadow input fields: {sorted(clash)}")
    context.update({key: plain(value) for key, value in derived.items()})
    return context
