"""The [media] table: the largest file the archive files, and the media formats the inbox accepts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dossier.config import Config, default_config

GiB = 1024**3


class MediaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_file_bytes: int = Field(4 * GiB, ge=1)
    inbox_formats: list[str] = Field(default_factory=list)


def media_settings(config: Config | None = None) -> MediaSettings:
    return (config or default_config()).section("media", MediaSettings)
