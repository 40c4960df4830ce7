"""Turn pydantic's errors into problems a credit officer can act on: path, Chinese label, reason."""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from dossier.config import Config
from dossier.domain.identifiers.types import CONTEXT_KEY
from dossier.errors import FieldProblem, InputError

M = TypeVar("M", bound=BaseModel)

# Chinese for pydantic's own error types; our validators already write both languages.
_CHINESE = {
    "missing": "必填项缺失",
    "extra_forbidden": "不认识的字段，请检查拼写",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_max_places": "小数位过多",
    "date_parsing": "日期格式错误，应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式错误，应为 YYYY-MM-DD",
    "date_type": "应为日期",
    "enum": "取值不在可选范围内",
    "literal_error": "取值不在可选范围内",
    "string_type": "应为文字",
    "model_type": "应为一组字段",
    "list_type": "应为列表",
    "bool_parsing": "应为是/否",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, tuple, set, frozenset):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("customer_type")
    return getattr(field.default, "value", None) if field is not None else None


def locate(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, str]:
    """The dotted path (``loan.amount``, ``shareholders[1].name``) and Chinese label an error points at."""
    path = ""
    label = ""
    candidates: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        owner = next((m for m in candidates if part in m.model_fields), None)
        if owner is None:
            tagged = [m for m in candidates if _tag_of(m) == part]
            if tagged:  # a discriminated union's tag: not part of the user's path
                candidates = tagged
                continue
            path = f"{path}.{part}" if path else str(part)
            label = ""
            candidates = []
            continue
        field = owner.model_fields[part]
        path = f"{path}.{part}" if path else part
        label = field.title or ""
        candidates = _models_in(field.annotation)
    return path or "(input)", label


def _reason(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    chinese = _CHINESE.get(str(error.get("type")))
    if chinese and chinese not in message:
        message = f"{message} ({chinese})"
    return message


def problems_from(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for error in exc.errors(include_url=False):
        path, label = locate(model, tuple(error["loc"]))
        problems.append(FieldProblem(path=path, label=label, reason=_reason(error)))
    return problems


def validate(model: type[M], data: Any, *, source: str | None = None, config: Config) -> M:
    """Validate ``data`` as ``model``; every problem is reported at once as an InputError."""
    try:
        return model.model_validate(data, context={CONTEXT_KEY: config})
    except ValidationError as exc:
        raise InputError(problems_from(model, exc), source=source) from None


def iter_labels(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (dotted path, Chinese label) of a model, lists written ``name[]``; used by template checks."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path, field.title or ""
        origin = get_origin(field.annotation)
        inner = _models_in(field.annotation)
        is_list = origin is list or (
            origin is Annotated and get_origin(get_args(field.annotation)[0]) is list
        )
        for sub in inner:
            yield from iter_labels(sub, f"{path}[]." if is_list else f"{path}.")
