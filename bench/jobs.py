"""Jobs on the queue (procrastinate on a PostgreSQL catalog): overhead per job and OCR throughput.

On a throwaway PostgreSQL cluster (tests/kit/postgres.py), one run:
  * overhead   N OCR jobs whose document needs no OCR (the job's cheapest path: read the document, find
               nothing to do), worked by one `dossier worker` (concurrency 1), from the first defer to the
               last run recorded ``succeeded``, per job;
    anchor     the same job function called directly N times in this process (no queue, no run row);
               overhead = queued − direct, per job. Aim: ≤ 10 ms.
  * OCR        P scanned pages (text rendered to an image, a PDF with no text layer) queued for OCR, worked
               by one worker, then (a fresh database and home) by two; pages per minute, from the defer to
               the last ``ocr`` event, workers started and registered beforehand.
    anchor     the same pages OCR'd one after the other in this process (indexer.extract.ocr_file).
               Aim: two workers ≥ 1.7× one.

    .venv/bin/python bench/jobs.py [--jobs 200] [--pages 16]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "jobs")]

from benchlib import machine, markdown_table, note, text_table, write_result  # noqa: E402
from jobkit import BORROWER, Home, events, file_scans, make_home, runs, scanned_page, stop, wait_until  # noqa: E402
from kit.postgres import Cluster, throwaway_cluster  # noqa: E402
from sqlalchemy import text  # noqa: E402

from dossier.archive.filing import file_document  # noqa: E402
from dossier.archive.registry import ensure_borrower  # noqa: E402
from dossier.jobs.definitions import JobKind, Work  # noqa: E402
from dossier.jobs.followups import index_soon  # noqa: E402
from dossier.jobs.ocr import ocr_job  # noqa: E402
from dossier.jobs.ocr_names import subject  # noqa: E402
from dossier.jobs.queue import QueueRunner, lock_for  # noqa: E402
from indexer.extract import ocr_file  # noqa: E402

LIMIT_S = 3600.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200, help="no-op OCR jobs for the overhead (200)")
    parser.add_argument("--pages", type=int, default=16, help="scanned pages for the OCR throughput (16)")
    return parser.parse_args(argv)


def _workers_registered(home: Home, count: int) -> None:
    with home.archive() as archive:
        QueueRunner(archive)  # procrastinate's tables, before the workers look for them

        def registered() -> bool:
            with archive.engine.connect() as connection:
                found = connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
            return int(found) >= count

        wait_until(registered, limit_s=LIMIT_S, what=f"{count} workers registered")


def overhead(cluster: Cluster, work: Path, count: int) -> tuple[float, float]:
    """(direct ms per job, queued ms per job)."""
    cluster.create_database("bench_overhead")
    home = make_home(work / "overhead", cluster.url("bench_overhead"))
    with home.archive() as archive:
        ensure_borrower(archive, BORROWER, "张三", "person")
        ids = []
        for n in range(count):
            filed = file_document(
                archive,
                f"note {n}\n".encode(),
                borrower_key=BORROWER,
                category="approval",
                doc_type="other",
                title=f"note-{n}",
                filename=f"note-{n}.txt",
            )
            ids.append(filed.document_id)
        start = time.perf_counter()
        for d in ids:
            ocr_job(Work(archive, 0, {"document_id": d}, "bench", lambda _d, _t: None))
        direct = (time.perf_counter() - start) / count
    worker = home.worker(work / "overhead.log", queues="ocr")
    try:
        _workers_registered(home, 1)
        with home.archive() as archive:
            runner = QueueRunner(archive)
            start = time.perf_counter()
            for d in ids:
                name = subject(d)
                runner.submit(
                    JobKind.OCR, name, {"document_id": d}, "bench", lock=lock_for(JobKind.OCR, name)
                )
            wait_until(
                lambda: sum(r.status == "succeeded" for r in runs(archive)) == count,
                limit_s=LIMIT_S,
                what="every no-op job done",
            )
            queued = (time.perf_counter() - start) / count
    finally:
        stop(worker)
    return direct * 1000, queued * 1000


def ocr_throughput(cluster: Cluster, work: Path, pages: int, workers: int) -> float:
    """Pages per minute with ``workers`` workers (concurrency 1 each)."""
    name = f"bench_ocr_{workers}"
    cluster.create_database(name)
    folder = work / name
    home = make_home(folder, cluster.url(name))
    with home.archive() as archive:
        file_scans(archive, folder, pages)
    procs = [home.worker(folder / f"w{n}.log", queues="ocr,index") for n in range(workers)]
    try:
        _workers_registered(home, workers)
        with home.archive() as archive:
            start = time.perf_counter()
            index_soon(archive, "bench")
            wait_until(lambda: len(events(archive, "ocr")) == pages, limit_s=LIMIT_S, what="every page OCR'd")
            took = time.perf_counter() - start
    finally:
        for p in procs:
            stop(p)
    return pages / took * 60


def ocr_direct(work: Path, pages: int) -> float:
    folder = work / "direct"
    folder.mkdir()
    files = [scanned_page(folder / f"p{n}.pdf", n) for n in range(pages)]
    start = time.perf_counter()
    for f in files:
        ocr_file(f, lang="chi_sim", timeout=600, first_pages=10, jobs=1)  # as the OCR job runs it
    return pages / (time.perf_counter() - start) * 60


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    facts = machine()
    work = Path(tempfile.mkdtemp(prefix="dossier-bench-jobs-"))
    cluster = throwaway_cluster("dossier-bench-pg-")
    try:
        note(f"overhead: {args.jobs} no-op OCR jobs, direct then queued")
        direct_ms, queued_ms = overhead(cluster, work, args.jobs)
        note(f"OCR: {args.pages} pages in this process, then one worker, then two")
        anchor = ocr_direct(work, args.pages)
        one = ocr_throughput(cluster, work, args.pages, 1)
        two = ocr_throughput(cluster, work, args.pages, 2)
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        ["job, called directly", f"{direct_ms:.1f} ms/job", "anchor"],
        ["job through the queue", f"{queued_ms:.1f} ms/job", f"overhead {queued_ms - direct_ms:.1f} ms/job"],
        ["OCR in this process", f"{anchor:.1f} pages/min", "anchor"],
        ["OCR, one worker", f"{one:.1f} pages/min", f"{one / anchor:.2f}× the anchor"],
        ["OCR, two workers", f"{two:.1f} pages/min", f"{two / one:.2f}× one worker"],
    ]
    headers = ["figure", "value", "beside"]
    print(text_table(headers, rows))
    md = "\n".join(
        [
            "# jobs",
            "",
            markdown_table(headers, rows),
            "",
            f"{args.jobs} jobs, {args.pages} pages; " + ", ".join(f"{k}: {v}" for k, v in facts.items()),
        ]
    )
    print(f"\nwritten: {write_result('jobs', md)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
