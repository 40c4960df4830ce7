"""The [inbox] table of the configuration: timings, limits, ignored names, accepted formats, rules file."""

from __future__ import annotations

import fnmatch
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dossier.config import Config
from indexer.extract.sniff import DOCX, HEIC, JPEG, OLE2, PDF, PNG, PPTX, TEXT, TIFF, XLSX, ZIP

FORMATS: dict[str, tuple[str, ...]] = {
    "pdf": (PDF,),
    "docx": (DOCX,),
    "jpeg": (JPEG,),
    "png": (PNG,),
    "tiff": (TIFF,),
    "xlsx": (XLSX,),
    "pptx": (PPTX,),
    "doc": (OLE2,),
    "text": (TEXT,),
    "zip": (ZIP,),
    "heic": (HEIC,),
}
"""Format names the configuration uses, and the media types (by content, see indexer.extract.sniff)."""

MiB = 1024 * 1024


class InboxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quiet_seconds: float = Field(1.0, ge=0, le=3600)
    rescan_seconds: float = Field(30.0, gt=0)
    max_file_mb: float = Field(200.0, gt=0)
    ignore: list[str] = Field(default_factory=list)
    formats: list[str] = Field(default_factory=lambda: ["pdf", "docx", "jpeg", "png", "tiff"])
    rules: str = ""
    text_chars: int = Field(20_000, ge=100)
    workers: int = Field(2, ge=1, le=16)
    index_batch: int = Field(50, ge=1)
    writer_probe: Literal["auto", "lease", "proc", "none"] = "auto"
    ocr_worker: bool = True
    actor: str = Field("inbox", min_length=1, max_length=50)
    max_attempts: int = Field(5, ge=1, le=100)
    """Failed attempts at one file (an error, or a file still being written) before it goes to quarantine
    with the last error as its reason: nothing is tried forever."""

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, formats: list[str]) -> list[str]:
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown formats {unknown} (未知的文件格式); known: {', '.join(FORMATS)}")
        return formats

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MiB)

    @property
    def media_types(self) -> frozenset[str]:
        return frozenset(t for name in self.formats for t in FORMATS[name])

    def ignored(self, name: str) -> bool:
        """Whether a file or folder name is never taken: hidden, or a temporary or system file."""
        if name.startswith("."):
            return True
        # Case-insensitive: the names come from Windows and macOS clients as often as not (THUMBS.DB).
        folded = name.casefold()
        return any(fnmatch.fnmatchcase(folded, pattern.casefold()) for pattern in self.ignore)


def inbox_settings(config: Config) -> InboxSettings:
    return config.section("inbox", InboxSettings)
