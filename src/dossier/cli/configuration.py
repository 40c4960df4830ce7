"""The configuration of one `dossier` invocation: resolved once, from ``--config`` or ``$DOSSIER_CONFIG``,
by the root callback, and handed to every command through typer's context (``ctx.obj``).

It is loaded on first use, not at start, so that `dossier --version` and `dossier calc --help` do not load
pydantic; a ``--config`` given explicitly is loaded at once, so a missing or broken file fails first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

try:  # typer ≥ 0.22 carries its own copy of click, with its own stack of contexts
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer runs on click itself
    from click import get_current_context  # type: ignore[no-redef]

if TYPE_CHECKING:
    from dossier.config import Config


class ConfigSource:
    """The bank's file (or none: the shipped defaults), and the Config once loaded."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._config: Config | None = None

    def get(self) -> Config:
        if self._config is None:
            from dossier.config import load_config

            self._config = load_config(self.path)
        return self._config


def cli_config() -> Config:
    """The Config of the running command, as the root callback resolved it."""
    return _source().get()


def cli_config_path() -> Path | None:
    """The bank's file the running command was given (``--config`` or ``$DOSSIER_CONFIG``), if any."""
    return _source().path


def _source() -> ConfigSource:
    ctx = get_current_context(silent=True)
    source = ctx.find_object(ConfigSource) if ctx is not None else None
    if source is None:
        # A command function called outside the `dossier` app (no root callback ran): resolve the same way.
        from dossier.config import config_path_from_environment

        env_path = config_path_from_environment()
        source = ConfigSource(Path(env_path) if env_path else None)
        if ctx is not None:
            ctx.obj = source
    return source
