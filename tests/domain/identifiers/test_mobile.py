from __future__ import annotations

import pytest
from kit import config_with

from dossier.config import load_config
from dossier.domain.identifiers.mobile import parse_mobile
from dossier.errors import ConfigError, InvalidIdentifier


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        " 138 0013 8000 ",
        "138-0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "0086-138-0013-8000",
        "(+86) 13800138000",
        "（＋８６）１３８００１３８０００",
    ],
)
def test_accepted_forms(text: str) -> None:
    assert parse_mobile(text, config=load_config()) == "13800138000"


@pytest.mark.parametrize(
    "text", ["12800138000", "1380013800", "138001380001", "1380013800A", "+8512800138000"]
)
def test_rejected_by_default_pattern(text: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"does not match the pattern .*手机号码格式错误"):
        parse_mobile(text, config=load_config())


def test_country_code_is_removed_only_once() -> None:
    with pytest.raises(InvalidIdentifier):
        parse_mobile("(+86)+8613800138000", config=load_config())


def test_pattern_comes_from_config() -> None:
    config = config_with("identifiers", mobile=r"^1\d{10}$")
    assert parse_mobile("12800138000", config) == "12800138000"
    with pytest.raises(InvalidIdentifier, match=r"\^1\\d\{10\}\$"):
        parse_mobile("1280013800", config)


def test_broken_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"identifiers.mobile"):
        parse_mobile("13800138000", config_with("identifiers", mobile="^1[3-9"))
