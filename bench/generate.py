"""Document generation throughput, each figure beside plain docxtpl measured in the same run.

Per kind (every kind the registry finds), over N copies of the kind's example input:
  * CLI        `dossier generate KIND f1.yaml … fN.yaml -j 1 -o DIR` as a real subprocess: load, validate,
               derive, render and save, process start included, nothing subtracted;
  * in-process one Generator (made inside the timed region) → generate() + Document.save() per input;
  * raw        the anchor: plain docxtpl on the same template with the same template data, a fresh
               DocxTemplate per document (docxtpl cannot render a rendered object twice), a plain Jinja2
               Environment with our filters, autoescape on.
Then a batch of collection notices through `dossier generate collection` with -j 1 and -j 2.

Ratios are taken within each run (numerator and anchor measured back to back) and the median of those
is reported. Aims (issue 3): in-process and CLI ≥ 1.5× raw docxtpl; -j 2 ≥ 1.7× -j 1.

    .venv/bin/python bench/generate.py [--runs 3] [--n 25] [--batch 1000] [--kinds a,b]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from benchlib import (
    BenchError,
    Series,
    Timing,
    capture,
    entry_point,
    machine,
    markdown_table,
    note,
    run_measured,
    run_timed,
    text_table,
    timed,
    write_result,
)
from docx import Document as open_docx
from docxtpl import DocxTemplate

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import SHIPPED_TEMPLATES, Generator
from dossier.inputs import parse_text
from dossier.kinds.base import Kind
from dossier.kinds.registry import all_kinds, get_kind
from dossier.render.filters import template_filters

AIM_RAW = 1.5
AIM_JOBS = 1.7
# Identifiers bumped per copy so each copy gets its own document number and, where the kind's file name
# uses one of them, its own output file.
ID_PATHS = (
    "contract_number",
    "loan.contract_number",
    "loan.receipt_number",
    "report_no",
    "approval.approval_no",
    "doc_no",
)
_LAST_DIGITS = re.compile(r"(\d+)(?!.*\d)")


# -- inputs ---------------------------------------------------------------------------------------


@dataclass
class Inputs:
    kind: Kind
    files: list[Path]
    data: list[dict[str, Any]]
    contexts: list[dict[str, Any]]
    filenames: set[str]
    varied: bool


def _lookup(data: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _bump(value: str, i: int) -> str:
    match = _LAST_DIGITS.search(value)
    assert match is not None
    digits = match.group(1)
    bumped = str(int(digits) + i).zfill(len(digits))
    return value[: match.start(1)] + bumped + value[match.end(1) :]


def _variant(text: str, values: Sequence[str], i: int) -> str:
    if not values or i == 0:
        return text
    mapping = {v: _bump(v, i) for v in values}
    # one pass, longest first, so a bumped value is never bumped again and a value containing another wins
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def write_inputs(kind: Kind, n: int, folder: Path, generator: Generator) -> Inputs:
    """N copies of the kind's example as YAML files, with distinct identifiers when they still validate."""
    text = kind.example_text()
    example = kind.example()
    values = sorted(
        {v for p in ID_PATHS if isinstance(v := _lookup(example, p), str) and _LAST_DIGITS.search(v)}
    )
    texts = [_variant(text, values, i) for i in range(n)]
    try:  # the furthest copy is the likeliest to break a rule (a sequence number out of range, say)
        generator.prepare(kind, parse_text(texts[-1], source="copy"))
    except InputError:
        texts = [text] * n
        values = []
    folder.mkdir(parents=True, exist_ok=True)
    files, data, contexts, names = [], [], [], set()
    for i, t in enumerate(texts):
        path = folder / f"{kind.name}-{i:04d}.yaml"
        path.write_text(t, encoding="utf-8")
        parsed = parse_text(t, source=str(path))
        _, model, context, _ = generator.prepare(kind, parsed)
        files.append(path)
        data.append(parsed)
        contexts.append(context)
        names.add(kind.filename(model))
    return Inputs(kind, files, data, contexts, names, varied=bool(values))


# -- the three ways to generate -------------------------------------------------------------------


def cli_generate(
    dossier: Path, kind: str, files: Sequence[Path], out: Path, jobs: int, extra: Sequence[str]
) -> Timing:
    out.mkdir(parents=True)
    return run_measured([dossier, "generate", kind, *files, "-o", out, "-j", str(jobs), *extra])


def in_process(inputs: Inputs, out: Path) -> float:
    out.mkdir(parents=True)

    def work() -> None:
        # Inside the timed region: its template cache is built once per run.
        generator = Generator(config=load_config())
        for data in inputs.data:
            generator.generate(inputs.kind, data).save(out)

    return timed(work)


