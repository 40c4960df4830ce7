"""`dossier quarantine list | assign`: an archivist resolves what the watcher could not decide."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from kit.inbox_samples import (
    COMPANY,
    PERSON,
    STRANGER,
    Home,
    documents,
    id_card_pdf,
    items,
    make_home,
    text_pdf,
)

from dossier.archive.catalog.models import Event
from dossier.cli.app import main


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def _cli(home: Home, capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`dossier --config CONFIG ARGS --home HOME` in this process (the watcher itself runs as a real
    subprocess, `home.cli`)."""
    capsys.readouterr()
    code = main(["--config", str(home.config), *args, "--home", str(home.path)])
    out = capsys.readouterr()
    return Run(code, out.out, out.err)


def test_list_then_assign_files_it_normally_and_empties_quarantine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = make_home(tmp_path, quiet=0.2)
    card = id_card_pdf(number="", serial="no number on this scan")
    (home.inbox / "IMG_0042.pdf").write_bytes(card)
    (home.inbox / "unknown-type.pdf").write_bytes(text_pdf(["说明", f"统一社会信用代码 {COMPANY}"]))
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(card)
    (home.inbox / "link.pdf").symlink_to(outside)
    assert home.cli("watch", "--once").returncode == 0

    listed = _cli(home, capsys, "quarantine", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = {e["name"]: e for e in json.loads(listed.stdout)}
    assert set(entries) == {"IMG_0042.pdf", "unknown-type.pdf", "link.pdf"}
    assert (
        entries["IMG_0042.pdf"]["reason"] == "no-borrower"
        and "无法确定借款人" in entries["IMG_0042.pdf"]["message"]
    )
    assert entries["IMG_0042.pdf"]["guess"]["doc_type"] == "id-card"  # the type was recognised, not the owner
    assert entries["unknown-type.pdf"]["reason"] == "unknown-type"
    assert entries["link.pdf"]["reason"] == "not-a-file"
    assert all(e["present"] for e in entries.values())
    human = _cli(home, capsys, "quarantine", "list")
    assert human.returncode == 0 and "IMG_0042.pdf" in human.stdout and "no-borrower" in human.stdout

    card_id = str(entries["IMG_0042.pdf"]["id"])
    assigned = _cli(
        home, capsys, "quarantine", "assign", card_id, "--borrower", PERSON, "--type", "身份证", "--json"
    )
    assert assigned.returncode == 0, assigned.stderr
    result = json.loads(assigned.stdout)
    assert result["status"] == "filed" and f"{PERSON}-张三/01-基本资料/" in result["path"]
    assert not (home.path / entries["IMG_0042.pdf"]["path"]).exists()
    assert not (home.path / (entries["IMG_0042.pdf"]["path"] + ".reason.json")).exists()
    (document,) = [d for d in documents(home) if d.original_name == "IMG_0042.pdf"]
    assert document.doc_type == "id-card" and document.category == "basic"
    assert next(i for i in items(home) if i.name == "IMG_0042.pdf").outcome == "assigned"
    searched = _cli(home, capsys, "search", "公民身份号码", "--json")
    assert searched.returncode == 0 and json.loads(searched.stdout)["total"] == 1

    other = str(entries["unknown-type.pdf"]["id"])
    by_category = _cli(
        home,
        capsys,
        "quarantine",
        "assign",
        other,
        "--borrower",
        COMPANY,
        "--type",
        "other",
        "--category",
        "financial",
    )
    assert by_category.returncode == 0, by_category.stderr
    assert next(d for d in documents(home) if d.original_name == "unknown-type.pdf").category == "financial"

    remaining = json.loads(_cli(home, capsys, "quarantine", "list", "--json").stdout)
    assert [e["name"] for e in remaining] == ["link.pdf"]
    with home.archive() as archive:
        actions = archive.transaction(
            lambda s: [e.action for e in s.query(Event).filter(Event.action.like("quarantine%")).all()],
            write=False,
        )
    assert actions.count("quarantine") == 3 and actions.count("quarantine-assign") == 2
    assert _cli(home, capsys, "audit", "verify").returncode == 0


def test_assign_refuses_what_it_cannot_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_home(tmp_path, quiet=0.2)
    (home.inbox / "x.pdf").write_bytes(text_pdf(["会议记录"]))
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"%PDF-1.7")
    (home.inbox / "link.pdf").symlink_to(outside)
    assert home.cli("watch", "--once").returncode == 0
    entries = {
        e["name"]: str(e["id"]) for e in json.loads(_cli(home, capsys, "quarantine", "list", "--json").stdout)
    }

    unknown = _cli(
        home, capsys, "quarantine", "assign", entries["x.pdf"], "--borrower", STRANGER, "--type", "other"
    )
    assert unknown.returncode == 2 and "借款人未登记" in unknown.stderr
    bad_type = _cli(
        home, capsys, "quarantine", "assign", entries["x.pdf"], "--borrower", PERSON, "--type", "nonsense"
    )
    assert bad_type.returncode == 2 and "--type" in bad_type.stderr
    bad_key = _cli(
        home, capsys, "quarantine", "assign", entries["x.pdf"], "--borrower", "12345", "--type", "other"
    )
    assert bad_key.returncode == 2 and "--borrower" in bad_key.stderr
    link = _cli(
        home, capsys, "quarantine", "assign", entries["link.pdf"], "--borrower", PERSON, "--type", "other"
    )
    assert link.returncode == 2 and "不是普通文件" in link.stderr
    missing = _cli(home, capsys, "quarantine", "assign", "999", "--borrower", PERSON, "--type", "other")
    assert missing.returncode == 2 and "隔离区中无此编号" in missing.stderr
    # Nothing moved: both still wait in quarantine.
    assert len(json.loads(_cli(home, capsys, "quarantine", "list", "--json").stdout)) == 2
    assert documents(home) == []
