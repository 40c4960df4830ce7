"""Cross-field rules, written one way: a model validator (``mode="after"``) collects what it finds in a
:class:`Problems` and raises them together.

Each problem names the exact field it is about (``approval.amount``, ``collateral[1].unit_no``), not the
model, even when the rule compares two blocks: the ValidationError carries every location, and pydantic
prefixes the path of the enclosing field, so a nested model reports ``guarantor.address``. An empty
location reports the input as a whole.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]


class Problems:
    """Cross-field problems found by a model validator, each at its own location in the input."""

    def __init__(self) -> None:
        self._items: list[InitErrorDetails] = []

    def add(self, loc: Loc, message: str, value: Any = None) -> None:
        self._items.append(InitErrorDetails(type=PydanticCustomError("rule", message), loc=loc, input=value))

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self, title: str) -> None:
        if self._items:
            raise ValidationError.from_exception_data(title, self._items)
