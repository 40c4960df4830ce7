"""Jobs on the queue (procrastinate on a PostgreSQL catalog): an inbox-sized burst with its extraction on
the queue, overhead per job and OCR throughput.

On a throwaway PostgreSQL cluster (tests/kit/postgres.py), each of --runs runs (figures are medians):
  * burst      --burst one-page text PDFs (the inbox bench's 营业执照) filed one after the other in this
               process, an index job deferred after every 20 (what a filer does: `index_soon`); two
               `dossier worker`s on the index queue extract and index meanwhile. files/s from the first
               filing to the last document in the search index; also the filing alone (it never waits
               for extraction). Aim: ≥ 40 files/s;
    anchor     the same burst into a fresh catalog with the extraction in this process: filed, then
               ``SearchIndex.process`` (historically the watcher's burst: 20.3 files/s, then 29.5).
  * overhead   N OCR jobs whose document needs no OCR (the job's cheapest path: read the document, find
               nothing to do), worked by one `dossier worker` (concurrency 1), from the first defer to the
               last run recorded ``succeeded``, per job; split into the defer (this process) and the
               worker's side (procrastinate's events: first ``started`` to last ``succeeded``);
    anchor     the same job function called directly N times in this process (no queue, no run row);
               overhead = queued − direct, per job. Aim: ≤ 10 ms.
  * OCR        P scanned pages (text rendered to an image, a PDF with no text layer) queued for OCR, worked
               by one worker, then (a fresh database and home) by two; pages per minute, from the defer to
               the last ``ocr`` event, workers started and registered beforehand.
    anchor     the same pages OCR'd one after the other in this process (indexer.extract.ocr_file).
               Aim: two workers ≥ 1.7× one.

    .venv/bin/python bench/jobs.py [--burst 1000] [--jobs 200] [--pages 60] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "jobs")]

from benchlib import Series, machine, markdown_table, note, text_table, write_result  # noqa: E402
from jobkit import BORROWER, Home, events, file_scans, make_home, runs, scanned_page, stop, wait_until  # noqa: E402
from kit.inbox_samples import COMPANY, COMPANY_NAME, license_pdf  # noqa: E402
from kit.postgres import Cluster, throwaway_cluster  # noqa: E402
from sqlalchemy import text  # noqa: E402

from dossier.archive.filing import file_document  # noqa: E402
from dossier.archive.registry import ensure_borrower  # noqa: E402
from dossier.jobs.definitions import JobKind, Work  # noqa: E402
from dossier.jobs.followups import index_soon  # noqa: E402
from dossier.jobs.ocr import ocr_job  # noqa: E402
from dossier.jobs.ocr_names import subject  # noqa: E402
from dossier.jobs.queue import QueueRunner, lock_for  # noqa: E402
from dossier.search.search_index import SearchIndex  # noqa: E402
from indexer.extract import ocr_file  # noqa: E402

LIMIT_S = 3600.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=1000, help="files in the burst (1000)")
    parser.add_argument("--jobs", type=int, default=200, help="no-op OCR jobs for the overhead (200)")
    parser.add_argument("--pages", type=int, default=60, help="scanned pages for the OCR throughput (60)")
    parser.add_argument("--runs", type=int, default=2, help="runs; figures are medians (2)")
    return parser.parse_args(argv)


BURST_EVERY = 20
"""Files filed between two index jobs deferred (one waits at most: its queueing lock)."""


def burst(cluster: Cluster, work: Path, count: int, name: str, *, queued: bool) -> tuple[float, float]:
    """(files/s filed, files/s filed and in the index) for ``count`` text PDFs; with ``queued`` two workers
    extract and index them as they are filed, else this process does after filing."""
    cluster.create_database(name)
    folder = work / name
    home = make_home(folder, cluster.url(name), jobs={"runner": "queue" if queued else "in-process"})
    sources = folder / "files"
    sources.mkdir()
    paths = []
    for n in range(count):
        path = sources / f"license-{n:05d}.pdf"
        path.write_bytes(license_pdf(serial=f"{name} {n}"))
        paths.append(path)
    procs = [home.worker(folder / f"w{n}.log", queues="index") for n in range(2)] if queued else []
    try:
        if queued:
            _workers_registered(home, 2)
        with home.archive() as archive:
            ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise")
            index = SearchIndex.open(archive)
            start = time.perf_counter()
            for n, path in enumerate(paths, 1):
                file_document(
                    archive,
                    path,
                    borrower_key=COMPANY,
                    category="basic",
                    doc_type="business-license",
                    title=path.stem,
                    original_name=path.name,
                )
                if queued and n % BURST_EVERY == 0:
                    index_soon(archive, "bench")
            if queued:
                index_soon(archive, "bench")
            filed = time.perf_counter()
            if queued:
                wait_until(
                    lambda: SearchIndex(archive).doc_count() >= count,
                    limit_s=LIMIT_S,
                    what="the burst indexed",
                )
            else:
                index.process()
            indexed = time.perf_counter()
            if index.doc_count() != count:
                raise AssertionError(f"{index.doc_count()} of {count} documents in the index")
    finally:
        for p in procs:
            stop(p)
    return count / (filed - start), count / (indexed - start)


def _workers_registered(home: Home, count: int) -> None:
    with home.archive() as archive:
        QueueRunner(archive)  # procrastinate's tables, before the workers look for them

        def registered() -> bool:
            with archive.engine.connect() as connection:
                found = connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
            return int(found) >= count

        wait_until(registered, limit_s=LIMIT_S, what=f"{count} workers registered")


def overhead(
    cluster: Cluster, work: Path, count: int, name: str
) -> tuple[float, float, float, float, float, float]:
    """(direct ms per job, queued ms per job, of which: defer ms per job, worker-side ms per job; the
    worker's median ms inside a job and between two jobs)."""
    cluster.create_database(name)
    home = make_home(work / name, cluster.url(name))
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
    worker = home.worker(work / f"{name}.log", queues="ocr")
    try:
        _workers_registered(home, 1)
        with home.archive() as archive:
            runner = QueueRunner(archive)
            start = time.perf_counter()
            for d in ids:
                name_of = subject(d)
                runner.submit(
                    JobKind.OCR, name_of, {"document_id": d}, "bench", lock=lock_for(JobKind.OCR, name_of)
                )
            deferred = time.perf_counter()
            wait_until(
                lambda: sum(r.status == "succeeded" for r in runs(archive)) == count,
                limit_s=LIMIT_S,
                what="every no-op job done",
            )
            queued = (time.perf_counter() - start) / count
            with archive.engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT job_id, min(at) FILTER (WHERE type = 'started'), "
                        "max(at) FILTER (WHERE type = 'succeeded') FROM procrastinate_events "
                        "GROUP BY job_id ORDER BY 2"
                    )
                ).all()
    finally:
        stop(worker)
    spans = [(started, done) for _, started, done in rows if started is not None and done is not None]
    worker_side = (spans[-1][1] - spans[0][0]).total_seconds() / count * 1000
    # Where the worker's time goes: inside a job (run_once: the run row marked running, the function,
    # the row marked succeeded) and between two jobs (procrastinate: finishing one, fetching the next).
    inside = statistics.mean((d - s).total_seconds() * 1000 for s, d in spans)
    between = statistics.mean(
        (spans[i + 1][0] - spans[i][1]).total_seconds() * 1000 for i in range(len(spans) - 1)
    )
    return (
        direct * 1000,
        queued * 1000,
        (deferred - start) / count * 1000,
        worker_side,
        inside,
        between,
    )


