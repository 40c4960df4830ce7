"""The [media] table: the largest file the archive files, and the media formats the inbox accepts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dossier.config import Config

GiB = 1024**3
PILLOW_PIXEL_STOP = 178_956_970
"""Pillow refuses to open an image above twice its ``Image.MAX_IMAGE_PIXELS`` (a decompression bomb)."""


class MediaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_file_bytes: int = Field(4 * GiB, ge=1)
    inbox_formats: list[str] = Field(default_factory=list)
    max_image_pixels: int = Field(PILLOW_PIXEL_STOP, ge=1, le=PILLOW_PIXEL_STOP)
    """Largest photo, width × height, the archive files; a few KB of PNG can claim 50,000 × 50,000."""


def media_settings(config: Config) -> MediaSettings:
    return config.section("media", MediaSettings)
