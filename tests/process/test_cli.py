"""`dossier apply`, `applications`, the moves and the record from the command line, on a real archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from processkit import INTAKE, INVESTIGATION, KEY, make_kit

from dossier.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_process_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit = make_kit(tmp_path / "home")
    home = ("--home", str(kit.home))
    code, out, err = run(
        capsys, "apply", "--borrower", KEY, "--product", "个人消费", "--amount", "200000", "--term", "24",
        "--guarantee", "信用", *home, "--actor", "li", "--json",
    )  # fmt: skip
    assert code == 0, err
    app = json.loads(out)
    assert (app["stage_label"], app["holder"], app["version"]) == ("受理", "li", 1)
    number = str(app["id"])
    # Blocked: the gate lists what is missing, in both languages, and the exit code says it failed.
    code, out, err = run(capsys, "advance", number, *home, "--actor", "li")
    assert code == 2 and "cannot be left yet" in err and "借款申请书（缺失）" in err
    code, out, err = run(capsys, "application", number, *home, "--json")
    assert json.loads(out)["gate"]["open"] is False
    kit.file_stage(INTAKE)
    assert run(capsys, "advance", number, *home, "--actor", "li", "--version", "1")[0] == 0
    docs = kit.file_stage(INVESTIGATION)
    kit.site_visit(docs[0])
    assert run(capsys, "advance", number, *home, "--actor", "li")[0] == 0
    # A stale version: the application moved.
    code, out, err = run(capsys, "advance", number, *home, "--actor", "zhao", "--version", "2")
    assert code == 2 and "申请已变动" in err
    code, out, err = run(capsys, "applications", "--mine", *home, "--actor", "zhao", "--json")
    assert [a["id"] for a in json.loads(out)] == [app["id"]]
    assert json.loads(run(capsys, "applications", "--mine", *home, "--actor", "li", "--json")[1]) == []
    assert run(capsys, "advance", number, *home, "--actor", "zhao")[0] == 0
    code, out, err = run(
        capsys, "request", number, "--type", "不动产权证书", *home, "--actor", "qian", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["open_items"][0]["doc_type"] == "property-certificate"
    code, out, err = run(
        capsys, "approve", number, "--amount", "150000", "--condition", "受托支付", *home, "--actor", "qian"
    )
    assert code == 2 and "补充材料未齐" in err
    kit.file("property-certificate")
    code, out, err = run(
        capsys,
        "approve",
        number,
        "--amount",
        "150000",
        "--condition",
        "受托支付",
        *home,
        "--actor",
        "qian",
        "--json",
    )
    assert code == 0 and json.loads(out)["conditions"]["amount"] == "150000.00"
    code, out, err = run(capsys, "reject", number, *home, "--actor", "li", "--reason", "x")
    assert (code == 2 and "角色不符" in err) or "环节不允许" in err
    assert run(capsys, "return", number, "--reason", "再议", *home, "--actor", "sun")[0] == 0
    code, out, err = run(capsys, "applications", "--stage", "审查", *home, "--json")
    assert [a["holder"] for a in json.loads(out)] == ["qian"]
    # Nothing has waited past its limit today; the human table names the stage and the holder.
    assert json.loads(run(capsys, "applications", "--overdue", *home, "--json")[1]) == []
    code, out, err = run(capsys, "applications", "--open", *home)
    assert code == 0 and "审查" in out and "qian" in out
    html = tmp_path / "record.html"
    code, out, err = run(
        capsys, "application-record", number, "--html", str(html), *home, "--actor", "auditor", "--json"
    )
    assert code == 0, err
    record = json.loads(out)
    assert [p["kind"] for p in record["path"]][-1] == "return" and record["issued_seq"] > 0
    assert "审批流程记录" in html.read_text(encoding="utf-8")
    code, out, err = run(capsys, "application-numbers", *home, "--json")
    numbers = json.loads(out)
    assert (numbers["received"], numbers["returned"], numbers["requested"]) == (1, 1, 1)
    assert numbers["share_returned_for_materials"] == "0.50"
    # Median days per stage left this month (all within seconds here), named by their labels.
    assert {"intake", "investigation", "check", "review", "approval"} <= set(numbers["median_days"])
    assert numbers["stage_labels"]["review"] == "审查" and numbers["median_days"]["intake"] == "0.0"
    assert run(capsys, "application-numbers", "--month", "9999-12", *home)[0] == 2
    assert run(capsys, "application-numbers", "--month", "2026-13", *home)[0] == 2
    code, out, err = run(capsys, "audit", "verify", *home)
    assert code == 0, err + out
