"""The filters a template may call: money, 大写, dates, percentages. Nothing else is reachable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dossier.domain.capital import to_capital
from dossier.domain.dates import format_capital_date, format_cn_date
from dossier.domain.money import format_amount

FILTERS_FACTORY = "dossier.render.filters:template_filters"
"""Import path of the factory, so a worker process can rebuild the same filters."""

_BLANK = ("", None)


def money(value: Any) -> str:
    """``1234567.8`` → ``1,234,567.80``; blank stays blank."""
    return "" if value in _BLANK else format_amount(Decimal(value))


def capital(value: Any) -> str:
    """``1680.32`` → ``人民币壹仟陆佰捌拾元零叁角贰分``."""
    return "" if value in _BLANK else to_capital(Decimal(value))


def cndate(value: Any) -> str:
    """``date(2026, 11, 28)`` → ``2026年11月28日``."""
    return format_cn_date(value) if isinstance(value, date) else ""


def capdate(value: Any) -> str:
    """``date(2026, 11, 28)`` → ``贰零贰陆年壹拾壹月贰拾捌日`` (instrument style)."""
    return format_capital_date(value) if isinstance(value, date) else ""


def pct(value: Any, places: int = 2) -> str:
    """A percentage figure: ``12.3456`` → ``12.35%``; blank stays blank."""
    if value in _BLANK:
        return ""
    quantum = Decimal(1).scaleb(-int(places))
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)}%"


def num(value: Any, places: int = 2) -> str:
    """A plain figure rounded half-up: ratios, areas, coefficients."""
    if value in _BLANK:
        return ""
    quantum = Decimal(1).scaleb(-int(places))
    return str(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))


def dash(value: Any) -> Any:
    """Blank → ``—`` so an empty field is visibly empty on paper."""
    return "—" if value in _BLANK else value


def yesno(value: Any) -> str:
    return "是" if value else "否"


def template_filters() -> dict[str, Callable[..., Any]]:
    return {
        "money": money,
        "capital": capital,
        "cndate": cndate,
        "capdate": capdate,
        "pct": pct,
        "num": num,
        "dash": dash,
        "yesno": yesno,
    }
