"""The catalog on both backends: SQLite (the embedded default) against PostgreSQL, in one run.

A PostgreSQL 15 cluster is started for the run (tests/kit/postgres.py) with the server's durable defaults
(fsync, synchronous_commit and full_page_writes on; shared_buffers 128 MB; a unix socket), so its figures
are what a real server gives, not the tests' unsafe settings. Each run measures:

  * filing    1,000 one-page PDFs with ``file_document``, one process: SQLite, PostgreSQL; then the same
              1,000 split between two processes filing at once into one PostgreSQL catalog and one home;
              anchor: copy + fsync of the same files;
  * counts    per ``file_document`` (deterministic, not timed): round trips and commits on PostgreSQL as
              the server logs them (BEGIN, COMMIT and the pool's ping included), statements and commits
              on SQLite as SQLAlchemy sends them; and the filing process's CPU ms per filing;
  * ledger    ``dossier ledger import`` of 5,000 rows, on each backend; anchor: reading and validating only;
  * http      8 clients with API tokens, back to back for ``--duration`` s against ``dossier serve`` on each
              backend (the same archive of ``--http-docs`` documents): requests/s and p95 for ``/api/v1/me``,
              ``/api/v1/borrowers`` and one document's metadata; anchor: ``/api/v1/health``.

    .venv/bin/python bench/catalog.py [--docs 1000] [--loans 5000] [--http-docs 10000] [--runs 3]

Tables go to stdout; bench/results/catalog.json and catalog.md hold the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from benchlib import RESULTS, BenchError, Series, entry_point, note, stop_cleanly_on_sigterm
from ledger import AS_OF, write_ledger
from sqlalchemy import event

from archive import borrower_keys, copy_all, file_all, make_pdfs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from kit.postgres import throwaway_cluster

from dossier.access.users import add_user, create_token
from dossier.archive import Archive
from dossier.archive.filing import FilingRequest, file_document, file_documents
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "max_connections": "100"}
FILER = """
import sys, time
from pathlib import Path
from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.config import load_config
config, home, start_at, keys, *pdfs = sys.argv[1:]
keys = keys.split(",")
with Archive.open(home, config=load_config(config)) as archive:
    while time.time() < float(start_at):
        time.sleep(0.001)
    began = time.time()
    for i, pdf in enumerate(pdfs):
        path = Path(pdf)
        r = file_document(archive, path, borrower_key=keys[i % len(keys)], category="basic",
                          doc_type="credit-report-personal", title=path.stem, original_name=path.name,
                          actor="bench")
        assert r.status == "filed", r
    print(time.time() - began, time.time())
