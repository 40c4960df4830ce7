"""The custody commands, run as a person types them: a handover acknowledged by both officers, a loan of
a file requested, approved and listed, and a transfer; `dossier audit verify` passes after them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from custodykit import COMPANY, Kit, build

from dossier.cli.app import main


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return build(Path(tmp_path_factory.mktemp("cli")) / "archive")


def _run(capsys: pytest.CaptureFixture[str], kit: Kit, *argv: str) -> object:
    capsys.readouterr()
    code = main([*argv, "--home", str(kit.home), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_handover_by_command_line(capsys: pytest.CaptureFixture[str], home: Kit) -> None:
    made = _run(
        capsys,
        home,
        "handover",
        "create",
        "--from",
        "li",
        "--to",
        "wang",
        "--on",
        "2026-12-05",
        "--borrower",
        COMPANY,
    )
    assert made["state"] == "pending" and [b[1] for b in made["borrowers"]] == [COMPANY]
    number = made["number"]
    assert _run(capsys, home, "handover", "ack", number, "--user", "wang")["state"] == "pending"
    # A third officer is no party to it: told it does not exist (exit code 2, one line).
    assert main(["handover", "ack", number, "--user", "zhao", "--home", str(home.home)]) == 2
    assert "not found" in capsys.readouterr().err
    assert _run(capsys, home, "handover", "ack", number, "--user", "li")["state"] == "completed"
    assert [h["number"] for h in _run(capsys, home, "handover", "list")] == [number]


def test_file_loans_by_command_line(capsys: pytest.CaptureFixture[str], home: Kit) -> None:
    asked = _run(
        capsys,
        home,
        "file-loans",
        "request",
        "--user",
        "zhao",
        "--borrower",
        COMPANY,
        "--purpose",
        "审计",
        "--category",
        "basic",
    )
    number = asked["number"]
    approved = _run(capsys, home, "file-loans", "approve", number)
    assert approved["status"] == "open" and approved["categories"] == ["basic"]
    listed = _run(capsys, home, "file-loans", "--status", "open")
    assert [x["number"] for x in listed] == [number]
    assert _run(capsys, home, "file-loans", "return", number)["status"] == "past"
    assert main(["file-loans", "--status", "nonsense", "--home", str(home.home)]) == 2


def test_transfer_by_command_line_and_the_chain_holds(capsys: pytest.CaptureFixture[str], home: Kit) -> None:
    made = _run(
        capsys,
        home,
        "transfer",
        "create",
        "--borrower",
        COMPANY,
        "--department",
        "asset-preservation",
        "--reason",
        "催收无果",
    )
    assert made["department_label"] == "资产保全部" and made["snapshot"]["documents"]
    assert [t["number"] for t in _run(capsys, home, "transfer", "list")] == [made["number"]]
    capsys.readouterr()
    assert main(["audit", "verify", "--home", str(home.home)]) == 0, capsys.readouterr().out
