"""Every registered kind, end to end through the command line: example → DOCX and PDF → read back (the
PDFs of all kinds in one LibreOffice batch)."""

import json
import shutil
from pathlib import Path

import pytest
from kit import all_text
from pypdf import PdfReader

from dossier.cli.app import main
from dossier.kinds.registry import all_kinds
from dossier.render.pdf import PdfConverter

KINDS = sorted(all_kinds())
EXPECTED_KINDS = {
    "investigation": "贷前调查报告",
    "credit": "授信调查审批报告",
    "loan-contract": "借款合同",
    "mortgage-contract": "抵押合同",
    "guarantee-contract": "保证合同",
    "inspection": "贷后检查报告",
    "warning-report": "风险预警报告",
    "reminder": "到期还款提示",
    "collection": "逾期贷款催收通知书",
    "collection-plan": "逾期贷款催收计划",
    "collection-report": "催收报告",
    "public-notice": "催收公告",
    "handover-list": "客户移交清单",
    "transfer-list": "资产保全移交清单",
}
"""Every kind the registry finds, by name and title: a kind module lost or added shows here."""


def test_exactly_the_twelve_kinds_are_registered():
    assert {name: kind.title for name, kind in all_kinds().items()} == EXPECTED_KINDS


def test_kinds_lists_name_title_and_category(capsys):
    assert main(["kinds", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(KINDS)
    assert all(r["title"] and r["category_label"] for r in rows)


@pytest.mark.parametrize("kind", KINDS)
def test_example_and_schema_print(kind, capsys):
    assert main(["example", kind]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["schema", kind]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object" and schema["properties"]


@pytest.mark.parametrize("kind", KINDS)
def test_generate_from_the_example(kind, tmp_path, capsys):
    source = tmp_path / f"{kind}.yaml"
    assert main(["example", kind]) == 0
    source.write_text(capsys.readouterr().out, encoding="utf-8")
    code = main(["generate", kind, str(source), "--no-file", "-o", str(tmp_path / "out"), "--json"])
    result = json.loads(capsys.readouterr().out)[0]
    assert code == 0, result
    assert result["status"] == "ok" and result["errors"] == []
    output = Path(result["outputs"][0])
    assert output.suffix == ".docx"
    text = all_text(output)
    assert "{{" not in text and "{%" not in text
    assert all_kinds()[kind].title.split("/")[0][:4] in text


def test_shipped_templates_pass_the_template_check(capsys):
    code = main(["templates", "check", "--json"])
    report = json.loads(capsys.readouterr().out)
    errors = [(r["kind"], p) for r in report for p in r["problems"] if p["severity"] == "error"]
    assert code == 0 and errors == []
    assert {r["kind"] for r in report} == set(KINDS)


def test_every_kind_converts_to_pdf_in_one_batch(tmp_path, capsys):
    # `generate` takes one kind, and `generate --pdf` starts LibreOffice once per call (about 1.5 s each,
    # with a new profile): each kind's DOCX is made through the command line, then all of them go through
    # the converter `--pdf` uses (generation.batch._convert), in one LibreOffice call. The --pdf option
    # itself is the next test's.
    assert shutil.which("soffice"), "LibreOffice must be installed (make setup installs it)"
    docx = {}
    for kind in KINDS:
        source = tmp_path / f"{kind}.yaml"
        main(["example", kind])
        source.write_text(capsys.readouterr().out, encoding="utf-8")
        code = main(["generate", kind, str(source), "--no-file", "-o", str(tmp_path / "out"), "--json"])
        result = json.loads(capsys.readouterr().out)[0]
        assert code == 0, result
        (docx[kind],) = (Path(p) for p in result["outputs"])
    with PdfConverter() as converter:
        converted = converter.convert(list(docx.values()), tmp_path / "out")
    for kind, outcome in zip(docx, converted, strict=True):
        assert outcome.pdf is not None, (kind, outcome.error)
        assert len(PdfReader(outcome.pdf).pages) >= 1
        text = all_text(outcome.pdf)
        assert all_kinds()[kind].title.split("/")[0][:4] in text.replace(" ", ""), kind


def test_generate_pdf_without_filing_writes_the_docx_and_its_pdf(tmp_path, capsys):
    main(["example", "reminder"])
    source = tmp_path / "reminder.yaml"
    source.write_text(capsys.readouterr().out, encoding="utf-8")
    code = main(
        ["generate", "reminder", str(source), "--no-file", "-o", str(tmp_path / "out"), "--pdf", "--json"]
    )
    result = json.loads(capsys.readouterr().out)[0]
    assert code == 0, result
    assert sorted(Path(p).suffix for p in result["outputs"]) == [".docx", ".pdf"]
    pdf = next(Path(p) for p in result["outputs"] if p.endswith(".pdf"))
    assert len(PdfReader(pdf).pages) >= 1
    assert "到期还款提示" in all_text(pdf).replace(" ", "")


def test_a_batch_with_one_bad_input_generates_the_rest_and_exits_2(tmp_path, capsys):
    main(["example", "reminder"])
    good = capsys.readouterr().out
    inputs = []
    for i in range(4):
        path = tmp_path / f"in{i}.yaml"
        text = good.replace("JK2025-000456", f"JK2025-00045{i}")
        if i == 2:
            text = text.replace("amount: 300000.00", "amount: -1")
        path.write_text(text, encoding="utf-8")
        inputs.append(str(path))
    out = tmp_path / "out"
    code = main(["generate", "reminder", *inputs, "--no-file", "-o", str(out), "-j", "2", "--json"])
    results = json.loads(capsys.readouterr().out)
    assert code == 2
    assert [r["status"] for r in results] == ["ok", "ok", "invalid", "ok"]
    bad = results[2]["errors"]
    assert bad[0]["path"] == "loan.amount" and bad[0]["label"] == "贷款金额"
    assert len(list(out.glob("*.docx"))) == 3
    assert not list(out.glob(".tmp-*")) and not list(out.glob("*JK2025-000452*"))


def test_invalid_input_lists_every_problem_with_path_and_label(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "doc_no: X\nlender: {name: 某银行}\nborrower: {name: 张三, id_number: '110105194912310021'}\n",
        encoding="utf-8",
    )
    code = main(["generate", "reminder", str(path), "--no-file", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "borrower.id_number (身份证号)" in err
    assert "loan (贷款信息)" in err and "balance (贷款余额)" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_every_kind_files_into_one_archive_and_the_audit_verifies(tmp_path, capsys):
    home = tmp_path / "home"
    assert main(["init", "--home", str(home)]) == 0
    capsys.readouterr()
    for kind in KINDS:
        source = tmp_path / f"{kind}.yaml"
        main(["example", kind])
        source.write_text(capsys.readouterr().out, encoding="utf-8")
        code = main(["generate", kind, str(source), "--home", str(home), "--json"])
        result = json.loads(capsys.readouterr().out)[0]
        assert code == 0, result
        assert result["document_ids"], result
    assert main(["audit", "verify", "--home", str(home)]) == 0


def test_pdf_with_a_relative_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["example", "reminder"])
    Path("in.yaml").write_text(capsys.readouterr().out, encoding="utf-8")
    code = main(["generate", "reminder", "in.yaml", "--home", "home", "-o", "out", "--pdf", "--json"])
    result = json.loads(capsys.readouterr().out)[0]
    assert code == 0, result
    assert sorted(Path(p).suffix for p in result["outputs"]) == [".docx", ".pdf"]
    # One document: the PDF is filed as the DOCX document's PDF/A rendition.
    assert len(result["document_ids"]) == 1
    assert [f["media"] for f in result["filings"]] == ["docx", "pdf"]
    assert result["filings"][1]["rendition"] == "pdf-a"
