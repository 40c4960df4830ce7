"""How commands print: rich tables for people, JSON (decimals as strings) for programs."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    # A pydantic model can exist only once pydantic is imported: asking sys.modules keeps the import of
    # pydantic off the start-up path of commands that never print one.
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def to_json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, indent=2)


def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def emit(value: Any, as_json: bool, human: Callable[[Console], None]) -> None:
    """Print ``value`` as JSON, or let ``human`` render it for a person."""
    if as_json:
        sys.stdout.write(to_json(value) + "\n")
    else:
        human(console())