def raw_environment() -> jinja2.Environment:
    environment = jinja2.Environment()
    environment.filters.update(template_filters())
    return environment


def raw_docxtpl(inputs: Inputs, template: Path, out: Path, environment: jinja2.Environment) -> float:
    out.mkdir(parents=True)

    def work() -> None:
        for i, context in enumerate(inputs.contexts):
            tpl = DocxTemplate(template)
            tpl.render(context, environment, autoescape=True)
            tpl.save(out / f"raw-{i:04d}.docx")

    return timed(work)


def _docx_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.docx") if not p.name.startswith("."))


def _check_outputs(folder: Path, expected: int, what: str) -> None:
    found = _docx_files(folder)
    if len(found) != expected:
        raise BenchError(f"{what}: expected {expected} DOCX files in {folder}, found {len(found)}")
    with zipfile.ZipFile(found[0]) as z:
        if "word/document.xml" not in z.namelist():
            raise BenchError(f"{what}: {found[0]} is not a DOCX")


def _text(path: Path) -> list[str]:
    document = open_docx(str(path))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


def same_text(ours: Path, raw: Path) -> str:
    """Whether our document and plain docxtpl's say the same thing: the anchor must be a correct document."""
    a, b = _text(ours), _text(raw)
    if a == b:
        return "same"
    differing = sum(1 for x, y in zip(a, b, strict=False) if x != y) + abs(len(a) - len(b))
    return f"{differing} of {max(len(a), len(b))} paragraphs/cells differ"


# -- the benchmark --------------------------------------------------------------------------------


@dataclass
class KindResult:
    name: str
    cli: Series = field(default_factory=Series)
    inproc: Series = field(default_factory=Series)
    raw: Series = field(default_factory=Series)
    inproc_ratio: Series = field(default_factory=Series)
    cli_ratio: Series = field(default_factory=Series)
    files: int = 0
    varied: bool = False
    text_check: str = ""


@dataclass
class BatchResult:
    n: int
    j1: Series = field(default_factory=Series)
    j2: Series = field(default_factory=Series)
    speedup: Series = field(default_factory=Series)
    cpu1: Series = field(default_factory=Series)
    cpu2: Series = field(default_factory=Series)
    busy1: Series = field(default_factory=Series)
    busy2: Series = field(default_factory=Series)
    runs_note: str = ""


def bench_kinds(
    kinds: Sequence[Kind], n: int, runs: int, work: Path, dossier: Path, cli_extra: Sequence[str]
) -> list[KindResult]:
    generator = Generator(config=load_config())
    environment = raw_environment()
    results = []
    for kind in kinds:
        inputs = write_inputs(kind, n, work / "inputs" / kind.name, generator)
        template = SHIPPED_TEMPLATES / kind.template
        result = KindResult(kind.name, files=len(inputs.files), varied=inputs.varied)
        for run in range(runs):
            base = work / "out" / kind.name / str(run)
            t_cli = cli_generate(dossier, kind.name, inputs.files, base / "cli", 1, cli_extra).wall
            t_in = in_process(inputs, base / "inproc")
            t_raw = raw_docxtpl(inputs, template, base / "raw", environment)
            if run == 0:
                _check_outputs(base / "cli", len(inputs.files), f"{kind.name} CLI")
                _check_outputs(base / "inproc", len(inputs.files), f"{kind.name} in-process")
                _check_outputs(base / "raw", n, f"{kind.name} raw docxtpl")
                # the last copy: where copies share a file name, the last one written is the one left
                last = max(_docx_files(base / "inproc"), key=lambda p: p.stat().st_mtime_ns)
                result.text_check = same_text(last, base / "raw" / f"raw-{n - 1:04d}.docx")
            cli, inproc, raw = n / t_cli, n / t_in, n / t_raw
            result.cli.add(cli)
            result.inproc.add(inproc)
            result.raw.add(raw)
            result.inproc_ratio.add(inproc / raw)
            result.cli_ratio.add(cli / raw)
            note(
                f"  {kind.name:<20} run {run + 1}/{runs}: CLI {cli:6.1f}  in-process {inproc:6.1f}  "
                f"raw {raw:6.1f} docs/s"
            )
        results.append(result)
    return results


