"""Input field types for five-class classification, shared by the kinds that record or propose a class."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from dossier.domain.identifiers.types import config_from_context
from dossier.finance.classification import FiveClass, parse_five_class, rule_sets


def _five_class_input(value: Any) -> Any:
    # Officers type 正常/关注类 as often as the English names; parse_five_class reads both.
    return parse_five_class(value) if isinstance(value, str) and not isinstance(value, FiveClass) else value


def _known_rule_set(value: str, info: ValidationInfo) -> str:
    known = rule_sets(config_from_context(info))
    if value not in known:
        accepted = ", ".join(f"{name} ({label})" for name, label in known.items())
        raise ValueError(f"unknown rule set (未知分类规则) {value!r}; accepted (可选): {accepted}")
    return value


FiveClassField = Annotated[FiveClass, BeforeValidator(_five_class_input)]
"""A five-class category, typed as its English name or its Chinese label (正常, 关注类, …)."""

RuleSetName = Annotated[str, AfterValidator(_known_rule_set)]
"""The name of a classification rule set configured under [classification]."""
