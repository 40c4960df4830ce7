"""`dossier export`: unzip the bundle, re-hash every file against the manifest, re-walk the events."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import canonical, verify_chain
from dossier.archive.catalog.models import Event
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.cli.app import main
from dossier.config import load_config

KEY = "110101199003077777"
OTHER = "91350100M000100Y43"
HASHED = ("seq", "at", "actor", "action", "target", "borrower_key", "details")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Two borrowers filed in turns, so one borrower's events have gaps in the global chain."""
    path = tmp_path / "home"
    with Archive.init(path, config=load_config()) as archive:
        ensure_borrower(archive, KEY, "张三", "person", actor="test")
        ensure_borrower(archive, OTHER, "某某科技有限公司", "enterprise", actor="test")
        ensure_loan(
            archive, KEY, "JK2025-0001", facts={"product": "个人消费", "term_months": 12}, actor="test"
        )
        filings = [
            (KEY, "contracts", "loan-contract", "借款合同", "JK2025-0001", date(2025, 3, 5)),
            (OTHER, "basic", "business-license", "营业执照", None, date(2020, 1, 1)),
            (KEY, "basic", "id-card", "身份证", None, date(2020, 5, 1)),
            (KEY, "disbursement", "loan-receipt", "借款借据", "JK2025-0001", date(2025, 3, 10)),
            (KEY, "approval", "credit-approval", "审批报告", "JK2025-0001", date(2025, 3, 1)),
        ]
        for i, (key, category, doc_type, title, loan, on) in enumerate(filings):
            file_document(
                archive,
                f"{title} {i}".encode() * 50,
                borrower_key=key,
                category=category,
                doc_type=doc_type,
                title=title,
                original_name=f"{title}.pdf",
                contract_number=loan,
                doc_date=on,
                actor="test",
            )
        file_document(
            archive,
            b"generated investigation report",
            borrower_key=KEY,
            category="approval",
            doc_type="investigation-report",
            title="贷前调查报告",
            original_name="贷前调查报告.docx",
            contract_number="JK2025-0001",
            doc_date=date(2025, 2, 20),
            source="generated",
            actor="test",
            input_data={"borrower": {"name": "张三"}, "amount": "100000.00"},
        )
    return path


def _export(home: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code = main(["export", KEY, "-o", str(out), "--home", str(home), "--actor", "审计员", "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_every_file_rehashes_to_the_manifest_in_archive_order(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "张三.zip"
    result = _export(home, out, capsys)

    assert result["documents"] == 5 and result["files"] == 6
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        manifest = json.loads(bundle.read("manifest.json"))
        for entry in manifest["files"]:
            data = bundle.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["size"]
        sums = bundle.read("SHA256SUMS").decode()
        rows = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode("utf-8-sig"))))
        readme = bundle.read("README.txt").decode()

    listed = {e["path"] for e in manifest["files"]}
    assert names == listed | {
        "manifest.json",
        "manifest.csv",
        "SHA256SUMS",
        "events.jsonl",
        "verify.py",
        "README.txt",
    }
    assert {"营业执照.pdf"} & {p.rsplit("/", 1)[-1] for p in names} == set()  # nothing of the other borrower
    documents = [e for e in manifest["files"] if e["kind"] == "document"]
    folders = [e["path"].split("/")[0] for e in documents]
    assert folders == ["01-基本资料", "03-调查审查审批", "03-调查审查审批", "04-合同类", "06-放款资料"]
    assert [e["seq"] for e in documents] == [1, 2, 3, 4, 5]
    # Within a category, by document date: the investigation report (20 Feb) before the approval (1 Mar).
    assert [e["doc_type"] for e in documents[1:3]] == ["investigation-report", "credit-approval"]
    (sidecar,) = [e for e in manifest["files"] if e["kind"] == "input"]
    assert sidecar["path"].endswith(".input.json") and sidecar["path"].startswith("03-调查审查审批/")
    assert json.loads(zipfile.ZipFile(out).read(sidecar["path"]))["amount"] == "100000.00"
    assert sums.splitlines() == [f"{e['sha256']}  {e['path']}" for e in manifest["files"]]
    assert [r["SHA-256"] for r in rows] == [e["sha256"] for e in manifest["files"]]
    assert manifest["borrower"]["key"] == KEY and manifest["loans"][0]["contract_number"] == "JK2025-0001"
    assert "sha256sum -c SHA256SUMS" in readme and "python3 verify.py" in readme