"""


def config_file(path: Path, url: str | None) -> Path:
    path.write_text(f'[catalog]\nurl = "{url}"\n' if url else "", encoding="utf-8")
    return path


def prepared_home(home: Path, config: Path, keys: list[str]) -> None:
    with Archive.init(home, config=load_config(config)) as archive:
        for n, key in enumerate(keys):
            ensure_borrower(archive, key, f"借款人{n}", "person", actor="bench")


def file_one_process(home: Path, config: Path, pdfs: list[Path], keys: list[str]) -> float:
    return len(pdfs) / file_all(home, pdfs, keys, config=config)


def file_two_processes(home: Path, config: Path, pdfs: list[Path], keys: list[str]) -> float:
    """Both processes open the archive first, then start filing at the same instant."""
    prepared_home(home, config, keys)
    start_at = time.time() + 3.0
    halves = [pdfs[0::2], pdfs[1::2]]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", FILER, str(config), str(home), str(start_at), ",".join(keys)]
            + [str(p) for p in half],
            stdout=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    ends = []
    for process in processes:
        out, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            raise BenchError("a filing process failed")
        ends.append(float(out.split()[1]))
    return len(pdfs) / (max(ends) - start_at)


COUNTED = 100
"""Filings counted for the per-filing counts (after five that warm the caches)."""


def filing_counts(
    home: Path, config: Path, pdfs: list[Path], keys: list[str], log: Path | None
) -> dict[str, float]:
    """Statements (or, with the server's ``log``, round trips) and commits per file_document, and CPU ms."""
    counted = {"statements": 0, "commits": 0}
    with Archive.init(home, config=load_config(config)) as archive:
        for n, key in enumerate(keys):
            ensure_borrower(archive, key, f"借款人{n}", "person", actor="bench")

        def bump(name: str) -> None:
            counted[name] += 1

        event.listen(archive.engine, "before_cursor_execute", lambda *_a, **_k: bump("statements"))
        event.listen(archive.engine, "commit", lambda *_a: bump("commits"))

        def file(pdf: Path, i: int) -> None:
            result = file_document(
                archive, pdf, borrower_key=keys[i % len(keys)], category="basic",
                doc_type="credit-report-personal", title=pdf.stem, original_name=pdf.name, actor="bench",
            )  # fmt: skip
            if result.status != "filed":
                raise BenchError(f"{pdf.name} was {result.status}, expected filed")

        for i, pdf in enumerate(pdfs[:5]):
            file(pdf, i)
        counted.update(statements=0, commits=0)
        offset = log.stat().st_size if log is not None else 0
        cpu = time.process_time()
        for i, pdf in enumerate(pdfs[5 : 5 + COUNTED]):
            file(pdf, i)
        cpu = time.process_time() - cpu
    figures = {"cpu ms": cpu * 1000 / COUNTED}
    if log is None:
        figures["statements"] = counted["statements"] / COUNTED
        figures["commits"] = counted["commits"] / COUNTED
        return figures
    with log.open("rb") as fh:
        fh.seek(offset)
        logged = [
            line.split(b"LOG:  ", 1)[1]
            for line in fh
            if b"LOG:  statement: " in line or b"LOG:  execute " in line
        ]
    statements = [line.split(b": ", 1)[1].strip() for line in logged]
    figures["round trips"] = len(statements) / COUNTED
    figures["commits"] = sum(1 for s in statements if s.upper().startswith(b"COMMIT")) / COUNTED
    return figures


def ledger_rate(dossier: Path, ledger: Path, home: Path, config: Path, rows: int) -> float:
    env = {**os.environ, "DOSSIER_CONFIG": str(config)}
    subprocess.run([dossier, "init", "--home", home], env=env, check=True, capture_output=True)
    began = time.perf_counter()
    subprocess.run(
        [dossier, "ledger", "import", ledger, "--home", home, "--as-of", AS_OF.isoformat()],
        env=env,
        check=True,
        capture_output=True,
    )
    return rows / (time.perf_counter() - began)


def http_home(home: Path, config: Path, docs: int, pdfs_dir: Path) -> tuple[str, int]:
    keys = borrower_keys()
    prepared_home(home, config, keys)
    pdfs = make_pdfs(pdfs_dir, docs)
    with Archive.open(home, config=load_config(config)) as archive:
        requests = [
            FilingRequest(p, keys[i % len(keys)], "basic", "credit-report-personal", p.stem, actor="bench")
            for i, p in enumerate(pdfs)
        ]
        results = file_documents(archive, requests)
        archive.transaction(
            lambda s: add_user(s, "archivist", "archivist", "bench-password-1", actor="bench")
        )
        _, token = archive.transaction(lambda s: create_token(s, "archivist", "bench", actor="bench"))
    return token, results[len(results) // 2].document_id


def load(base: str, path: str, headers: dict[str, str], clients: int, duration: float) -> tuple[float, float]:
    """Requests/s and p95 (ms) of ``clients`` threads sending GET ``path`` back to back."""
    latencies: list[float] = []
    stop = time.perf_counter() + duration
    lock = threading.Lock()

    def client() -> None:
        mine = []
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                if http.get(path).status_code != 200:
                    raise BenchError(f"GET {path} failed")
                mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return len(latencies) / duration, latencies[int(len(latencies) * 0.95)] * 1000


def serve(dossier: Path, home: Path, config: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DOSSIER_CONFIG": str(config)}
    process = subprocess.Popen(
        [dossier, "serve", "--home", home, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise BenchError("dossier serve did not start")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--loans", type=int, default=5000)
    parser.add_argument("--http-docs", type=int, default=10000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma list of parts to skip: counts,filing,ledger,http")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    stop_cleanly_on_sigterm()
    args = parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    dossier = entry_point("dossier")
    work = Path(tempfile.mkdtemp(prefix="dossier-bench-catalog-"))
    cluster = throwaway_cluster("dossier-bench-pg-", settings=DURABLE)
    figures: dict[str, Series] = {}

    def add(name: str, value: float) -> None:
        figures.setdefault(name, Series()).add(value)

    try:
        sqlite = config_file(work / "sqlite.toml", None)
        keys = borrower_keys()
        pdfs = make_pdfs(work / "pdfs", args.docs)
        ledger = work / "ledger.csv"
        write_ledger(ledger, args.loans, 0)

        def postgresql(name: str) -> Path:
            return postgresql_url(cluster.create_database(name))

        def postgresql_url(database: str) -> Path:
            return config_file(work / f"{database}.toml", cluster.url(database))

        if "counts" not in skip:
            note("counts per filing")
            for name, value in filing_counts(work / "count-s", sqlite, pdfs, keys, None).items():
                add(f"filing sqlite {name}/file", value)
            counting = cluster.create_database("counting")
            with cluster.admin() as admin:
                # Only this database's statements are logged: the timed runs log nothing.
                admin.execute(f"ALTER DATABASE \"{counting}\" SET log_statement = 'all'")
            counts = filing_counts(work / "count-p", postgresql_url(counting), pdfs, keys, cluster.log)
            for name, value in counts.items():
                add(f"filing postgresql {name}/file", value)
        for run in range(args.runs):
            note(f"run {run + 1}/{args.runs}")
            if "filing" not in skip:
                add("copy+fsync files/s", len(pdfs) / copy_all(work / f"copies-{run}", pdfs))
                add("filing sqlite files/s", file_one_process(work / f"s-{run}", sqlite, pdfs, keys))
                one = file_one_process(work / f"p-{run}", postgresql(f"one{run}"), pdfs, keys)
                add("filing postgresql files/s", one)
                two = file_two_processes(work / f"p2-{run}", postgresql(f"two{run}"), pdfs, keys)
                add("filing postgresql 2 processes files/s", two)
            if "ledger" not in skip:
                rate = ledger_rate(dossier, ledger, work / f"ls-{run}", sqlite, args.loans)
                add("ledger sqlite rows/s", rate)
                rate = ledger_rate(
                    dossier, ledger, work / f"lp-{run}", postgresql(f"ledger{run}"), args.loans
                )
                add("ledger postgresql rows/s", rate)
        if "http" not in skip:
            for name, config in (("sqlite", sqlite), ("postgresql", postgresql("http"))):
                note(f"http archive on {name}: {args.http_docs} documents")
                home = work / f"http-{name}"
                token, document_id = http_home(home, config, args.http_docs, work / f"hp-{name}")
                port = 18700 + (name == "postgresql")
                process = serve(dossier, home, config, port)
                try:
                    base = f"http://127.0.0.1:{port}"
                    headers = {"Authorization": f"Bearer {token}"}
                    paths = {
                        "health": "/api/v1/health",
                        "me": "/api/v1/me",
                        "borrowers": "/api/v1/borrowers",
                        "document": f"/api/v1/documents/{document_id}",
                    }
                    for _ in range(args.runs):
                        for label, path in paths.items():
                            rate, p95 = load(base, path, headers, args.clients, args.duration)
                            add(f"http {name} {label} req/s", rate)
                            add(f"http {name} {label} p95 ms", p95)
                finally:
                    process.terminate()
                    process.wait(timeout=60)
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)
    table = {name: {"median": s.median, "runs": s.values} for name, s in figures.items()}
    lines = ["| figure | median | runs |", "| --- | ---: | --- |"]
    lines += [f"| {n} | {s.median:.1f} | {s.spread} |" for n, s in figures.items()]
    median = {name: s.median for name, s in figures.items()}
    if "filing postgresql files/s" in median:
        two_one = median["filing postgresql 2 processes files/s"] / median["filing postgresql files/s"]
        lines.append(f"| PostgreSQL two processes / one | {two_one:.2f}× | |")
        for backend in ("sqlite", "postgresql"):
            ratio = median[f"filing {backend} files/s"] / median["copy+fsync files/s"]
            lines.append(f"| {backend} filing / copy+fsync | {ratio:.3f}× | |")
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "catalog.json").write_text(json.dumps({"settings": DURABLE, "figures": table}, indent=1))
    (RESULTS / "catalog.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
