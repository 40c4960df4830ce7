"""The CLI starts without loading the core: command modules import what they need when a command runs.

Proved by what a fresh interpreter has in sys.modules after importing the app (and after running a light
command), not by timing; timing is bench/cli_startup.py.
"""

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import typer.main
from pydantic import BaseModel

from dossier.archive.completeness import ItemStatus
from dossier.archive.home import ENV_HOME
from dossier.cli import archive as cli_archive
from dossier.cli import calc as cli_calc
from dossier.cli import review as cli_review
from dossier.cli.app import app, main
from dossier.cli.output import to_json
from dossier.finance.penalty import ChargeKind

HEAVY = (
    # third-party packages that take long to import
    "sqlalchemy",
    "alembic",
    "docxtpl",
    "docx",
    "lxml",
    "jinja2",
    "matplotlib",
    "openpyxl",
    "tantivy",
    "whoosh",
    "pypdfium2",
    "pypdf",
    "PIL",
    "fastapi",
    "starlette",
    "uvicorn",
    "watchdog",
    # the core behind the commands
    "dossier.archive",
    "dossier.archive.catalog",
    "dossier.search",
    "dossier.ledger",
    "dossier.verification",
    "dossier.render",
    "dossier.generation",
    "dossier.inbox",
    "dossier.media",
    "dossier.access",
    "dossier.service",
    "indexer",
)

# Runs argument lists through the real entry point in a fresh interpreter, then reports the exit codes
# and every module loaded, to the file named last.
PROBE = """
import json, sys
from dossier.cli.app import main
runs, report = json.loads(sys.argv[1]), sys.argv[2]
codes = [main(argv) for argv in runs]
with open(report, "w", encoding="utf-8") as out:
    json.dump({"codes": codes, "modules": sorted(sys.modules)}, out)
"""


def probe(tmp_path: Path, *runs: list[str]) -> tuple[list[int], list[str], str]:
    report = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(runs)), str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return data["codes"], data["modules"], proc.stdout


def heavy_loaded(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_importing_the_app_loads_none_of_the_heavy_modules(tmp_path):
    codes, modules, _ = probe(tmp_path)
    assert codes == []
    assert "dossier.cli.app" in modules and "typer" in modules  # the probe did import the app
    assert heavy_loaded(modules) == []


def test_version_and_capital_run_without_loading_the_core(tmp_path):
    codes, modules, out = probe(tmp_path, ["--version"], ["calc", "capital", "1680.32"])
    assert codes == [0, 0]
    assert out.splitlines() == ["dossier 0.1.0", "人民币壹仟陆佰捌拾元零叁角贰分"]
    assert heavy_loaded(modules) == []


def test_every_commands_help_builds_without_the_core(tmp_path):
    # --help evaluates every option and argument annotation: none may need a core type.
    command = typer.main.get_command(app)
    paths: list[list[str]] = []
    for name, sub in command.commands.items():  # type: ignore[attr-defined]
        children = getattr(sub, "commands", {})
        paths += [[name, child] for child in children] if children else [[name]]
    assert len(paths) > 40
    codes, modules, out = probe(tmp_path, *([*p, "--help"] for p in paths))
    assert codes == [0] * len(paths)
    assert out.count("Usage: dossier") == len(paths)
    assert heavy_loaded(modules) == []


def test_a_command_still_loads_the_core_it_needs(tmp_path):
    # The probe can see heavy modules: `dossier init` opens an archive (SQLAlchemy, the catalog).
    codes, modules, _ = probe(tmp_path, ["init", "--home", str(tmp_path / "home"), "--json"])
    assert codes == [0]
    assert {"sqlalchemy", "dossier.archive.catalog"} <= set(heavy_loaded(modules))


def test_real_process_version_and_capital():
    exe = Path(sys.executable).with_name("dossier")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0 and version.stdout == "dossier 0.1.0\n"
    capital = subprocess.run(
        [exe, "calc", "capital", "1680.32"], capture_output=True, text=True, timeout=60, check=False
    )
    assert capital.returncode == 0 and capital.stdout == "人民币壹仟陆佰捌拾元零叁角贰分\n"


def test_names_spelled_out_in_the_cli_match_the_core(capsys):
    # The CLI spells these out so that declaring options needs no core import; they must not drift.
    assert cli_archive.ENV_HOME == ENV_HOME
    assert set(cli_review._STYLE) == {s.value for s in ItemStatus}
    assert set(cli_calc._KIND_LABELS) == {k.value for k in ChargeKind}
    penalty = "calc penalty --principal 10000 --rate 4.35 --from 2024-03-01 --to 2024-03-31 --json".split()
    code = main([*penalty, "--kind", "挪用"])
    assert code == 0 and json.loads(capsys.readouterr().out)["kind"] == "misuse"


def test_json_output_still_dumps_pydantic_models():
    # output.py no longer imports pydantic itself; a model it is given is still printed as its JSON.
    class Row(BaseModel):
        amount: Decimal
        on: date

    assert json.loads(to_json({"rows": [Row(amount=Decimal("1.50"), on=date(2026, 3, 1))]})) == {
        "rows": [{"amount": "1.50", "on": "2026-03-01"}]
    }


def test_the_cli_spells_the_config_variable_as_the_core_does() -> None:
    from dossier.cli.app import ENV_CONFIG
    from dossier.config import ENV_CONFIG as CORE

    assert ENV_CONFIG == CORE