def test_events_hash_and_link_and_end_with_the_export(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle.zip"
    result = _export(home, out, capsys)

    with zipfile.ZipFile(out) as bundle:
        events = [json.loads(line) for line in bundle.read("events.jsonl").decode().splitlines()]
        manifest = json.loads(bundle.read("manifest.json"))
    assert events and all(e["borrower_key"] == KEY for e in events)
    for event in events:
        content = {name: event[name] for name in HASHED}
        recomputed = hashlib.sha256(event["prev_hash"].encode("ascii") + canonical(content)).hexdigest()
        assert recomputed == event["hash"], event["seq"]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    linked = 0
    for before, after in itertools.pairwise(events):
        if after["seq"] == before["seq"] + 1:
            assert after["prev_hash"] == before["hash"]
            linked += 1
    assert 0 < linked < len(events) - 1  # the other borrower's filings leave gaps
    last = events[-1]
    assert (last["action"], last["actor"], last["seq"]) == ("export", "审计员", result["event_seq"])
    assert last["details"]["documents"] == 5 and last["details"]["file"] == "bundle.zip"
    assert manifest["events"]["last_hash"] == last["hash"] and manifest["events"]["count"] == len(events)
    # The same events, with the same hashes, in the archive's own log, whose chain is still whole.
    with Archive.open(home, config=load_config()) as archive, archive.session(write=False) as session:
        stored = {e.seq: e.hash for e in session.scalars(select(Event).where(Event.borrower_key == KEY))}
        assert stored == {e["seq"]: e["hash"] for e in events}
        assert verify_chain(session).ok


def test_the_bundled_script_verifies_offline_and_names_a_changed_file(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle.zip"
    _export(home, out, capsys)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as bundle:
        bundle.extractall(folder)

    ok = subprocess.run(
        [sys.executable, "verify.py"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0 and "校验通过" in ok.stdout

    target = next(folder.glob("04-合同类/*.pdf"))
    data = bytearray(target.read_bytes())
    data[0] ^= 1
    target.write_bytes(bytes(data))
    events = folder / "events.jsonl"
    lines = events.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["actor"] = "someone-else"
    events.write_text("\n".join([json.dumps(first, ensure_ascii=False), *lines[1:]]) + "\n", encoding="utf-8")

    bad = subprocess.run(
        [sys.executable, "verify.py"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert f"04-合同类/{target.name}" in bad.stdout
    assert f"event {first['seq']}" in bad.stdout


def test_export_refuses_a_file_that_differs_from_the_catalog(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archived = next(home.rglob("借款借据.pdf"))
    archived.write_bytes(archived.read_bytes() + b"tampered")
    out = tmp_path / "bundle.zip"

    code = main(["export", KEY, "-o", str(out), "--home", str(home)])

    assert code == 2
    err = capsys.readouterr().err
    assert "借款借据.pdf" in err and "audit verify" in err
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.suffix == ".part"] == []
    with Archive.open(home, config=load_config()) as archive, archive.session(write=False) as session:
        assert session.scalars(select(Event).where(Event.action == "export")).first() is None


def test_export_refuses_to_write_into_the_home_or_over_a_file(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", KEY, "-o", str(home / "inside.zip"), "--home", str(home)]) == 2
    assert "outside the archive home" in capsys.readouterr().err
    existing = tmp_path / "existing.zip"
    existing.write_bytes(b"keep me")
    assert main(["export", KEY, "-o", str(existing), "--home", str(home)]) == 2
    assert existing.read_bytes() == b"keep me"
    capsys.readouterr()
    _export(home, existing, capsys, "--force")
    assert zipfile.is_zipfile(existing)
    assert main(["export", "110101199003071234", "-o", str(tmp_path / "x.zip"), "--home", str(home)]) == 2
