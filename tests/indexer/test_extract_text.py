"""Plain-text extraction: encodings, line ends, size caps; and the sniffer that decides a file is text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.extract import Limits, extract
from indexer.extract.text import detect_encoding

SAMPLE = (
    "授信调查报告\n借款人：浙江某某机械制造有限公司，统一社会信用代码 91330100MA2XXXXX0Y。\n"
    "金额 人民币 5,000,000.00 元"
)


@pytest.mark.parametrize(
    ("encoded", "codec"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16"),
        (SAMPLE.encode("utf-32"), "utf-32"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-32", "gb18030", "gbk"],
)
def test_each_encoding_decodes_to_the_same_text(encoded: bytes, codec: str) -> None:
    result = extract(encoded, name="报告.txt")
    assert result.status == "ok", result.error
    assert result.media_type == "text/plain"
    assert result.text == SAMPLE
    assert result.metadata == {"encoding": codec}


def test_line_ends_and_control_characters_are_normalized() -> None:
    result = extract("甲\r\n乙\r丙\n丁\x07戊\t己\f庚".encode())
    assert result.text == "甲\n乙\n丙\n丁戊\t己\f庚"


def test_a_long_file_is_cut_at_the_byte_limit_without_splitting_a_character(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_bytes(("中" * 1000).encode())  # 3 bytes a character
    result = extract(path, limits=Limits(max_text_file_bytes=1000))
    assert result.status == "partial"
    assert result.flags == ["truncated"]
    assert result.text == "中" * 333
    assert "文本文件过长" in result.error


def test_bytes_invalid_deep_in_a_file_become_replacement_characters(tmp_path: Path) -> None:
    # Valid UTF-8 where the sniffer looks; an invalid byte far beyond it.
    data = ("中文" * 20_000).encode() + b"\xff\xfe\xfd" + "结尾".encode()
    result = extract(data)
    assert result.media_type == "text/plain"
    assert result.status == "ok"
    assert result.flags == ["decode-errors"]
    assert result.text.endswith("\ufffd结尾")


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = extract(path)
    assert result.status == "error"
    assert "文件为空" in result.error


def test_binary_data_is_not_text() -> None:
    result = extract(bytes(range(256)) * 8)
    assert result.status == "error"
    assert result.media_type == "application/octet-stream"
    assert "无法识别" in result.error


def test_a_missing_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    result = extract(tmp_path / "nowhere.txt")
    assert result.status == "error"
    assert "不是文件" in result.error
    assert extract(tmp_path).status == "error"  # a directory


def test_a_file_over_the_size_limit_is_refused() -> None:
    result = extract(b"x" * 2000, limits=Limits(max_file_bytes=1000))
    assert result.status == "error"
    assert "文件过大" in result.error


def test_a_sample_cut_inside_a_character_is_still_text() -> None:
    data = "中文".encode()
    assert detect_encoding(data[:-1], complete=False) == "utf-8"
    assert detect_encoding(data[:-1], complete=True) != "utf-8"


def test_mostly_control_characters_are_not_text() -> None:
    assert detect_encoding(bytes(range(1, 32)) * 10, complete=True) is None
    assert detect_encoding(b"plain ascii\n", complete=True) == "utf-8"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300))
def test_any_printable_utf8_text_comes_back_unchanged(text: str) -> None:
    result = extract(text.encode("utf-8"), name="notes.txt")
    assert result.status == "ok", result.error
    assert result.text == text.removeprefix("\ufeff")
