from __future__ import annotations

import pytest
from kit import config_with

from dossier.config import load_config
from dossier.domain.identifiers.contract_number import number_pattern, parse_contract_number, setting_name
from dossier.errors import ConfigError, InvalidIdentifier


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JK2024-000123", "JK2024-000123"),
        (" jk-2024-abc ", "JK-2024-ABC"),
        ("ＪＫ２０２４－０００１２３", "JK2024-000123"),
        ("NH3401_2024_00017-1", "NH3401_2024_00017-1"),
        # Issue 14: the common shapes of Chinese contract numbers.
        ("(2026)思明借字第0318号", "(2026)思明借字第0318号"),
        ("（2026）思明借字第0318号", "(2026)思明借字第0318号"),
        ("〔2026〕思明借字第0318号", "〔2026〕思明借字第0318号"),
        ("【2026】厦农商保字第12号", "【2026】厦农商保字第12号"),
        ("[2026]借1号", "[2026]借1号"),
        ("2026年厦农商借字第00318号", "2026年厦农商借字第00318号"),
        ("厦农商(2026)借字0318号", "厦农商(2026)借字0318号"),
        ("闽农信借字（2026）第318号", "闽农信借字(2026)第318号"),
        ("二〇二六年借字第1号", "二〇二六年借字第1号"),
        ("借字2024第001号", "借字2024第001号"),
        ("HZ-L01", "HZ-L01"),
        ("hz-l01", "HZ-L01"),
        ("JK2026-000318", "JK2026-000318"),
        ("JJ2026-000318-01", "JJ2026-000318-01"),
        ("2026031800012345", "2026031800012345"),
        ("JK2024", "JK2024"),
        ("JK2024--001", "JK2024--001"),  # the old shipped pattern took it; numbers on file stay valid
        ("A" * 49 + "1", "A" * 49 + "1"),
    ],
)
def test_default_pattern_accepts_and_normalizes(text: str, expected: str) -> None:
    assert parse_contract_number(text, config=load_config()) == expected
    assert parse_contract_number(text, kind="receipt", config=load_config()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "JK2024-001 X",  # whitespace inside
        "JK2024\u3000001",  # ideographic space inside
        "JK\t2024",
        "JK2024\x00",
        "JK2024\u200b01",  # zero-width space
        "---",
        "-_-",
        "()",
        "(2026",  # unbalanced
        "2026)",
        "(2026〕借1号",  # mismatched pair
        "((2026))借1号",
        "-JK2026",
        "JK2026-",
        "JK2026/0318",
        "JK2026.0318",
        "JK#2026",
        "1",
        "借款合同",  # no digit
        "ABCDEF",
        "借据JJ2026",  # starts with a Chinese character, does not end with 号
        "JK2026借",
        "A" * 50 + "1",  # 51 characters
        "(2026)思明借字第" + "0" * 50 + "号",
    ],
)
def test_default_pattern_rejects(text: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"contract number .*does not match the pattern.*合同编号"):
        parse_contract_number(text, config=load_config())
    with pytest.raises(InvalidIdentifier, match=r"loan receipt number .*借据编号"):
        parse_contract_number(text, kind="receipt", config=load_config())


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_empty_numbers_are_named_empty(text: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"contract number is empty \(合同编号为空\)"):
        parse_contract_number(text, config=load_config())


def test_rejection_names_the_setting_that_changes_the_pattern() -> None:
    with pytest.raises(InvalidIdentifier) as contract:
        parse_contract_number("JK 2026", config=load_config())
    message = str(contract.value)
    assert "identifiers.contract_number" in message and "合同编号" in message
    # The shipped pattern is long; the clerk sees the key, not several hundred characters of regex.
    assert number_pattern("contract", config=load_config()) not in message
    with pytest.raises(
        InvalidIdentifier,
        match=r"identifiers\.receipt_number.*借据编号|借据编号.*identifiers\.receipt_number",
    ):
        parse_contract_number("JK 2026", kind="receipt", config=load_config())
    assert setting_name("contract") == "identifiers.contract_number"
    assert setting_name("receipt") == "identifiers.receipt_number"


def test_the_shipped_key_is_the_key_in_the_toml() -> None:
    # The name in the message is the key a bank writes: [identifiers] contract_number = '…'.
    assert load_config().raw("identifiers")["contract_number"] == number_pattern(
        "contract", config=load_config()
    )
    assert load_config().raw("identifiers")["receipt_number"] == number_pattern(
        "receipt", config=load_config()
    )


def test_receipt_error_names_the_receipt_number() -> None:
    with pytest.raises(InvalidIdentifier, match=r"loan receipt number .*借据编号"):
        parse_contract_number("x", kind="receipt", config=load_config())


def test_numbers_are_still_found_in_file_names_and_text() -> None:
    # The inbox finds numbers in free text with the same pattern: a Chinese word before or after a
    # number must not become part of it.
    from dossier.inbox.match import find_identifiers

    def contracts(text: str) -> list[str]:
        return [f.value for f in find_identifiers(text, config=load_config()) if f.kind == "contract"]

    assert contracts("借据JJ2026-000123-01.pdf") == ["JJ2026-000123-01"]
    assert contracts("借款合同编号：JK2026-000318借款人") == ["JK2026-000318"]
    assert contracts("借款合同编号：（2026）思明借字第0318号，借款人张三") == ["(2026)思明借字第0318号"]
    assert contracts("(2026)思明借字第0318号借款人张三") == ["(2026)思明借字第0318号"]


def test_contract_pattern_override_through_config() -> None:
    config = config_with("identifiers", contract_number=r"^(?:借字|担字)\d{4}第\d{3,6}号$")
    assert parse_contract_number(" 借字2024第001号 ", config=config) == "借字2024第001号"
    with pytest.raises(InvalidIdentifier, match=r"identifiers\.contract_number.*借字\|担字"):
        parse_contract_number("JK2024-000123", config=config)
    # The receipt pattern is separate and still the default.
    assert parse_contract_number("JK2024-000123", kind="receipt", config=config) == "JK2024-000123"


def test_receipt_pattern_override_through_config() -> None:
    config = config_with("identifiers", receipt_number=r"^JJ\d{10}$")
    assert parse_contract_number("jj2024000001", kind="receipt", config=config) == "JJ2024000001"
    with pytest.raises(InvalidIdentifier):
        parse_contract_number("JK2024-000123", kind="receipt", config=config)
    assert number_pattern("receipt", config) == r"^JJ\d{10}$"


def test_pattern_must_match_the_whole_text() -> None:
    config = config_with("identifiers", contract_number=r"JK\d{4}")
    assert parse_contract_number("JK2024", config=config) == "JK2024"
    with pytest.raises(InvalidIdentifier):
        parse_contract_number("XJK2024-1", config=config)


def test_broken_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"identifiers.contract_number"):
        parse_contract_number("JK2024-000123", config=config_with("identifiers", contract_number="(unclosed"))


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match=r"kind must be"):
        parse_contract_number("JK2024-000123", kind="loan", config=load_config())  # type: ignore[arg-type]
