from __future__ import annotations

from typing import Any

import pytest

from dossier.config import Config, default_config
from dossier.domain.identifiers.contract_number import number_pattern, parse_contract_number
from dossier.errors import ConfigError, InvalidIdentifier


def _config_with(**identifiers: Any) -> Config:
    base = default_config()
    data = dict(base.data)
    data["identifiers"] = {**base.raw("identifiers"), **identifiers}
    return Config(data=data, sources=("defaults", "test"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JK2024-000123", "JK2024-000123"),
        (" jk-2024-abc ", "JK-2024-ABC"),
        ("ＪＫ２０２４－０００１２３", "JK2024-000123"),
        ("NH3401_2024_00017-1", "NH3401_2024_00017-1"),
    ],
)
def test_default_pattern_accepts_and_normalizes(text: str, expected: str) -> None:
    assert parse_contract_number(text) == expected
    assert parse_contract_number(text, kind="receipt") == expected


@pytest.mark.parametrize("text", ["", "J2024-001", "JK2024", "借字2024第001号", "JK2024-001 X"])
def test_default_pattern_rejects(text: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"contract number .*does not match the pattern.*合同编号"):
        parse_contract_number(text)


def test_receipt_error_names_the_receipt_number() -> None:
    with pytest.raises(InvalidIdentifier, match=r"loan receipt number .*借据编号"):
        parse_contract_number("x", kind="receipt")


def test_contract_pattern_override_through_config() -> None:
    config = _config_with(contract_number=r"^(?:借字|担字)\d{4}第\d{3,6}号$")
    assert parse_contract_number(" 借字2024第001号 ", config=config) == "借字2024第001号"
    with pytest.raises(InvalidIdentifier, match=r"借字\|担字"):
        parse_contract_number("JK2024-000123", config=config)
    # The receipt pattern is separate and still the default.
    assert parse_contract_number("JK2024-000123", kind="receipt", config=config) == "JK2024-000123"


def test_receipt_pattern_override_through_config() -> None:
    config = _config_with(receipt_number=r"^JJ\d{10}$")
    assert parse_contract_number("jj2024000001", kind="receipt", config=config) == "JJ2024000001"
    with pytest.raises(InvalidIdentifier):
        parse_contract_number("JK2024-000123", kind="receipt", config=config)
    assert number_pattern("receipt", config) == r"^JJ\d{10}$"


def test_pattern_must_match_the_whole_text() -> None:
    config = _config_with(contract_number=r"JK\d{4}")
    assert parse_contract_number("JK2024", config=config) == "JK2024"
    with pytest.raises(InvalidIdentifier):
        parse_contract_number("XJK2024-1", config=config)


def test_broken_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"identifiers.contract_number"):
        parse_contract_number("JK2024-000123", config=_config_with(contract_number="(unclosed"))


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match=r"kind must be"):
        parse_contract_number("JK2024-000123", kind="loan")  # type: ignore[arg-type]
