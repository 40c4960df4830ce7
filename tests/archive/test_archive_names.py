"""names.py: validated names become folder and file names; paths are checked before every write."""

from __future__ import annotations

import pytest

from dossier.archive.names import (
    InvalidName,
    borrower_folder_name,
    check_file_name,
    check_name,
    document_file_name,
    ensure_inside,
    split_suffix,
)
from dossier.errors import DossierError

WHAT = ("title", "标题")


@pytest.mark.parametrize(
    "good", ["借款合同", "Loan agreement (signed)", "厦门某某有限公司", "纳税申报表2025", "a.b.c", "１２３"]
)
def test_ordinary_names_pass_normalized(good):
    assert check_name(f"  {good} ", WHAT) == good.strip()


def test_nfc_normalization_makes_equal_names_equal():
    assert check_name("e\u0301", WHAT) == "\u00e9"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("../x", "not paths"),
        ("/abs", "not paths"),
        ("a\\b", "not paths"),
        ("..", "dot"),
        (".env", "dot"),
        ("a\x00b", "NUL"),
        ("a\tb", r"U\+0009"),
        ("a\u200bb", r"U\+200B"),
        ("a\u2028b", r"U\+2028"),
        ("x" * 201, "201 characters"),
        ("", "empty"),
    ],
)
def test_bad_names_are_refused_with_the_reason(bad, reason):
    with pytest.raises(InvalidName, match=reason):
        check_name(bad, WHAT)


def test_file_names_are_also_limited_in_bytes():
    check_file_name("文" * 85, WHAT)  # 255 bytes
    with pytest.raises(InvalidName, match="bytes"):
        check_file_name("文" * 86, WHAT)


def test_folder_and_file_names_are_portable_and_short():
    assert borrower_folder_name("110105198001010016", "李四") == "110105198001010016-李四"
    assert borrower_folder_name("K", 'a:b*c?"d"<e>|f') == "K-a_b_c__d__e__f"
    assert len(borrower_folder_name("K", "名" * 200).encode()) <= 150
    assert document_file_name("合同", ".pdf") == "合同.pdf"
    assert document_file_name("合同", ".pdf", 3) == "合同-v3.pdf"
    assert document_file_name("合同", ".pdf", 2, 1) == "合同-v2~1.pdf"
    assert len(document_file_name("长" * 200, ".docx", 12).encode()) <= 255


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("a.pdf", ("a", ".pdf")),
        ("a.PDF", ("a", ".pdf")),
        ("a", ("a", "")),
        ("a.tar.gz", ("a.tar", ".gz")),
        ("报告.第一版", ("报告.第一版", "")),
        ("a. b", ("a. b", "")),
    ],
)
def test_split_suffix_keeps_only_real_suffixes(name, split):
    assert split_suffix(name) == split


def test_ensure_inside_refuses_escapes_and_links(tmp_path):
    home = tmp_path / "home"
    (home / "a").mkdir(parents=True)
    assert ensure_inside(home, home / "a" / "b.pdf") == home.resolve() / "a" / "b.pdf"
    with pytest.raises(DossierError, match="outside"):
        ensure_inside(home, tmp_path / "elsewhere")
    with pytest.raises(DossierError, match="leaves"):
        ensure_inside(home, home / "a" / ".." / ".." / "x")
    (home / "link").symlink_to(home / "a", target_is_directory=True)
    with pytest.raises(DossierError, match="symbolic link"):
        ensure_inside(home, home / "link" / "b.pdf")
