"""Fixtures for the finance tests: configurations that differ from the defaults in one table."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from dossier.config import Config, default_config


def _with_table(section: str, **changes: Any) -> Config:
    # Deep copy: default_config() is cached for the whole process and must not change.
    data = copy.deepcopy(dict(default_config().data))
    data[section] = {**data[section], **changes}
    return Config(data=data, sources=("defaults", f"test override of [{section}]"))


@pytest.fixture
def config_with() -> Callable[..., Config]:
    """``config_with("penalty", overdue_markup="0.3")`` → the defaults with that table changed."""
    return _with_table