def ocr_throughput(cluster: Cluster, work: Path, pages: int, workers: int, run: int) -> float:
    """Pages per minute with ``workers`` workers (concurrency 1 each)."""
    name = f"bench_ocr_{workers}_{run}"
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


def ocr_direct(folder: Path, pages: int) -> float:
    folder.mkdir(parents=True)
    files = [scanned_page(folder / f"p{n}.pdf", n) for n in range(pages)]
    start = time.perf_counter()
    for f in files:
        ocr_file(f, lang="chi_sim", timeout=600, first_pages=10, jobs=1)  # as the OCR job runs it
    return pages / (time.perf_counter() - start) * 60


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    before = _load()
    facts = machine()
    work = Path(tempfile.mkdtemp(prefix="dossier-bench-jobs-"))
    cluster = throwaway_cluster("dossier-bench-pg-")
    f: dict[str, Series] = {k: Series() for k in FIGURES}
    try:
        for r in range(args.runs):
            note(f"run {r + 1}/{args.runs}: burst of {args.burst}, in-process extraction then on the queue")
            _, anchor_rate = burst(cluster, work, args.burst, f"bench_burst_direct_{r}", queued=False)
            filed_rate, queued_rate = burst(cluster, work, args.burst, f"bench_burst_queue_{r}", queued=True)
            f["burst_anchor"].add(anchor_rate)
            f["burst_filed"].add(filed_rate)
            f["burst_queued"].add(queued_rate)
            f["burst_ratio"].add(queued_rate / anchor_rate)
            note(f"run {r + 1}: overhead, {args.jobs} no-op OCR jobs, direct then queued")
            direct_ms, queued_ms, defer_ms, worker_ms, inside_ms, between_ms = overhead(
                cluster, work, args.jobs, f"bench_overhead_{r}"
            )
            f["direct"].add(direct_ms)
            f["queued"].add(queued_ms)
            f["defer"].add(defer_ms)
            f["worker"].add(worker_ms)
            f["inside"].add(inside_ms)
            f["between"].add(between_ms)
            f["overhead"].add(queued_ms - direct_ms)
            note(f"run {r + 1}: OCR, {args.pages} pages in this process, then one worker, then two")
            anchor = ocr_direct(work / f"direct-{r}", args.pages)
            one = ocr_throughput(cluster, work, args.pages, 1, r)
            two = ocr_throughput(cluster, work, args.pages, 2, r)
            f["ocr_anchor"].add(anchor)
            f["ocr_one"].add(one)
            f["ocr_two"].add(two)
            f["ocr_ratio"].add(two / one)
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)
    after = _load()

    def m(key: str, fmt: str = ".1f") -> str:
        return f"{f[key].median:{fmt}} ({f[key].spread})"

    rows = [
        ["burst, extraction in this process (anchor)", f"{m('burst_anchor')} files/s", "anchor"],
        [
            "burst, extraction on the queue (2 workers)",
            f"{m('burst_queued')} files/s",
            f"{m('burst_ratio', '.2f')}×",
        ],
        ["  of which the filing alone", f"{m('burst_filed')} files/s", "never waits for extraction"],
        ["job, called directly", f"{m('direct')} ms/job", "anchor"],
        ["job through the queue", f"{m('queued')} ms/job", f"overhead {m('overhead')} ms/job"],
        ["  of which the defer (caller)", f"{m('defer')} ms/job", "one transaction each"],
        ["  of which the worker's side", f"{m('worker')} ms/job", "first started → last succeeded"],
        ["    worker: inside a job (mean)", f"{m('inside')} ms", "run row running, function, succeeded"],
        ["    worker: between two jobs (mean)", f"{m('between')} ms", "procrastinate finish + fetch"],
        ["OCR in this process", f"{m('ocr_anchor')} pages/min", "anchor"],
        ["OCR, one worker", f"{m('ocr_one')} pages/min", ""],
        ["OCR, two workers", f"{m('ocr_two')} pages/min", f"{m('ocr_ratio', '.2f')}× one worker"],
    ]
    headers = ["figure", "value (min–max)", "beside"]
    print(text_table(headers, rows))
    load = f"load average before {before}, after {after}"
    print(load)
    md = "\n".join(
        [
            "# jobs",
            "",
            markdown_table(headers, rows),
            "",
            f"burst {args.burst}, {args.jobs} jobs, {args.pages} pages, medians of {args.runs} runs; {load}; "
            + ", ".join(f"{k}: {v}" for k, v in facts.items()),
        ]
    )
    print(f"\nwritten: {write_result('jobs', md)}")
    return 0


FIGURES = (
    "burst_anchor",
    "burst_filed",
    "burst_queued",
    "burst_ratio",
    "direct",
    "queued",
    "defer",
    "worker",
    "inside",
    "between",
    "overhead",
    "ocr_anchor",
    "ocr_one",
    "ocr_two",
    "ocr_ratio",
)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
