"""Configurations for tests: the defaults with one table changed, or a bank's TOML file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from dossier.config import Config, load_config


def config_with(section: str, **changes: Any) -> Config:
    """``config_with("penalty", overdue_markup="0.3")`` → the defaults with that table changed."""
    # Deep copy: load_config() is cached for the whole process and must not change.
    data = copy.deepcopy(dict(load_config().data))
    data[section] = {**data[section], **changes}
    return Config(data=data, sources=("defaults", f"test override of [{section}]"))


def config_from_toml(folder: Path, toml: str) -> Config:
    """The configuration a bank would get from a dossier.toml holding ``toml``, written in ``folder``."""
    path = folder / "bank.toml"
    path.write_text(toml, encoding="utf-8")
    return load_config(path)
