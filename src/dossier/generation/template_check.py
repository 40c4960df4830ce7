"""`dossier templates check`: does a template fit its kind's data?

The known fields are the kind's input schema plus every value its derive() produces (taken from
deriving the shipped example), so a template may use computed values as freely as typed ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from dossier.generation.generator import Generator
from dossier.kinds.base import Kind
from dossier.render.lint import LintProblem, lint_template, schema_fields


def _context_paths(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            path = f"{prefix}{key}"
            yield path
            yield from _context_paths(sub, f"{path}.")
    elif isinstance(value, list) and value:
        list_path = prefix.rstrip(".") + "[]"
        yield list_path
        for item in value:
            yield from _context_paths(item, f"{list_path}.")


def required_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted paths of fields the input must give, through required nested models and lists of them
    (``debtors[].name``)."""
    found: set[str] = set()
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        found.add(prefix + name)
        annotation = info.annotation
        if get_origin(annotation) is list:
            (annotation,) = get_args(annotation)
            name += "[]"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= required_fields(annotation, f"{prefix}{name}.")
    return found


def check_template(kind: Kind, path: Path, generator: Generator) -> list[LintProblem]:
    _, _, context, _ = generator.prepare(kind, kind.example())
    known = schema_fields(kind.schema) | set(_context_paths(context))
    return lint_template(
        path, known_fields=known, required_fields=required_fields(kind.schema), engine=generator.engine
    )
