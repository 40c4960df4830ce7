"""CLI start-up: how long `dossier` takes before it does anything, against a bare interpreter.

Figures, medians of `--runs` runs, each beside an anchor measured in the same run:
  * `dossier --version`              the app imported and parsed, nothing else;
  * `dossier calc capital 1680.32`   a light command (domain arithmetic only);
  * `dossier kinds`                  a command that loads the kinds' registry (pydantic schemas, YAML);
    anchor  `python -c pass` on the same interpreter (with the virtual environment's site-packages): the
            floor no Python command line can go below.

With `--baseline DIR` (a checkout of an earlier commit, e.g. `git worktree add /tmp/cli-before HEAD~1`)
the same commands also run from DIR's sources (PYTHONPATH=DIR/src:DIR, same interpreter and packages),
interleaved with the others, so "before" and "after" share the machine's load.

Runs are interleaved in a shuffled order each round, so a burst of load from other jobs spreads over
every figure instead of landing on one.

    .venv/bin/python bench/cli_startup.py [--runs 15] [--baseline /tmp/cli-before]

Tables go to stdout; bench/results/cli_startup.json and cli_startup.md hold the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (
    RESULTS,
    BenchError,
    Series,
    entry_point,
    machine,
    markdown_table,
    note,
    quiet_env,
    text_table,
    write_result,
)

COMMANDS: dict[str, tuple[list[str], str]] = {
    # name: (arguments, a line the output must contain)
    "--version": (["--version"], "dossier "),
    "calc capital 1680.32": (["calc", "capital", "1680.32"], "人民币壹仟陆佰捌拾元零叁角贰分"),
    "kinds": (["kinds", "--json"], '"name": "loan-contract"'),
}
ANCHOR = "python -c pass"


@dataclass
class Target:
    """One command line measured: which sources it runs from, and its timings."""

    label: str
    args: list[str]
    env: dict[str, str]
    expect: str = ""
    wall: Series = field(default_factory=Series)
    cpu: Series = field(default_factory=Series)


def run_once(target: Target) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run; fail loudly if it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        target.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=target.env, check=False
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace")[-2000:]
        raise BenchError(f"{target.label} failed with exit code {proc.returncode}\n{tail}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_output(target: Target) -> None:
    """The command does what it is measured doing (and from the sources it is meant to run from)."""
    proc = subprocess.run(target.args, capture_output=True, text=True, env=target.env, check=False)
    if proc.returncode != 0 or target.expect not in proc.stdout:
        raise BenchError(f"{target.label}: unexpected output\n{proc.stdout[-500:]}{proc.stderr[-1500:]}")


def source_env(tree: Path | None) -> dict[str, str]:
    env = quiet_env()
    env.pop("PYTHONPATH", None)
    env.pop("DOSSIER_CONFIG", None)
    if tree is not None:
        # Ahead of site-packages, so these sources win over the editable install of the working tree.
        env["PYTHONPATH"] = f"{tree / 'src'}{os.pathsep}{tree}"
    return env


def where_from(env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", "import dossier.cli.app as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return proc.stdout.strip()


def targets(baseline: Path | None) -> tuple[Target, list[Target], list[Target]]:
    dossier = str(entry_point("dossier"))
    anchor = Target(ANCHOR, [sys.executable, "-c", "pass"], source_env(None))
    now = [
        Target(name, [dossier, *argv], source_env(None), expect) for name, (argv, expect) in COMMANDS.items()
    ]
    before = []
    if baseline is not None:
        if not (baseline / "src" / "dossier" / "cli" / "app.py").is_file():
            raise BenchError(f"--baseline {baseline} is not a checkout of dossier")
        before = [
            Target(f"{name} (baseline)", [dossier, *argv], source_env(baseline), expect)
            for name, (argv, expect) in COMMANDS.items()
        ]
        found = where_from(before[0].env)
        if not found.startswith(str(baseline.resolve())):
            raise BenchError(f"the baseline runs from {found}, not from {baseline}")
    return anchor, now, before


def measure(all_targets: list[Target], runs: int, warmup: int) -> None:
    order = list(all_targets)
    rng = random.Random(20260601)
    for target in all_targets:
        if target.expect:
            check_output(target)
        for _ in range(warmup):  # page cache, .pyc files
            run_once(target)
    for n in range(runs):
        note(f"round {n + 1}/{runs}")
        rng.shuffle(order)
        for target in order:
            wall, cpu = run_once(target)
            target.wall.add(wall)
            target.cpu.add(cpu)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def table_rows(anchor: Target, now: list[Target], before: list[Target]) -> list[list[str]]:
    base = anchor.wall.median
    rows = [[anchor.label, ms(base), _spread_ms(anchor.wall), ms(anchor.cpu.median), "1.00×", "—", "—"]]
    for i, target in enumerate(now):
        old = before[i] if before else None
        rows.append(
            [
                target.label,
                ms(target.wall.median),
                _spread_ms(target.wall),
                ms(target.cpu.median),
                f"{target.wall.median / base:.2f}×",
                ms(target.wall.median - base),
                f"{old.wall.median / target.wall.median:.2f}×" if old else "—",
            ]
        )
    for target in before:
        rows.append(
            [
                target.label,
                ms(target.wall.median),
                _spread_ms(target.wall),
                ms(target.cpu.median),
                f"{target.wall.median / base:.2f}×",
                ms(target.wall.median - base),
                "—",
            ]
        )
    return rows


def _spread_ms(series: Series) -> str:
    return f"{ms(min(series.values))}–{ms(max(series.values))}"


HEADERS = ["command", "median ms", "min–max ms", "CPU ms", "vs anchor", "over anchor ms", "baseline / now"]


def to_json(
    anchor: Target, now: list[Target], before: list[Target], args: argparse.Namespace, facts: dict[str, str]
) -> str:
    def figures(t: Target) -> dict[str, object]:
        return {
            "median_s": round(t.wall.median, 4),
            "min_s": round(min(t.wall.values), 4),
            "max_s": round(max(t.wall.values), 4),
            "cpu_median_s": round(t.cpu.median, 4),
            "vs_anchor": round(t.wall.median / anchor.wall.median, 3),
            "runs_s": [round(v, 4) for v in t.wall.values],
        }

    payload: dict[str, object] = {
        "bench": "cli_startup",
        "machine": facts,
        "runs": args.runs,
        "anchor": {"command": ANCHOR, **figures(anchor)},
        "commands": {t.label: figures(t) for t in now},
    }
    if before:
        payload["baseline"] = {
            "tree": str(args.baseline),
            "commands": {name: figures(t) for name, t in zip(COMMANDS, before, strict=True)},
            "speed_up": {
                name: round(old.wall.median / new.wall.median, 2)
                for name, old, new in zip(COMMANDS, before, now, strict=True)
            },
        }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="runs of each command; medians (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first (default 2)")
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of an earlier commit, measured in the same run"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    anchor, now, before = targets(args.baseline)
    facts = machine()
    measure([anchor, *now, *before], args.runs, args.warmup)
    facts["load average after"] = machine()["load average"]
    rows = table_rows(anchor, now, before)
    print(text_table(HEADERS, rows))
    md = "\n".join(
        [
            "# CLI start-up",
            "",
            *(f"- {k}: {v}" for k, v in facts.items()),
            f"- runs: {args.runs} (medians), interleaved",
            *([f"- baseline: {args.baseline}"] if before else []),
            "",
            markdown_table(HEADERS, rows),
            "",
        ]
    )
    write_result("cli_startup", md)
    (RESULTS / "cli_startup.json").write_text(to_json(anchor, now, before, args, facts), encoding="utf-8")
    print(f"\nwritten: {RESULTS / 'cli_startup.json'} and {RESULTS / 'cli_startup.md'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
