"""Reporting periods: a month (按月) or one of its three 旬 (上旬 1–10, 中旬 11–20, 下旬 21–end)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dossier.domain.dates import add_months

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_DEKADS = {1: ("上旬", 1, 10), 2: ("中旬", 11, 20), 3: ("下旬", 21, 31)}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str
    """``2026年11月`` or ``2026年11月中旬``."""
    slug: str
    """``2026-11`` or ``2026-11-d2``, for file names."""


def parse_period(month: str, dekad: int | None = None) -> Period:
    match = _MONTH_RE.match(month.strip())
    if not match:
        raise ValueError(f"month must be YYYY-MM (月份格式应为YYYY-MM): {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    if not 1 <= number <= 12:
        raise ValueError(f"no such month (月份不存在): {month!r}")
    first = date(year, number, 1)
    last = add_months(first, 1) - timedelta(days=1)
    if dekad is None:
        return Period(first, last, f"{year}年{number}月", f"{year}-{number:02d}")
    if dekad not in _DEKADS:
        raise ValueError(f"dekad must be 1, 2 or 3 (旬须为1、2或3): {dekad}")
    name, start_day, end_day = _DEKADS[dekad]
    end = min(date(year, number, min(end_day, last.day)), last)
    return Period(
        date(year, number, start_day), end, f"{year}年{number}月{name}", f"{year}-{number:02d}-d{dekad}"
    )
