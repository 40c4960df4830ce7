"""The bank's wall clock: timestamps are stored in UTC and shown, or read when written without an offset,
at the offset in [locale] (China Standard Time by default, which has no daylight saving)."""

from __future__ import annotations

from datetime import timedelta, timezone

from pydantic import BaseModel, ConfigDict, Field

from dossier.config import Config


class LocaleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    utc_offset_hours: float = Field(8, ge=-14, le=14)


def local_zone(config: Config) -> timezone:
    hours = config.section("locale", LocaleSettings).utc_offset_hours
    offset = timedelta(hours=hours)
    return timezone(offset, "CST") if hours == 8 else timezone(offset)
