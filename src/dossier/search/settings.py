"""The [search] table: engine, batch size, extraction and OCR limits; and where the index lives."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
    hit_cache_mb: int = Field(32, ge=0, le=65_536)
    index_path: str = ""
    """This node's index replica folder; empty: ``<home>/.dossier/index``."""
    node: str = Field("", max_length=200)
    """This node's name in ``index_nodes``; empty: derived from the host name and the index folder."""
    log_retention_hours: float = Field(72.0, gt=0)

    def limits(self) -> Limits:
        return Limits(
            max_pages=self.max_pages,
            max_text_chars=self.max_text_chars,
            ocr_timeout_s=self.ocr_timeout_seconds,
        )


def search_settings(config: Config) -> SearchSettings:
    return config.section("search", SearchSettings)


@dataclass(frozen=True)
class ReplicaIdentity:
    """This node's index replica: its name in ``index_nodes`` and the folder it lives in."""

    node: str
    index_path: Path


def replica_identity(home: Path, settings: SearchSettings, hostname: str) -> ReplicaIdentity:
    """Resolved once by a face (CLI, service) and passed down: [search].index_path (default
    ``<home>/.dossier/index``) and [search].node (default: ``hostname`` and a digest of the folder, so two
    replicas on one host have two names and one replica keeps its name across restarts)."""
    path = Path(settings.index_path).expanduser() if settings.index_path else index_root(home)
    path = path if path.is_absolute() else (home / path)
    node = settings.node or default_node(hostname, path)
    return ReplicaIdentity(node, path.resolve())


def default_node(hostname: str, index_path: Path) -> str:
    digest = hashlib.sha256(str(index_path.resolve()).encode("utf-8")).hexdigest()[:8]
    return f"{hostname[:150]}-{digest}"


def index_root(home: Path) -> Path:
    """``<home>/.dossier/index``: one folder per engine, plus the small state files beside them."""
    return home / STATE / INDEX_FOLDER


def index_dir(home: Path, engine: str) -> Path:
    return index_root(home) / engine


def text_dir(home: Path) -> Path:
    return home / STATE / TEXT_FOLDER
