"""Settings and rule tables.

Every rule a bank sets for itself, and every figure domain.md marks [verify], lives in
``defaults/dossier.toml`` shipped with the package. A bank overrides any part of it with its own TOML
file (``--config FILE`` or ``DOSSIER_CONFIG``); the two are deep-merged, the bank's file winning.

Each consumer parses its own section into a typed model (``config.section("classification")``), so a
rule table has one home (the TOML) and one reader (the module that applies it).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from dossier.errors import ConfigError

ENV_CONFIG = "DOSSIER_CONFIG"

M = TypeVar("M", bound=BaseModel)


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found (配置文件不存在): {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML (配置文件格式错误): {exc}") from exc


def _defaults() -> dict[str, Any]:
    text = resources.files("dossier").joinpath("defaults/dossier.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Config:
    """The merged settings; immutable once loaded."""

    data: Mapping[str, Any]
    sources: tuple[str, ...] = field(default=("defaults",))
    # Parsed sections, per (name, model): a Config never changes once built, so each section is validated
    # once per Config instead of on every rule call. Not part of equality or the repr.
    _sections: dict[tuple[str, type[BaseModel]], BaseModel] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def raw(self, name: str) -> Mapping[str, Any]:
        try:
            value = self.data[name]
        except KeyError as exc:
            raise ConfigError(f"configuration has no section [{name}] (配置缺少该节)") from exc
        if not isinstance(value, Mapping):
            raise ConfigError(f"configuration [{name}] must be a table (配置节必须是表)")
        return value

    def section(self, name: str, model: type[M]) -> M:
        """Parse section ``name`` into ``model``, once per Config; a bad override names the section and the
        field."""
        cached = self._sections.get((name, model))
        if cached is not None:
            return cached  # type: ignore[return-value]  # stored under its own model
        try:
            parsed = model.model_validate(self.raw(name))
        except ValidationError as exc:
            problems = "; ".join(
                f"{name}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid configuration (配置错误): {problems}") from exc
        self._sections[(name, model)] = parsed
        return parsed


SESSION_CONFIG = "dossier.config"
"""The key of ``Session.info`` under which every catalog session of an Archive carries its Config."""


class _HasInfo(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


def session_config(session: _HasInfo) -> Config:
    """The Config of the archive a catalog session belongs to (the Archive binds it to every session)."""
    config = session.info.get(SESSION_CONFIG)
    if not isinstance(config, Config):
        raise TypeError("this session was not opened by an Archive, so it carries no configuration")
    return config


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """The shipped defaults merged with the bank's file ``path``; with no path, the shipped defaults.

    The faces (the CLI, the service) call this once, with ``--config`` or ``$DOSSIER_CONFIG``, and pass
    the Config down; nothing below them reads the environment. Cached per file and modification time, so
    a face that resolves again (a worker process, a test) gets the same Config and its parsed sections.
    """
    if path is None:
        return _cached(None, 0)
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"configuration file not found (配置文件不存在): {path}") from exc
    return _cached(str(path), mtime)


def config_path_from_environment() -> str | None:
    """The bank's file named by ``$DOSSIER_CONFIG``, for the faces only (the CLI and `dossier serve`)."""
    return os.environ.get(ENV_CONFIG) or None


@lru_cache(maxsize=8)
def _cached(path: str | None, mtime_ns: int) -> Config:
    if path is None:
        return Config(data=_defaults())
    return Config(data=_deep_merge(_defaults(), _read_toml(Path(path))), sources=("defaults", path))
