"""The document types the archive knows, from ``defaults/document_types.yaml`` (or the bank's copy).

A bank's copy is named by ``[archive].document_types`` in its configuration and replaces the list.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, TypeAdapter

from dossier.config import Config
from dossier.errors import ConfigError, DossierError


class DocumentType(BaseModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    label: str = Field(min_length=1)
    category: str
    retention: str = "loan-file"


_LIST = TypeAdapter(list[DocumentType])


@cache
def _load(path: str | None) -> tuple[DocumentType, ...]:
    # Cached per file: the list is read on every filing and never changes while the process runs.
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("dossier").joinpath("defaults/document_types.yaml").read_text(encoding="utf-8")
    try:
        types = _LIST.validate_python(yaml.safe_load(text))
    except Exception as exc:
        raise ConfigError(
            f"document types list is invalid (文档类型配置错误): {path or 'defaults'}: {exc}"
        ) from exc
    keys = [t.key for t in types]
    if len(keys) != len(set(keys)):
        raise ConfigError("document types list repeats a key (文档类型重复)")
    return tuple(types)


def document_types(config: Config) -> tuple[DocumentType, ...]:
    archive = config.raw("archive")
    return _load(archive.get("document_types") or None)


def get_document_type(key_or_label: str, config: Config) -> DocumentType:
    wanted = key_or_label.strip()
    for doc_type in document_types(config):
        if wanted in (doc_type.key, doc_type.label):
            return doc_type
    raise DossierError(
        f"unknown document type {key_or_label!r} (未知文档类型); see `dossier types` for the list"
    )