def bench_batch(
    count: int, runs: int, work: Path, dossier: Path, cli_extra: Sequence[str], deadline: float, fixed: bool
) -> BatchResult:
    kind = get_kind("collection")
    inputs = write_inputs(kind, count, work / "inputs" / "batch", Generator(config=load_config()))
    result = BatchResult(count)
    planned = runs
    for run in range(runs):
        started = time.monotonic()
        base = work / "out" / "batch" / str(run)
        t1 = cli_generate(dossier, kind.name, inputs.files, base / "j1", 1, cli_extra)
        t2 = cli_generate(dossier, kind.name, inputs.files, base / "j2", 2, cli_extra)
        if run == 0:
            _check_outputs(base / "j1", len(inputs.files), "batch -j 1")
            _check_outputs(base / "j2", len(inputs.files), "batch -j 2")
        result.j1.add(count / t1.wall)
        result.j2.add(count / t2.wall)
        result.speedup.add(t1.wall / t2.wall)
        result.cpu1.add(t1.cpu)
        result.cpu2.add(t2.cpu)
        result.busy1.add(t1.cpus_used)
        result.busy2.add(t2.cpus_used)
        note(
            f"  batch of {count}, run {run + 1}: -j 1 {t1.wall:.1f} s ({t1.cpu:.1f} CPU-s), "
            f"-j 2 {t2.wall:.1f} s ({t2.cpu:.1f} CPU-s): {t1.wall / t2.wall:.2f}×"
        )
        pair = time.monotonic() - started
        left = runs - run - 1
        if not fixed and left and time.monotonic() + pair * left > deadline:
            # one more pair would take the whole run past its time budget: stop here and say so
            planned = run + 1
            break
    if planned < runs:
        result.runs_note = (
            f"batch measured {planned} time(s), not {runs}: one -j 1/-j 2 pair took "
            f"{pair:.0f} s and more would exceed the time budget (--budget; --batch-runs to force)"
        )
    return result


def _templates_stamp(kinds: Sequence[Kind]) -> dict[str, tuple[int, int]]:
    stamps = {}
    for kind in kinds:
        stat = (SHIPPED_TEMPLATES / kind.template).stat()
        stamps[kind.name] = (stat.st_mtime_ns, stat.st_size)
    return stamps


def _geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _mark(value: float, aim: float) -> str:
    return "✓" if value >= aim else "✗"


