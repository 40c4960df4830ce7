"""[custody] is checked when read: a default period longer than the longest, or a department key the
catalog column cannot hold, is refused naming the section."""

from __future__ import annotations

import pytest
from kit.config import config_with

from dossier.config import ConfigError
from dossier.custody.settings import custody_settings


def test_shipped_defaults() -> None:
    settings = custody_settings(config_with("custody"))
    assert (settings.loan_default_days, settings.loan_max_days) == (7, 30)
    assert settings.departments["asset-preservation"].label == "资产保全部"


def test_default_longer_than_the_longest_is_refused() -> None:
    with pytest.raises(ConfigError, match="custody"):
        custody_settings(config_with("custody", loan_default_days=40))


def test_a_department_key_too_long_for_the_catalog_is_refused() -> None:
    with pytest.raises(ConfigError, match="custody"):
        custody_settings(config_with("custody", departments={"x" * 41: {"label": "某部"}}))
