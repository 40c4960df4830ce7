"""How the watcher decides: document type (folder, file name, keyword rules) and borrower (folder,
identifiers in the name, identifiers in the text), against a real catalog and the shipped rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kit.inbox_samples import COMPANY, CONTRACT, PERSON, RECEIPT, SPOUSE, STRANGER, Home, make_home

from dossier.config import load_config
from dossier.errors import ConfigError
from dossier.inbox.classify import OTHER, classify, load_rules
from dossier.inbox.journal import decode_path, encode_path, printable_name
from dossier.inbox.match import NO_BORROWER, TWO_BORROWERS, find_identifiers, match
from dossier.inbox.settings import inbox_settings

LICENSE_TEXT = (
    "营 业 执 照\n统一社会信用代码 {code}\n法定代表人 张三\n经营范围 贸易\n注册资本 伍佰万元\n成立日期 2015年"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return make_home(tmp_path_factory.mktemp("rules"))


def _match(home: Home, folders: list[str], name: str, text: str = ""):  # type: ignore[no-untyped-def]
    with home.archive() as archive:
        return archive.transaction(
            lambda s: match(s, folders, name, text, config=archive.config), write=False
        )


# --------------------------------------------------------------------------- type and category


def test_a_folder_named_by_a_type_decides_the_type_and_its_category() -> None:
    rules = load_rules(config=load_config())
    for folder in ("营业执照", "business-license", "执照"):
        found = classify([folder], "scan0001.jpg", "", rules)
        assert (found.doc_type, found.category) == ("business-license", "basic"), folder
        assert found.rule.startswith(f"folder:{folder}")


def test_a_category_folder_limits_the_type_to_that_category_and_else_files_as_other() -> None:
    rules = load_rules(config=load_config())
    statement = classify(["财务资料"], "流水202601.pdf", "", rules)
    assert (statement.doc_type, statement.category) == ("bank-statement", "financial")
    # 营业执照 is a basic document: in a financial folder its words do not count, the folder does.
    license_in_finance = classify(["02-财务资料"], "x.pdf", LICENSE_TEXT.format(code=COMPANY), rules)
    assert (license_in_finance.doc_type, license_in_finance.category) == (OTHER, "financial")
    assert license_in_finance.rule == "folder-category:02-财务资料"


def test_file_name_words_decide_the_longest_word_wins_and_a_tie_decides_nothing() -> None:
    rules = load_rules(config=load_config())
    assert classify([], "张三身份证正反面.jpg", "", rules).doc_type == "id-card"
    assert classify([], "企业征信报告2026.pdf", "", rules).doc_type == "credit-report-enterprise"
    assert classify([], "个人征信报告.pdf", "", rules).doc_type == "credit-report-personal"
    # "结婚证" and "户口簿" are two types named equally long: the name decides nothing.
    assert classify([], "户口簿和结婚证.pdf", "", rules).doc_type is None


def test_keyword_rules_over_the_text_decide_and_say_which_rule_did() -> None:
    rules = load_rules(config=load_config())
    found = classify([], "scan.pdf", LICENSE_TEXT.format(code=COMPANY), rules)
    assert (found.doc_type, found.category) == ("business-license", "basic")
    assert found.rule.startswith("text:business-license")
    receipt = "借款借据\n借据编号 X\n借款合同编号 Y\n贷款账号 1\n借款金额（大写）\n发放日 到期日 利率"
    assert classify([], "doc.pdf", receipt, rules).doc_type == "loan-receipt"


def test_too_few_keywords_or_none_leave_the_type_unknown_with_the_reason() -> None:
    rules = load_rules(config=load_config())
    weak = classify([], "doc.pdf", "经营范围 贸易", rules)
    assert weak.doc_type is None and "points" in weak.rule and "文字特征不足" in weak.rule
    nothing = classify([], "doc.pdf", "今天天气晴朗", rules)
    assert nothing.doc_type is None and "无法识别文档类型" in nothing.rule


def test_a_banks_own_rules_file_replaces_the_shipped_rules(tmp_path: Path) -> None:
    own = tmp_path / "rules.yaml"
    own.write_text("types:\n  - {type: income-proof, names: [工资单], keywords: [实发工资], min_score: 1}\n")
    config = tmp_path / "bank.toml"
    config.write_text(f'[inbox]\nrules = "{own}"\n', encoding="utf-8")
    rules = load_rules(load_config(config))
    assert classify([], "三月工资单.pdf", "", rules).doc_type == "income-proof"
    assert classify([], "doc.pdf", "实发工资 5000", rules).doc_type == "income-proof"
    assert classify([], "张三身份证.jpg", "", rules).doc_type != "id-card"  # the shipped rules are gone

    own.write_text("types:\n  - {type: no-such-type, names: [x]}\n")
    config.write_text(f'[inbox]\nrules = "{own}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="未知文档类型"):
        load_rules(load_config(config))


# --------------------------------------------------------------------------- borrower


def test_the_folder_decides_the_borrower_before_anything_in_the_file(home: Home) -> None:
    found = _match(home, [PERSON, "身份证"], f"{SPOUSE}.pdf", f"公民身份号码 {SPOUSE}")
    assert found.borrower_key == PERSON and found.rule == f"folder:{PERSON}"
    assert found.rest == ("身份证",)
    named = _match(home, [f"{COMPANY}-厦门海沧示例贸易有限公司"], "x.pdf")
    assert named.borrower_key == COMPANY


def test_a_folder_naming_an_unregistered_borrower_is_no_borrower(home: Home) -> None:
    found = _match(home, [STRANGER], "x.pdf", LICENSE_TEXT.format(code=COMPANY))
    assert found.borrower_key is None and found.problem == NO_BORROWER
    assert found.candidates == (STRANGER,) and "未登记" in found.rule


def test_identifiers_in_the_name_come_before_the_text(home: Home) -> None:
    found = _match(home, [], f"身份证{PERSON}.pdf", f"公民身份号码 {SPOUSE}")
    assert found.borrower_key == PERSON and found.rule == f"name:resident-id {PERSON}"
    by_text = _match(home, ["scanner-2"], "scan.pdf", LICENSE_TEXT.format(code=COMPANY))
    assert by_text.borrower_key == COMPANY and by_text.rule == f"text:credit-code {COMPANY}"
    assert by_text.rest == ("scanner-2",)


def test_identifiers_failing_their_check_characters_are_not_evidence(home: Home) -> None:
    wrong_id = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    wrong_code = COMPANY[:-1] + ("0" if COMPANY[-1] != "0" else "1")
    found = _match(home, [], "scan.pdf", f"公民身份号码 {wrong_id}\n统一社会信用代码 {wrong_code}")
    assert found.borrower_key is None and found.problem == NO_BORROWER
    kinds = {f.kind for f in find_identifiers(f"{wrong_id} {wrong_code} {PERSON}", config=load_config())}
    assert "credit-code" not in kinds
    assert [
        f.value
        for f in find_identifiers(f"{wrong_id} {PERSON}", config=load_config())
        if f.kind == "resident-id"
    ] == [PERSON]


def test_names_alone_never_decide(home: Home) -> None:
    found = _match(home, [], "张三的材料.pdf", "借款人 张三 厦门海沧示例贸易有限公司")
    assert found.borrower_key is None and found.problem == NO_BORROWER


def test_two_registered_borrowers_in_the_text_is_a_conflict(home: Home) -> None:
    found = _match(home, [], "合同.pdf", f"借款人 {PERSON} 保证人 {SPOUSE}")
    assert found.borrower_key is None and found.problem == TWO_BORROWERS
    assert set(found.candidates) == {PERSON, SPOUSE}
    # An ID nobody registered (a witness, say) is no conflict.
    assert _match(home, [], "合同.pdf", f"借款人 {PERSON} 见证人 {STRANGER}").borrower_key == PERSON


def test_contract_and_receipt_numbers_name_the_borrower_and_tie_the_loan(home: Home) -> None:
    by_contract = _match(home, [], "x.pdf", f"借款合同编号：{CONTRACT}")
    assert (by_contract.borrower_key, by_contract.contract_number) == (COMPANY, CONTRACT)
    by_receipt = _match(home, [], f"借据{RECEIPT}.pdf")
    assert (by_receipt.borrower_key, by_receipt.contract_number) == (COMPANY, CONTRACT)
    assert by_receipt.rule == f"name:receipt {RECEIPT}"
    # Full-width characters, as scans and Chinese input methods produce, are folded first.
    wide = CONTRACT.translate({ord(c): ord(c) + 0xFEE0 for c in CONTRACT if c != " "})
    assert _match(home, [], "x.pdf", f"合同编号{wide}").borrower_key == COMPANY
    # The folder's borrower keeps the loan link when the text names its contract.
    assert _match(home, [COMPANY], "x.pdf", f"合同 {CONTRACT}").contract_number == CONTRACT


def test_identifiers_are_found_once_each_in_order() -> None:
    found = find_identifiers(f"{COMPANY} 与 {PERSON}，再次 {COMPANY}，合同 {CONTRACT}", config=load_config())
    kinds = [(f.kind, f.value) for f in found]
    assert kinds[:2] == [("credit-code", COMPANY), ("resident-id", PERSON)]
    assert ("contract", CONTRACT) in kinds
    assert len(kinds) == len(set(kinds))


# --------------------------------------------------------------------------- names as data


def test_names_are_data_printable_and_paths_round_trip() -> None:
    assert printable_name("..\\..\\x.pdf") == "_.._x.pdf"
    assert printable_name("a\x07b\nc\x1b[31m.pdf") == "a_b_c_[31m.pdf"
    assert printable_name("\u202eevil\u200b.pdf") == "_evil_.pdf"
    long = printable_name("长" * 300 + ".pdf")
    assert long.endswith(".pdf") and len(long.encode()) <= 255 and len(long) <= 200
    raw = os.fsdecode(b"bad-\xff\xfe-name.pdf")
    assert "\ufffd" in printable_name(raw)
    for path in ("a/b.pdf", "营业执照/x.pdf", raw, f"sub/{raw}"):
        stored = encode_path(path)
        stored.encode("utf-8")  # storable as text
        assert decode_path(stored) == path


def test_temporary_and_system_files_are_ignored() -> None:
    settings = inbox_settings(config=load_config())
    for name in (
        "~$合同.docx",
        "scan.pdf.part",
        "a.crdownload",
        "x.tmp",
        "._x.pdf",
        ".DS_Store",
        "THUMBS.DB",
    ):
        assert settings.ignored(name), name
    for name in ("合同.docx", "scan.pdf", "part.pdf", "tmp.pdf"):
        assert not settings.ignored(name), name