def report(
    kinds: list[KindResult],
    batch: BatchResult | None,
    args: argparse.Namespace,
    facts: dict[str, str],
    startup: Series,
    notes: list[str],
    elapsed: float,
) -> tuple[str, str]:
    headers = [
        "kind",
        "CLI docs/s",
        "in-process docs/s",
        "raw docxtpl docs/s",
        "in-process/raw",
        "CLI/raw",
        "files",
        "text vs raw",
    ]
    rows = []
    for r in kinds:
        rows.append(
            [
                r.name,
                f"{r.cli.median:.1f}",
                f"{r.inproc.median:.1f}",
                f"{r.raw.median:.1f}",
                f"{r.inproc_ratio.median:.2f}× {_mark(r.inproc_ratio.median, AIM_RAW)}",
                f"{r.cli_ratio.median:.2f}× {_mark(r.cli_ratio.median, AIM_RAW)}",
                f"{r.files}" + (" (same name)" if r.files < args.n else ""),
                r.text_check,
            ]
        )
    if kinds:
        g_in = _geomean([r.inproc_ratio.median for r in kinds])
        g_cli = _geomean([r.cli_ratio.median for r in kinds])
        rows.append(
            [
                "geometric mean",
                "",
                "",
                "",
                f"{g_in:.2f}× {_mark(g_in, AIM_RAW)}",
                f"{g_cli:.2f}× {_mark(g_cli, AIM_RAW)}",
                "",
                "",
            ]
        )
    b_headers = ["batch of collection notices", "docs/s", "runs (docs/s)", "vs -j 1", "CPU-s", "CPUs busy"]
    raw = next((r.raw.median for r in kinds if r.name == "collection"), None)
    if raw is not None:
        b_headers.append("vs raw docxtpl")
    b_rows = []
    if batch is not None:
        for label, speed, cpu, busy, vs_j1 in (
            ("-j 1", batch.j1, batch.cpu1, batch.busy1, "1.00×"),
            ("-j 2", batch.j2, batch.cpu2, batch.busy2, f"{batch.speedup.median:.2f}×"),
        ):
            if label == "-j 2":
                vs_j1 += " " + _mark(batch.speedup.median, AIM_JOBS)
            row = [
                f"{label} ({batch.n} docs)",
                f"{speed.median:.1f}",
                speed.spread,
                vs_j1,
                f"{cpu.median:.1f}",
                f"{busy.median:.2f}",
            ]
            if raw is not None:
                row.append(f"{speed.median / raw:.2f}×")
            b_rows.append(row)
    params = (
        f"runs={args.runs}, n={args.n} copies per kind, batch={args.batch}, "
        f"CLI start-up (`dossier kinds`) median {startup.median:.2f} s, total {elapsed:.0f} s"
    )
    all_notes = [
        "Ratios are medians of per-run ratios (each figure and its anchor measured back to back).",
        f"Aims: in-process and CLI ≥ {AIM_RAW}× raw docxtpl; -j 2 ≥ {AIM_JOBS}× -j 1. "
        "CLI figures include process start, YAML loading and validation; "
        "raw docxtpl gets ready template data.",
        *notes,
    ]
    if batch is not None:
        all_notes.append(
            "Batch: CPU-s counts the command and its worker processes; CPUs busy = CPU-s / wall seconds. "
            "On a machine shared with other work, -j 2 cannot keep 2 CPUs busy and its speed-up is capped."
        )
        cpu1, cpu2, serial = batch.cpu1.median, batch.cpu2.median, startup.median
        # on idle CPUs: -j 1 takes its CPU time; -j 2 the serial start-up plus half of the rest
        idle = cpu1 / (serial + (cpu2 - serial) / 2)
        all_notes.append(
            f"Batch CPU-s -j 2 / -j 1 = {cpu2 / cpu1:.2f} (the work parallel workers add). Estimate, not a "
            f"measurement: on 2 otherwise idle CPUs, with {serial:.1f} s of serial start-up, "
            f"-j 2 would run at about {idle:.2f}× -j 1."
        )
        if raw is not None:
            all_notes.append("Batch 'vs raw docxtpl': against the collection row's raw docxtpl docs/s above.")
        if batch.runs_note:
            all_notes.append(batch.runs_note)

    text = [
        f"dossier generate benchmark — {facts['date']}",
        "machine: " + ", ".join(f"{k} {v}" for k, v in facts.items() if k != "date"),
        params,
        "",
        text_table(headers, rows),
    ]
    if b_rows:
        text += ["", text_table(b_headers, b_rows)]
    text += ["", *(f"* {n}" for n in all_notes)]

    md = [
        "# bench/generate.py",
        "",
        f"- date: {facts['date']}",
        *(f"- {k}: {v}" for k, v in facts.items() if k != "date"),
        f"- {params}",
        "",
        "## Documents per second, per kind",
        "",
        markdown_table(headers, rows),
    ]
    if b_rows:
        md += ["", "## Batch", "", markdown_table(b_headers, b_rows)]
    md += ["", "## Notes", "", *(f"- {n}" for n in all_notes), ""]
    return "\n".join(text), "\n".join(md)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians are reported (3)")
    parser.add_argument("--n", type=int, default=20, help="copies of each kind's example per run (20)")
    parser.add_argument(
        "--batch", type=int, default=1000, help="collection notices in the batch; 0 skips (1000)"
    )
    parser.add_argument(
        "--batch-runs",
        type=int,
        default=0,
        help="runs of the batch; default: up to --runs while within --budget",
    )
    parser.add_argument("--budget", type=float, default=330, help="seconds the whole run aims to stay within")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + args.budget
    facts = machine()
    dossier = entry_point("dossier")
    help_text = capture([dossier, "generate", "--help"])
    # archive filing may land in `dossier generate`; the benchmark measures generation only
    cli_extra = ["--no-file"] if "--no-file" in help_text else []
    notes = [f"CLI called as `dossier generate KIND FILES… -o DIR -j N{' --no-file' if cli_extra else ''}`."]

    registry = all_kinds()
    wanted = [k for k in args.kinds.split(",") if k.strip()]
    kinds = [get_kind(k) for k in wanted] if wanted else list(registry.values())
    before = _templates_stamp(kinds)

    startup = Series()
    with tempfile.TemporaryDirectory(prefix="dossier-bench-") as tmp:
        work = Path(tmp)
        for _ in range(args.runs):
            startup.add(run_timed([dossier, "kinds"]))
        note(f"{len(kinds)} kinds × {args.runs} runs × {args.n} documents (CLI, in-process, raw docxtpl)")
        kind_results = bench_kinds(kinds, args.n, args.runs, work, dossier, cli_extra)
        batch = None
        if args.batch > 0:
            runs = args.batch_runs or args.runs
            note(f"batch: {args.batch} collection notices, -j 1 and -j 2")
            batch = bench_batch(args.batch, runs, work, dossier, cli_extra, deadline, bool(args.batch_runs))

    if _templates_stamp(kinds) != before:
        notes.append("WARNING: a template file changed during the run; figures may mix template versions.")
    unvaried = [r.name for r in kind_results if not r.varied or r.files < args.n]
    if unvaried:
        notes.append(
            "Copies share one output file name (each overwrites the last) for: " + ", ".join(unvaried) + "."
        )
    facts["load average at end"] = machine()["load average"]
    text, md = report(kind_results, batch, args, facts, startup, notes, time.monotonic() - started)
    print(text)
    path = write_result("generate", md)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
