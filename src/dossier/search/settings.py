"""The [search] table: engine, batch size, extraction and OCR limits; and where the index lives."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dossier.archive.home import STATE
from dossier.config import Config
from indexer.extract import Limits

INDEX_FOLDER = "index"
TEXT_FOLDER = "text"

EngineName = Literal["tantivy", "whoosh"]


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: EngineName = "tantivy"
    batch_size: int = Field(200, ge=1, le=10_000)
    lock_timeout_seconds: float = Field(10.0, ge=0)
    max_attempts: int = Field(5, ge=1)
    extract_timeout_seconds: float = Field(60.0, gt=0)
    extract_memory_mb: int = Field(1024, ge=128)
    max_pages: int = Field(2000, ge=1)
    max_text_chars: int = Field(20_000_000, ge=1000)
    ocr: bool = True
    ocr_lang: str = Field("chi_sim", pattern=r"^[a-z_]+(\+[a-z_]+)*$")
    ocr_timeout_seconds: float = Field(900.0, gt=0)
    ocr_max_pages: int = Field(200, ge=1)
    pending_cache_seconds: float = Field(1.0, ge=0)

    def limits(self) -> Limits:
        return Limits(
            max_pages=self.max_pages,
            max_text_chars=self.max_text_chars,
            ocr_timeout_s=self.ocr_timeout_seconds,
        )


def search_settings(config: Config) -> SearchSettings:
    return config.section("search", SearchSettings)


def index_root(home: Path) -> Path:
    """``<home>/.dossier/index``: one folder per engine, plus the small state files beside them."""
    return home / STATE / INDEX_FOLDER


def index_dir(home: Path, engine: str) -> Path:
    return index_root(home) / engine


def text_dir(home: Path) -> Path:
    return home / STATE / TEXT_FOLDER
