"""Portfolio monitoring: `dossier notices` over a ledger of 5,000 loans with 500 notices due.

The ledger (CSV, generated here) holds `--loans` loans; `--due` of them owe a notice on the as-of day:
half are in their maturity-reminder window, half are overdue (one collection notice each), so
`dossier notices --kinds reminder,collection` generates `--due` documents and files each into its
borrower's archive. Each run starts from a copy of one imported archive home.

Figures, medians of `--runs` runs, each beside an anchor measured in the same run:
  * notices -j N   `dossier notices --kinds reminder,collection -j N` as a subprocess, from the ledger to
                   filed, linked documents;
    anchor         `dossier generate reminder …` + `dossier generate collection …` -j N on the very same
                   inputs into a copy of the same home: generation and filing without the ledger's work
                   (due computation, the catalog look-ups, the links);
  * second run     the same command again the same day (it must generate nothing);
  * import         `dossier ledger import` of the 5,000 rows into a fresh home, as a subprocess (process
                   start included), `--import-runs` times; anchor: reading and validating the rows only
                   (in process, in the same run).

Aims: ≥ 15 notices/s at -j 2 on two cores (issue 8); import ≥ 1,000 rows/s (issue 16).

    .venv/bin/python bench/ledger.py [--runs 3] [--import-runs 3] [--loans 5000] [--due 500] [--import-only]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from benchlib import (
    BenchError,
    Series,
    entry_point,
    machine,
    markdown_table,
    note,
    run_measured,
    text_table,
    timed,
    write_result,
)

from dossier.archive import Archive
from dossier.archive.audit import plain
from dossier.config import Config, load_config
from dossier.domain.identifiers import resident_check_digit
from dossier.ledger.columns import COLUMNS
from dossier.ledger.importer import read_entries
from dossier.ledger.notices import _input_for, plan_notices
from dossier.ledger.settings import ledger_settings

AS_OF = date(2026, 12, 1)
AIM = 15.0
IMPORT_AIM = 1000.0


def _person(n: int) -> str:
    body = f"3502031980{1 + (n // 1000) % 12:02d}01{n % 1000:03d}"
    return body + resident_check_digit(body)


def _row(n: int, role: str) -> dict[str, str]:
    """``reminder``: matures in 30 days, medium term; ``overdue``: 45 days past due; else quiet."""
    start = AS_OF - timedelta(days=400)
    maturity = AS_OF + timedelta(days=30) if role == "reminder" else AS_OF + timedelta(days=700)
    overdue = role == "overdue"
    return {
        "contract_no": f"JK2025-{n:06d}",
        "receipt_no": f"JJ2025-{n:06d}-01",
        "borrower_key": _person(n),
        "borrower_name": f"借款人{n:05d}",
        "product": "个人经营",
        "amount": "200000.00",
        "rate": "4.35",
        "method": "按月付息到期还本",
        "start_date": start.isoformat(),
        "maturity_date": maturity.isoformat(),
        "balance": "200000.00",
        "overdue_principal": "20000.00" if overdue else "",
        "overdue_interest": "725.00" if overdue else "",
        "overdue_since": (AS_OF - timedelta(days=45)).isoformat() if overdue else "",
        "last_inspection": (AS_OF - timedelta(days=20)).isoformat(),
        "class": "关注" if overdue else "正常",
        "officer": "吴晓东",
        "guarantors": "",
    }


def write_ledger(path: Path, loans: int, due: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.label for c in COLUMNS])
        for n in range(1, loans + 1):
            role = "reminder" if n <= due // 2 else "overdue" if n <= due else "quiet"
            row = _row(n, role)
            writer.writerow([row.get(c.name, "") for c in COLUMNS])  # optional columns left empty


def write_inputs(home: Path, folder: Path, config: Config) -> dict[str, list[Path]]:
    """The inputs `dossier notices` would generate, as files for the `dossier generate` anchor."""
    files: dict[str, list[Path]] = {}
    with Archive.open(home, config=config) as archive:
        lender = ledger_settings(archive.config).lender.as_input()
        plan = plan_notices(archive, AS_OF, ("reminder", "collection"))
        for kind, events in plan.pending.items():
            for i, event in enumerate(events):
                path = folder / f"{kind}-{i:05d}.json"
                data = _input_for(kind, event.view, AS_OF, lender, archive)
                path.write_text(json.dumps(plain(data), ensure_ascii=False), encoding="utf-8")
                files.setdefault(kind, []).append(path)
    return files


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loans", type=int, default=5000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--import-runs", type=int, default=3, help="imports measured (default 3)")
    parser.add_argument("--import-only", action="store_true", help="measure the import only, no notices")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.import_runs < 1:
        parser.error("--runs and --import-runs must be at least 1")
    return args


def measure_imports(
    dossier: Path, ledger: Path, work: Path, config: Path, runs: int
) -> tuple[Series, Series, Series, Path]:
    """Import rates, anchor rates (read + validate only) and their ratios, each run into a fresh home;
    the first run's home is kept as the template for the notices."""
    rates, anchors, ratios = Series(), Series(), Series()
    template = work / "template"
    for run in range(runs):
        note(f"import run {run + 1}/{runs}")
        home = template if run == 0 else work / f"import-{run}"
        wall = run_measured([dossier, "ledger", "import", ledger, "--home", home, "--as-of", AS_OF]).wall
        with Archive.open(home, config=load_config(config)) as archive:
            entries, problems, rows = read_entries(ledger, archive)
            parse = timed(lambda archive=archive: read_entries(ledger, archive))
            if problems or len(entries) != rows:
                raise BenchError(f"the generated ledger has problems: {problems[:3]}")
        rates.add(rows / wall)
        anchors.add(rows / parse)
        ratios.add(parse / wall)
        if home != template:
            shutil.rmtree(home)
    return rates, anchors, ratios, template


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    facts = machine()
    dossier = entry_point("dossier")
    with tempfile.TemporaryDirectory(prefix="dossier-bench-ledger-") as tmp:
        work = Path(tmp)
        config = work / "bank.toml"
        config.write_text(
            '[ledger.lender]\nname = "示例农村商业银行股份有限公司测试支行"\n', encoding="utf-8"
        )
        os.environ["DOSSIER_CONFIG"] = str(config)
        ledger = work / "ledger.csv"
        write_ledger(ledger, args.loans, args.due)
        imports, parses, import_ratios, template = measure_imports(
            dossier, ledger, work, config, args.import_runs
        )
        import_row = [
            f"ledger import, {args.loans} rows (CLI, process start included)",
            f"{imports.median:.0f} rows/s",
            f"{min(imports.values):.0f}–{max(imports.values):.0f}",
            f"read + validate only {parses.median:.0f} rows/s",
            f"{import_ratios.median:.2f}×",
            f"≥ {IMPORT_AIM:.0f}/s {'✓' if imports.median >= IMPORT_AIM else '✗'}",
        ]
        headers = ["figure", "median", "runs (min–max)", "anchor (same run)", "ratio", "aim"]
        if args.import_only:
            return _report(headers, [import_row], facts, started)
        inputs_dir = work / "inputs"
        inputs_dir.mkdir()
        inputs = write_inputs(template, inputs_dir, load_config(config))
        count = sum(len(v) for v in inputs.values())
        if count != args.due:
            raise BenchError(f"{count} notices due, expected {args.due}")

        series: dict[str, Series] = {k: Series() for k in ("n1", "a1", "n2", "a2", "second", "cpu1", "cpu2")}
        for run in range(args.runs):
            for jobs in (1, 2):
                note(f"run {run + 1}/{args.runs}: notices -j {jobs}")
                home = work / f"notices-{run}-{jobs}"
                shutil.copytree(template, home)
                timing = run_measured(
                    [
                        dossier,
                        "notices",
                        "--home",
                        home,
                        "--as-of",
                        AS_OF,
                        "--kinds",
                        "reminder,collection",
                        "-j",
                        jobs,
                        "--json",
                    ]
                )
                series[f"n{jobs}"].add(args.due / timing.wall)
                series[f"cpu{jobs}"].add(timing.cpus_used)
                if jobs == 2:
                    again = run_measured(
                        [
                            dossier,
                            "notices",
                            "--home",
                            home,
                            "--as-of",
                            AS_OF,
                            "--kinds",
                            "reminder,collection",
                        ]
                    )
                    series["second"].add(again.wall)
                shutil.rmtree(home)
                note(f"run {run + 1}/{args.runs}: anchor generate -j {jobs}")
                home = work / f"anchor-{run}-{jobs}"
                shutil.copytree(template, home)
                wall = 0.0
                for kind, files in inputs.items():
                    wall += run_measured(
                        [dossier, "generate", kind, *files, "--home", home, "-j", jobs, "--json"]
                    ).wall
                series[f"a{jobs}"].add(args.due / wall)
                shutil.rmtree(home)

    ratios = {j: series[f"n{j}"].median / series[f"a{j}"].median for j in (1, 2)}
    rows = [
        [
            f"notices -j 1, {args.due} of {args.loans} loans",
            f"{series['n1'].median:.1f} notices/s",
            series["n1"].spread,
            f"generate -j 1 {series['a1'].median:.1f} docs/s",
            f"{ratios[1]:.2f}×",
            "—",
        ],
        [
            f"notices -j 2, {args.due} of {args.loans} loans",
            f"{series['n2'].median:.1f} notices/s",
            series["n2"].spread,
            f"generate -j 2 {series['a2'].median:.1f} docs/s",
            f"{ratios[2]:.2f}×",
            f"≥ {AIM:.0f}/s {'✓' if series['n2'].median >= AIM else '✗'}",
        ],
        [
            "notices -j 2 against -j 1",
            f"{series['n2'].median / series['n1'].median:.2f}×",
            "—",
            f"CPUs busy -j 1 {series['cpu1'].median:.2f}, -j 2 {series['cpu2'].median:.2f}",
            "—",
            "—",
        ],
        [
            "second run the same day (generates nothing)",
            f"{series['second'].median:.2f} s",
            series["second"].spread,
            "—",
            "—",
            "—",
        ],
        import_row,
    ]
    return _report(headers, rows, facts, started)


def _report(headers: list[str], rows: list[list[str]], facts: dict[str, str], started: float) -> int:
    facts["load average at end"] = machine()["load average"]
    facts["duration"] = f"{time.monotonic() - started:.0f} s"
    text = text_table(headers, rows)
    md = "# bench/ledger.py\n\n" + "\n".join(f"- {k}: {v}" for k, v in facts.items()) + "\n\n"
    md += markdown_table(headers, rows) + "\n"
    print(text)
    path = write_result("ledger", md)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
