"""The archive from the command line: generate files into it, ingest by hand, list, verify, batches."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Borrower, Document, Loan, Rendition
from dossier.cli.app import main
from dossier.config import load_config
from dossier.generation import Generator

REMINDER_KEY = "11010519491231002X"
REMINDER_FOLDER = f"{REMINDER_KEY}-张三"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def example(capsys, kind: str, path: Path, **replace: str) -> Path:
    assert main(["example", kind]) == 0
    text = capsys.readouterr().out
    for old, new in replace.items():
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def catalog(home: Path, model, *where):
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: list(s.execute(select(model).where(*where)).scalars()), write=False
        )


def test_generate_files_into_the_archive_end_to_end(tmp_path, capsys):
    source = example(capsys, "reminder", tmp_path / "reminder.yaml")
    home = tmp_path / "home"
    exe = Path(sys.executable).with_name("dossier")
    proc = subprocess.run(
        [str(exe), "generate", "reminder", str(source), "--home", str(home), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    [result] = json.loads(proc.stdout)
    assert result["status"] == "ok" and result["outputs"] == [] and len(result["document_ids"]) == 1
    doc_id = result["document_ids"][0]

    code, out, _ = run(capsys, "docs", REMINDER_KEY, "--home", str(home), "--json")
    listing = json.loads(out)
    assert code == 0 and listing["borrower"]["name"] == "张三"
    [document] = listing["documents"]
    assert document["id"] == doc_id and document["source"] == "generated"
    assert (document["category"], document["doc_type"], document["title"]) == (
        "post-loan",
        "maturity-reminder",
        "到期还款提示",
    )
    assert document["path"] == f"{REMINDER_FOLDER}/07-贷后管理/到期还款提示-JK2025-000456-2026-12-28.docx"
    assert document["contract_number"] == "JK2025-000456" and document["doc_date"] == "2026-11-28"

    # The input kept beside it regenerates the document.
    sidecar = json.loads((home / document["input"]["path"]).read_text(encoding="utf-8"))
    assert sidecar["kind"] == "reminder"
    regenerated = Generator(config=load_config()).generate(sidecar["kind"], sidecar["input"])
    assert regenerated.filename == "到期还款提示-JK2025-000456-2026-12-28"

    [loan] = catalog(home, Loan)
    assert loan.contract_number == "JK2025-000456" and loan.receipt_numbers == ["JJ2025-000456-01"]
    assert str(loan.amount) == "300000.00" and loan.term_months == 12

    code, out, _ = run(capsys, "audit", "verify", "--home", str(home), "--json")
    assert code == 0 and json.loads(out)["ok"]
    code, out, _ = run(capsys, "audit", "log", "--home", str(home), "--borrower", REMINDER_KEY, "--json")
    actions = [e["action"] for e in json.loads(out)]
    # The `docs` read above is on the record too.
    assert actions == ["register-borrower", "register-loan", "file", "generate", "view"]


def test_generating_again_records_a_version_or_a_duplicate_never_a_copy(tmp_path, capsys):
    source = example(capsys, "reminder", tmp_path / "reminder.yaml")
    home = tmp_path / "home"
    for _ in range(2):
        code, out, _ = run(capsys, "generate", "reminder", str(source), "--home", str(home), "--json")
        assert code == 0
    second = json.loads(out)[0]["filings"][0]
    assert second["status"] in ("duplicate", "version")
    files = sorted(p.name for p in (home / REMINDER_FOLDER / "07-贷后管理").iterdir())
    if second["status"] == "duplicate":
        assert len(files) == 2  # the document and its input
    else:
        assert len(files) == 4 and any("-v2" in f for f in files)


def test_borrower_facts_from_the_input_are_registered(tmp_path, capsys):
    source = example(capsys, "investigation", tmp_path / "investigation.yaml")
    home = tmp_path / "home"
    code, _, err = run(capsys, "generate", "investigation", str(source), "--home", str(home), "--json")
    assert code == 0, err
    [borrower] = catalog(home, Borrower)
    assert borrower.customer_type == "enterprise" and borrower.key == "91350203MA2Y8K3D54"
    assert borrower.details["enterprise_type"].startswith("有限责任公司")
    assert borrower.details["legal_representative"]["name"]
    [document] = catalog(home, Document)
    assert document.category == "approval" and document.doc_type == "investigation-report"


def test_no_file_keeps_the_old_behaviour(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOSSIER_HOME", raising=False)
    source = example(capsys, "reminder", tmp_path / "reminder.yaml")
    code, out, _ = run(capsys, "generate", "reminder", str(source), "--no-file", "--json")
    [result] = json.loads(out)
    assert code == 0 and result["document_ids"] == [] and len(result["outputs"]) == 1
    assert Path(result["outputs"][0]).parent == Path("out")
    assert not (tmp_path / "archive").exists()


def test_filing_with_an_output_folder_also_writes_a_copy(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DOSSIER_HOME", str(tmp_path / "env-home"))
    source = example(capsys, "reminder", tmp_path / "reminder.yaml")
    code, out, _ = run(capsys, "generate", "reminder", str(source), "-o", str(tmp_path / "copies"), "--json")
    [result] = json.loads(out)
    assert code == 0 and len(result["document_ids"]) == 1
    assert Path(result["outputs"][0]).read_bytes() == Path(result["filings"][0]["path"]).read_bytes()
    assert Path(result["filings"][0]["path"]).is_relative_to(tmp_path / "env-home")


def test_generate_refuses_a_folder_that_is_not_an_archive(tmp_path, capsys):
    home = tmp_path / "papers"
    home.mkdir()
    (home / "notes.txt").write_text("mine", encoding="utf-8")
    source = example(capsys, "reminder", tmp_path / "reminder.yaml")
    code, _, err = run(capsys, "generate", "reminder", str(source), "--home", str(home))
    assert code == 2 and "not an archive home" in err and "dossier init" in err
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


def test_a_batch_with_two_workers_files_every_good_input(tmp_path, capsys):
    inputs = []
    for i in range(6):
        text_replace = {"JK2025-000456": f"JK2025-00013{i}", "JJ2025-000456-01": f"JJ2025-00013{i}-01"}
        if i == 3:
            text_replace["amount: 300000.00"] = "amount: -1"
        inputs.append(str(example(capsys, "reminder", tmp_path / f"in{i}.yaml", **text_replace)))
    home = tmp_path / "home"
    code, out, _ = run(capsys, "generate", "reminder", *inputs, "--home", str(home), "-j", "2", "--json")
    results = json.loads(out)
    assert code == 2
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "invalid", "ok", "ok"]
    ids = [i for r in results for i in r["document_ids"]]
    assert len(ids) == len(set(ids)) == 5
    assert len(catalog(home, Loan)) == 5 and len(catalog(home, Borrower)) == 1
    code, out, _ = run(capsys, "borrowers", "--home", str(home), "--json")
    assert json.loads(out) == [
        {
            "key": REMINDER_KEY,
            "name": "张三",
            "customer_type": "person",
            "folder": REMINDER_FOLDER,
            "officer": None,
            "loans": 5,
            "documents": 5,
            "legal_hold": False,
        }
    ]
    code, out, _ = run(capsys, "audit", "verify", "--home", str(home), "--json")
    assert code == 0 and json.loads(out)["documents"] == 5


def test_generated_pdfs_are_filed_beside_their_docx_as_its_rendition(tmp_path, capsys):
    assert shutil.which("soffice"), "LibreOffice must be installed (make setup installs it)"
    source = example(capsys, "reminder", tmp_path / "reminder.yaml")
    home = tmp_path / "home"
    code, out, err = run(capsys, "generate", "reminder", str(source), "--home", str(home), "--pdf", "--json")
    [result] = json.loads(out)
    assert code == 0, err
    assert result["outputs"] == [] and [f["media"] for f in result["filings"]] == ["docx", "pdf"]
    # One document: the PDF is its PDF/A rendition, filed beside the DOCX, not a second document.
    [docx_id] = result["document_ids"]
    assert len(catalog(home, Document)) == 1
    [pdf] = catalog(home, Rendition, Rendition.document_id == docx_id)
    assert pdf.media_type == "application/pdf" and pdf.pages >= 1 and pdf.kind == "pdf-a"
    assert pdf.path.endswith("到期还款提示-JK2025-000456-2026-12-28.pdf")
    assert run(capsys, "audit", "verify", "--home", str(home))[0] == 0


def test_ingest_files_supporting_documents_by_hand(tmp_path, capsys):
    home = tmp_path / "home"
    assert run(capsys, "init", "--home", str(home))[0] == 0
    scan = tmp_path / "身份证正反面.pdf"
    scan.write_bytes(b"%PDF-1.4 id card")
    statement = tmp_path / "流水2025.txt"
    statement.write_bytes(b"bank statement")
    key = "350203199003150022"

    code, _, err = run(
        capsys,
        "ingest",
        str(scan),
        "--borrower",
        key,
        "--category",
        "basic",
        "--type",
        "id-card",
        "--home",
        str(home),
    )
    assert code == 2 and "--borrower" in err and "--name" in err

    code, out, err = run(
        capsys,
        "ingest",
        str(scan),
        "--borrower",
        key,
        "--name",
        "王五",
        "--category",
        "基本资料",
        "--type",
        "身份证",
        "--loan",
        "JK2026-000777",
        "--date",
        "2026-03-20",
        "--home",
        str(home),
        "--json",
    )
    assert code == 0, err
    [filed] = json.loads(out)
    assert filed["status"] == "filed" and filed["path"].endswith(f"{key}-王五/01-基本资料/身份证正反面.pdf")

    code, out, _ = run(
        capsys,
        "ingest",
        str(statement),
        str(scan),
        "--borrower",
        key,
        "--category",
        "2",
        "--type",
        "bank-statement",
        "--home",
        str(home),
        "--json",
    )
    first, again = json.loads(out)
    assert code == 0 and first["status"] == "filed" and again["status"] == "duplicate"
    assert again["document_id"] == filed["document_id"]

    code, out, _ = run(capsys, "docs", "王五", "--home", str(home), "--json")
    listing = json.loads(out)["documents"]
    assert [d["category"] for d in listing] == ["basic", "financial"]
    assert listing[0]["contract_number"] == "JK2026-000777" and listing[0]["doc_date"] == "2026-03-20"
    assert listing[0]["original_name"] == "身份证正反面.pdf" and listing[1]["title"] == "流水2025"

    code, _, err = run(
        capsys,
        "ingest",
        str(scan),
        "--borrower",
        key,
        "--category",
        "杂项",
        "--type",
        "id-card",
        "--home",
        str(home),
    )
    assert code == 2 and err.startswith("error: --category:")
    code, _, err = run(
        capsys,
        "ingest",
        str(scan),
        "--borrower",
        "../../etc",
        "--category",
        "basic",
        "--type",
        "id-card",
        "--home",
        str(home),
    )
    assert code == 2 and err.startswith("error: --borrower:") and "借款人标识" in err
    hidden = tmp_path / ".hidden.pdf"
    hidden.write_bytes(b"%PDF")
    code, _, err = run(
        capsys,
        "ingest",
        str(hidden),
        "--borrower",
        key,
        "--category",
        "basic",
        "--type",
        "id-card",
        "--home",
        str(home),
    )
    assert code == 2 and "dot" in err
    assert run(capsys, "audit", "verify", "--home", str(home))[0] == 0


def test_commands_on_a_missing_home_fail_with_one_line(tmp_path, capsys):
    for argv in (["borrowers"], ["docs", REMINDER_KEY], ["audit", "verify"], ["audit", "log"], ["repair"]):
        code, _, err = run(capsys, *argv, "--home", str(tmp_path / "nowhere"))
        assert code == 2 and err.count("\n") == 1 and "not an archive home" in err, argv
    assert not (tmp_path / "nowhere").exists()


def test_check_still_validates_identifiers(capsys):
    code, out, _ = run(capsys, "check", "id", REMINDER_KEY, "--json")
    assert code == 0 and json.loads(out)["valid"]


@pytest.mark.parametrize("command", ["init", "ingest", "borrowers", "docs", "audit", "repair", "check"])
def test_archive_commands_are_listed_in_help(command, capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and command in out
