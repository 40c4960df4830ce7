"""Archive throughput: filing rate and `audit verify` time, each beside an anchor measured in the same run.

Over N small, valid, distinct PDFs (made with pypdf in a temporary folder):
  * filing     ``file_document`` for every PDF into a fresh archive home (10 borrowers, SQLite catalog):
               temp copy, fsync, read-back hash, pending row, link, folder fsync, filed row, audit event;
  * grouped    ``file_documents`` of the same PDFs into another fresh home, groups of 64 (the same steps,
               one commit of pending rows, one fsync per folder and one commit of filed rows per group);
    anchor     ``shutil.copyfile`` of the same files into a plain folder, each fsynced (the bare I/O);
  * verify     ``dossier audit verify`` as a real subprocess on that archive (chain walk + every file
               re-hashed + unknown-file scan, process start included), and ``verify_archive`` in-process;
    anchor     plain SHA-256 of the same archived files, read in the same way.
Every figure is the median of --runs runs; ratios are taken within each run, then their median reported.

    .venv/bin/python bench/archive.py [--docs 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (
    BenchError,
    Series,
    entry_point,
    machine,
    markdown_table,
    note,
    run_timed,
    text_table,
    timed,
    write_result,
)
from pypdf import PdfWriter

from dossier.archive import Archive
from dossier.archive.filing import FilingRequest, file_document, file_documents
from dossier.archive.integrity import verify_archive
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.domain.identifiers import resident_check_digit

BORROWERS = 10


@dataclass
class Run:
    file_rate: float
    group_rate: float
    copy_rate: float
    verify_cli_s: float
    verify_inproc_s: float
    hash_s: float


@dataclass
class Figures:
    file_rate: Series = field(default_factory=Series)
    group_rate: Series = field(default_factory=Series)
    group_ratio: Series = field(default_factory=Series)
    copy_rate: Series = field(default_factory=Series)
    file_ratio: Series = field(default_factory=Series)
    verify_cli: Series = field(default_factory=Series)
    verify_inproc: Series = field(default_factory=Series)
    hash_time: Series = field(default_factory=Series)
    verify_ratio: Series = field(default_factory=Series)
    verify_inproc_ratio: Series = field(default_factory=Series)
    mean_size: str = ""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1000, help="documents per run (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported (default 3)")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.runs < 1:
        parser.error("--docs and --runs must be at least 1")
    return args


def make_pdfs(folder: Path, count: int) -> list[Path]:
    """``count`` one-page PDFs, each different (its own title and page size), about 1 KB each."""
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        writer = PdfWriter()
        writer.add_blank_page(width=595 + i % 7, height=842)
        writer.add_metadata({"/Title": f"扫描件 {i:05d}", "/Producer": "dossier bench"})
        buffer = io.BytesIO()
        writer.write(buffer)
        path = folder / f"scan-{i:05d}.pdf"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def borrower_keys() -> list[str]:
    bodies = [f"11010519800101{i:03d}" for i in range(BORROWERS)]
    return [body + resident_check_digit(body) for body in bodies]


def file_all(
    home: Path, pdfs: list[Path], keys: list[str], *, grouped: bool = False, config: Path | None = None
) -> float:
    """Seconds to file every PDF (borrowers registered beforehand, outside the timing), one by one or
    through file_documents; ``config`` names the catalog (bench/catalog.py), else the defaults."""
    with Archive.init(home, config=load_config(config)) as archive:
        for n, key in enumerate(keys):
            ensure_borrower(archive, key, f"借款人{n}", "person", actor="bench")

        def work() -> None:
            if grouped:
                requests = [
                    FilingRequest(
                        pdf,
                        keys[i % len(keys)],
                        "basic",
                        "credit-report-personal",
                        pdf.stem,
                        original_name=pdf.name,
                        actor="bench",
                    )
                    for i, pdf in enumerate(pdfs)
                ]
                results = file_documents(archive, requests)
                if [r.status for r in results] != ["filed"] * len(pdfs):
                    raise BenchError("file_documents did not file every PDF as new")
                return
            for i, pdf in enumerate(pdfs):
                result = file_document(
                    archive,
                    pdf,
                    borrower_key=keys[i % len(keys)],
                    category="basic",
                    doc_type="credit-report-personal",
                    title=pdf.stem,
                    original_name=pdf.name,
                    actor="bench",
                )
                if result.status != "filed":
                    raise BenchError(f"{pdf.name} was {result.status}, expected filed")

        return timed(work)


def copy_all(target: Path, pdfs: list[Path]) -> float:
    """The anchor: copy each file into a plain folder and fsync it, as bare as filing can get."""
    target.mkdir(parents=True)

    def work() -> None:
        for pdf in pdfs:
            destination = target / pdf.name
            shutil.copyfile(pdf, destination)
            with destination.open("rb+") as fh:
                os.fsync(fh.fileno())

    return timed(work)


def hash_all(paths: list[Path]) -> float:
    def work() -> None:
        for path in paths:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
            digest.hexdigest()

    return timed(work)


def archived_files(home: Path) -> list[Path]:
    skip = {"_inbox", "_quarantine", ".dossier"}
    return sorted(p for p in home.rglob("*") if p.is_file() and p.relative_to(home).parts[0] not in skip)


def one_run(work: Path, pdfs: list[Path], keys: list[str], dossier: Path, run_no: int) -> Run:
    home = work / f"home-{run_no}"
    copy_s = copy_all(work / f"copies-{run_no}", pdfs)
    file_s = file_all(home, pdfs, keys)
    group_home = work / f"grouped-{run_no}"
    group_s = file_all(group_home, pdfs, keys, grouped=True)
    if len(archived_files(group_home)) != len(pdfs):
        raise BenchError("file_documents left a different number of files")
    shutil.rmtree(group_home)
    files = archived_files(home)
    if len(files) != len(pdfs):
        raise BenchError(f"{len(files)} files in the archive, expected {len(pdfs)}")
    hash_s = hash_all(files)
    verify_cli_s = run_timed([dossier, "audit", "verify", "--home", home])
    with Archive.open(home, config=load_config()) as archive:
        start = time.perf_counter()
        report = verify_archive(archive, record=False)
        verify_inproc_s = time.perf_counter() - start
    if not report.ok or report.documents != len(pdfs):
        raise BenchError(f"verify did not pass on the benchmark archive: {report}")
    return Run(
        len(pdfs) / file_s, len(pdfs) / group_s, len(pdfs) / copy_s, verify_cli_s, verify_inproc_s, hash_s
    )


def report(
    figures: Figures, args: argparse.Namespace, facts: dict[str, str], elapsed: float
) -> tuple[str, str]:
    per_k = 1000 / args.docs
    headers = ["figure", "dossier", "anchor", "ratio", "runs (dossier)"]
    rows = [
        [
            "filing, files/s",
            f"{figures.file_rate.median:.1f}",
            f"{figures.copy_rate.median:.1f}",
            f"{figures.file_ratio.median:.3f}",
            figures.file_rate.spread,
        ],
        [
            "filing, file_documents (groups of 64), files/s",
            f"{figures.group_rate.median:.1f}",
            f"{figures.copy_rate.median:.1f}",
            f"{figures.group_ratio.median:.3f}",
            figures.group_rate.spread,
        ],
        [
            f"audit verify (CLI, {args.docs} docs), s",
            f"{figures.verify_cli.median:.2f}",
            f"{figures.hash_time.median:.2f}",
            f"{figures.verify_ratio.median:.1f}",
            _spread(figures.verify_cli, 1.0),
        ],
        [
            "verify_archive (in-process), s per 1,000 docs",
            f"{figures.verify_inproc.median * per_k:.2f}",
            f"{figures.hash_time.median * per_k:.2f}",
            f"{figures.verify_inproc_ratio.median:.1f}",
            _spread(figures.verify_inproc, per_k),
        ],
    ]
    notes = [
        f"{args.docs} distinct one-page PDFs (~{figures.mean_size} each), {BORROWERS} borrowers, "
        f"medians of {args.runs} runs, {elapsed:.0f} s in all.",
        "Filing anchor: shutil.copyfile + fsync of the same files into a plain folder; the ratio is "
        "dossier's rate over the anchor's (1.0 = as fast as a bare copy).",
        "Verify anchor: plain SHA-256 of the same archived files; the ratio is dossier's time over the "
        "anchor's. The CLI figure includes process start (imports, opening the catalog) and is not "
        "scaled; the in-process figure is scaled to 1,000 documents.",
    ]
    machine_lines = [f"{k}: {v}" for k, v in facts.items()]
    text = "\n".join(["archive benchmark", "", text_table(headers, rows), "", *notes, "", *machine_lines])
    md = "\n".join(
        [
            "# Archive: filing rate and audit verify",
            "",
            markdown_table(headers, rows),
            "",
            *[f"- {n}" for n in notes],
            "",
            "Machine:",
            "",
            *[f"- {line}" for line in machine_lines],
            "",
        ]
    )
    return text, md


def _spread(series: Series, scale: float) -> str:
    return f"{min(series.values) * scale:.2f}–{max(series.values) * scale:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    facts = machine()
    dossier = entry_point("dossier")
    keys = borrower_keys()
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="dossier-bench-archive-") as tmp:
        work = Path(tmp)
        pdfs = make_pdfs(work / "pdfs", args.docs)
        mean = sum(p.stat().st_size for p in pdfs) / len(pdfs)
        figures.mean_size = f"{mean / 1024:.1f} KB"
        for run_no in range(args.runs):
            note(f"run {run_no + 1}/{args.runs}: filing {args.docs} PDFs, copying, verifying")
            run = one_run(work, pdfs, keys, dossier, run_no)
            figures.file_rate.add(run.file_rate)
            figures.copy_rate.add(run.copy_rate)
            figures.file_ratio.add(run.file_rate / run.copy_rate)
            figures.group_rate.add(run.group_rate)
            figures.group_ratio.add(run.group_rate / run.copy_rate)
            figures.verify_cli.add(run.verify_cli_s)
            figures.verify_inproc.add(run.verify_inproc_s)
            figures.hash_time.add(run.hash_s)
            figures.verify_ratio.add(run.verify_cli_s / run.hash_s)
            figures.verify_inproc_ratio.add(run.verify_inproc_s / run.hash_s)
    text, md = report(figures, args, facts, time.monotonic() - started)
    print(text)
    path = write_result("archive", md)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
