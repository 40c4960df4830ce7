"""Archive categories in volume order, read from the configuration's [archive] table."""

from __future__ import annotations

from pydantic import BaseModel, Field

from dossier.config import Config
from dossier.errors import DossierError


class Category(BaseModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    number: int = Field(ge=0, le=99)
    label: str = Field(min_length=1, pattern=r"^[^/\\\x00-\x1f]+$")

    @property
    def folder(self) -> str:
        return f"{self.number:02d}-{self.label}"


class _Archive(BaseModel):
    categories: list[Category]


def categories(config: Config) -> list[Category]:
    section = config.section("archive", _Archive)
    return sorted(section.categories, key=lambda c: c.number)


def get_category(key_or_label: str, config: Config) -> Category:
    wanted = key_or_label.strip()
    for cat in categories(config):
        if wanted in (cat.key, cat.label, cat.folder, str(cat.number)):
            return cat
    known = ", ".join(f"{c.key}/{c.label}" for c in categories(config))
    raise DossierError(f"unknown archive category {key_or_label!r} (未知档案类别); known: {known}")
