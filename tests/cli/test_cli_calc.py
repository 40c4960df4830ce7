"""The calc and check commands, through the real entry point (in-process) and once as a real process."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from dossier.cli.app import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_capital_and_back(capsys):
    code, out, _ = run(capsys, "calc", "capital", "16409.02")
    assert code == 0 and out.strip() == "人民币壹万陆仟肆佰零玖元零贰分"
    code, out, _ = run(capsys, "calc", "parse-capital", "人民币壹拾万柒仟元零伍角叁分", "--json")
    assert code == 0 and json.loads(out)["amount"] == "107000.53"


def test_schedule_json_rows_are_strings_and_sum_to_the_principal(capsys):
    code, out, _ = run(
        capsys,
        "calc",
        "schedule",
        "--principal",
        "100000",
        "--rate",
        "4.35",
        "--months",
        "12",
        "--method",
        "annuity",
        "--start",
        "2024-01-15",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 12
    assert set(rows[0]) == {"period", "due_date", "principal", "interest", "payment", "balance"}
    assert rows[0]["payment"] == "8530.99" and rows[0]["due_date"] == "2024-02-15"
    assert sum(Decimal(r["principal"]) for r in rows) == Decimal("100000.00")
    assert rows[-1]["balance"] == "0.00"


@pytest.mark.parametrize("method", ["equal-principal", "等额本金"])
def test_schedule_accepts_chinese_method_names_and_prints_a_table(capsys, method):
    code, out, _ = run(
        capsys,
        "calc",
        "schedule",
        "--principal",
        "100000",
        "--rate",
        "4.35",
        "--months",
        "12",
        "--method",
        method,
        "--start",
        "2024-01-15",
    )
    assert code == 0
    # 等额本金 per period (the default): last 8,333.37 + 30.21, interest 2,356.26 (domain.md §3.7
    # gives the running-total figures 8,363.54 and 2,356.25).
    assert "8,695.83" in out and "8,363.58" in out and "2,356.26" in out


def test_penalty_golden_value(capsys):
    code, out, _ = run(
        capsys,
        "calc",
        "penalty",
        "--principal",
        "10000",
        "--rate",
        "4.35",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-31",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["penalty"] == "54.38" and data["days"] == 30


def test_misuse_markup_outside_the_configured_range_is_bad_input(capsys):
    code, _, err = run(
        capsys,
        "calc",
        "penalty",
        "--principal",
        "10000",
        "--rate",
        "4.35",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-31",
        "--kind",
        "misuse",
        "--markup",
        "3",
    )
    assert code == 2 and err.startswith("error: --markup:")


@pytest.mark.parametrize(
    ("dpd", "rules", "expected"),
    [
        (0, "2023", "正常"),
        (1, "2023", "关注"),
        (91, "2023", "次级"),
        (200, "legacy", "可疑"),
        (400, "2023", "损失"),
    ],
)
def test_classify(capsys, dpd, rules, expected):
    code, out, _ = run(capsys, "calc", "classify", "--dpd", str(dpd), "--rules", rules)
    assert code == 0 and out.strip() == expected


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["calc", "capital", "12.345"], "AMOUNT"),
        (["calc", "capital", "abc"], "AMOUNT"),
        (
            [
                "calc",
                "schedule",
                "--principal",
                "1000",
                "--rate",
                "4",
                "--months",
                "-3",
                "--method",
                "annuity",
                "--start",
                "2024-01-01",
            ],
            "--months",
        ),
        (
            [
                "calc",
                "schedule",
                "--principal",
                "1000",
                "--rate",
                "4",
                "--months",
                "3",
                "--method",
                "annuity",
                "--start",
                "2023-02-29",
            ],
            "--start",
        ),
        (
            [
                "calc",
                "schedule",
                "--principal",
                "1000",
                "--rate",
                "abc",
                "--months",
                "3",
                "--method",
                "annuity",
                "--start",
                "2024-01-01",
            ],
            "--rate",
        ),
        (
            [
                "calc",
                "schedule",
                "--principal",
                "1000",
                "--rate",
                "4",
                "--months",
                "3",
                "--method",
                "weekly",
                "--start",
                "2024-01-01",
            ],
            "--method",
        ),
        (
            [
                "calc",
                "penalty",
                "--principal",
                "1000",
                "--rate",
                "4",
                "--from",
                "2024-03-01",
                "--to",
                "2024-02-01",
            ],
            "--to",
        ),
        (["calc", "classify", "--dpd", "-1"], "--dpd"),
        (["calc", "classify", "--dpd", "5", "--rules", "1999"], "--rules"),
        (["calc", "parse-capital", "人民币壹仟伍元"], "TEXT"),
    ],
)
def test_bad_input_is_one_line_naming_the_argument_with_exit_code_2(capsys, argv, names):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {names}:")


def test_missing_option_is_a_usage_error(capsys):
    code, _, err = run(capsys, "calc", "schedule", "--rate", "4.35")
    assert code == 2 and "--principal" in err and err.count("\n") == 1


def test_check_id_valid_and_invalid(capsys):
    code, out, _ = run(capsys, "check", "id", "11010519491231002X", "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] and data["sex"] == "女" and data["birth_date"] == "1949-12-31"
    code, out, _ = run(capsys, "check", "id", "110105194912310021")
    assert code == 1 and "X" in out


def test_check_uscc_is_strict_with_a_note(capsys):
    code, out, _ = run(capsys, "check", "uscc", "91350200776049653A")
    assert code == 0 and "有效" in out
    code, out, _ = run(capsys, "check", "uscc", "91350200776049653B", "--json")
    data = json.loads(out)
    assert code == 1 and not data["valid"] and "A" in data["reason"]


def test_config_override_changes_a_rule(tmp_path: Path, capsys):
    override = tmp_path / "bank.toml"
    override.write_text('[classification]\ndefault_rules = "legacy"\n', encoding="utf-8")
    code, out, _ = run(
        capsys, "--config", str(override), "calc", "classify", "--dpd", "200", "--rules", "legacy"
    )
    assert code == 0 and out.strip() == "可疑"


def test_installed_entry_point_runs_as_a_process():
    exe = Path(sys.executable).with_name("dossier")
    proc = subprocess.run([str(exe), "calc", "capital", "abc"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: AMOUNT:")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for command in ("calc", "check", "kinds", "generate", "example", "schema"):
        assert command in proc.stdout
