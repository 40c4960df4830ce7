"""Fixtures for the finance tests: configurations that differ from the defaults in one table."""

from __future__ import annotations

from collections.abc import Callable

import kit
import pytest

from dossier.config import Config


@pytest.fixture
def config_with() -> Callable[..., Config]:
    """``config_with("penalty", overdue_markup="0.3")`` → the defaults with that table changed."""
    return kit.config_with
