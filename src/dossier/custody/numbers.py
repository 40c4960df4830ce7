"""Numbers people write on paper: 借阅单号 JY2026-00001, 移交单号 YJ2026-00001, 保全移交单号 BQ2026-00001."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import uuid4


class Prefix(StrEnum):
    FILE_LOAN = "JY"
    HANDOVER = "YJ"
    TRANSFER = "BQ"


def provisional() -> str:
    """A unique placeholder until the row has its id (the number is made from it)."""
    return f"new-{uuid4().hex[:24]}"


def number_for(prefix: Prefix, row_id: int, at: datetime) -> str:
    return f"{prefix.value}{at.year}-{row_id:05d}"
