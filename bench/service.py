"""The HTTP service under load: requests/s and latency of search and download, beside a bare server.

An archive of ``--docs`` one-page text PDFs (Chinese text, names, resident ID numbers, credit codes,
contract numbers) over ``--borrowers`` borrowers, filed with ``file_document`` and indexed with
``index_pending``; it is built once and cached in ``bench/results/service-archive-<docs>/`` (rebuilt
when the corpus or the catalog's schema changes, or with ``--rebuild``). Each invocation works on a copy
of it, so the audit events the bench writes never pile up in the cache.

``dossier serve`` runs as a real process on a free loopback port; ``--clients`` threads, each with its
own keep-alive httpx connection, send requests back to back for ``--duration`` seconds per scenario:

  * search    GET /api/v1/search?q=…&limit=20 with an auditor's API token (sees every borrower); the
              queries are picked from the corpus: two-character words, quoted 3–6-character phrases and
              resident ID numbers, in turn;
    anchor    GET /ping of a minimal Starlette app under uvicorn in its own process (JSON, no auth);
  * download  GET /api/v1/documents/{id}/download of random documents;
    anchor    the same files by the same ids through Starlette's FileResponse, without auth or audit;
  * token only  GET /api/v1/me (the API token checked, nothing else): what every request pays;
    anchor    GET /ping.

Both servers run under uvicorn with the same defaults, and the same clients drive both. The ratio
(dossier / anchor) shows what dossier's work per request costs: the token check, the catalog reads, the
search itself, and one audit event per search and per download (SQLite, serialized, fsynced writes).
Every figure is the median of ``--runs`` runs; ratios are taken within each run. Server CPU ms per request
(user + system time of the server process over the requests it answered) hardly depends on the load other
processes put on the machine; requests/s does.

    .venv/bin/python bench/service.py [--docs 10000] [--clients 20] [--duration 10] [--runs 3] [--quick]

Tables go to stdout; bench/results/service.json and bench/results/service.md hold the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
from benchlib import (
    RESULTS,
    BenchError,
    Series,
    entry_point,
    machine,
    markdown_table,
    note,
    stop_cleanly_on_sigterm,
    text_table,
)
from search import USES, amount, company, contract_number, credit_code, person, resident_id
from sqlalchemy import func, select

from dossier.access.users import add_user, create_token
from dossier.archive import Archive
from dossier.archive.catalog.db import HEAD
from dossier.archive.catalog.models import Document, Event
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.domain.capital import to_capital
from dossier.domain.document_types import get_document_type
from dossier.search.indexing import index_pending

# A script, not a test: it puts tests/ on the path itself, as pytest does for the tests (pythonpath).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# The one-page text PDF maker is shared with the inbox tests and bench/watch.py.
from kit.inbox_samples import text_pdf

SEED = 7
CORPUS_VERSION = 1
"""Bump when the corpus changes, so a cached archive built from the old one is rebuilt."""
LINE_CHARS = 36
LINES = 30
DOC_TYPES = (
    "loan-contract",
    "guarantee-contract",
    "mortgage-contract",
    "loan-application",
    "investigation-report",
    "credit-approval",
    "disbursement-notice",
    "inspection-report",
    "collection-notice",
    "bank-statement",
    "financial-statements",
    "appraisal-report",
)
QUERY_KINDS = ("word", "phrase", "ID number")
COMMON_PHRASES = ("借款人", "年利率")
"""Boilerplate in nearly every document of the corpus: the most expensive searches (issue 18)."""
SCENARIOS = ("search", "common phrase", "ID search", "download", "token only")
"""``token only`` (GET /api/v1/me: the token check and nothing else) shows what every request pays.
``common phrase`` and ``ID search`` are searches anchored on dossier's own ``/api/v1/health`` (the same
process, the same run): what a search costs beyond answering at all."""
AUDITED = frozenset({"search", "common phrase", "ID search", "download"})
ANCHOR_OF = {
    "search": "/ping",
    "common phrase": "/health",
    "ID search": "/health",
    "download": "FileResponse",
    "token only": "/ping",
}
SELF_ANCHORED = frozenset(s for s, anchor in ANCHOR_OF.items() if anchor == "/health")
BENCH_USER = "bench-auditor"
STAMP = ".bench-stamp.json"


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Party:
    key: str
    name: str
    customer_type: str


@dataclass
class CorpusDoc:
    n: int
    borrower: Party
    doc_type: str
    day: date
    lines: list[str]
    segments: list[str] = field(default_factory=list)
    """Pieces of text never split across lines: queries are picked from them."""
    ids: list[str] = field(default_factory=list)


def parties(count: int) -> list[Party]:
    """``count`` borrowers, alternately people (keyed by ID number) and companies (by credit code)."""
    rng = random.Random(f"{SEED}-borrowers")
    out: list[Party] = []
    seen: set[str] = set()
    while len(out) < count:
        if len(out) % 2:
            party = Party(credit_code(rng), company(rng), "enterprise")
        else:
            party = Party(resident_id(rng), person(rng), "person")
        if party.key not in seen:
            seen.add(party.key)
            out.append(party)
    return out


def corpus_doc(n: int, borrowers: Sequence[Party]) -> CorpusDoc:
    """Document number ``n``, the same on every run: its lines are whole segments, so no ID number or
    phrase a query picks is split across two lines."""
    rng = random.Random(SEED * 1_000_003 + n)
    borrower = borrowers[n % len(borrowers)]
    doc_type = DOC_TYPES[rng.randrange(len(DOC_TYPES))]
    day = date(2019, 1, 1) + timedelta(days=rng.randint(0, 2600))
    doc = CorpusDoc(n, borrower, doc_type, day, [])
    label = get_document_type(doc_type, config=load_config()).label
    head = [label, f"借款人：{borrower.name}", f"证件号码：{borrower.key}", f"编号：BENCH-{n:06d}"]
    if borrower.customer_type == "person":
        doc.ids.append(borrower.key)
    segments: list[str] = []
    while len(segments) < LINES * 2:
        roll = rng.random()
        if roll < 0.3:
            name, pid, total = person(rng), resident_id(rng), amount(rng)
            doc.ids.append(pid)
            segments += [
                f"保证人{name}，",
                f"身份证号码{pid}，",
                f"担保金额人民币{total:,}元，",
                f"大写{to_capital(total)[:20]}。",
            ]
        elif roll < 0.5:
            segments += [f"根据借款合同{contract_number(rng)}号，", f"借款用于{rng.choice(USES)}，"]
            segments.append(f"期限{rng.randint(6, 60)}个月，年利率{rng.randint(300, 650) / 100}%。")
        elif roll < 0.7:
            segments += [
                f"{day.year}年{day.month}月{day.day}日，",
                f"客户经理{person(rng)}对借款人进行了现场检查，",
                "查看了仓库、生产线和银行流水，未发现异常情况。",
            ]
        else:
            segments += [
                "借款人应当按照合同约定的用途使用借款，",
                "不得挤占、挪用，",
                f"抵押物位于{company(rng)[:2]}市，",
                "评估机构出具了评估报告，抵押登记手续已办妥。",
            ]
    lines = list(head)
    current = ""
    for segment in segments:
        if current and len(current) + len(segment) > LINE_CHARS:
            lines.append(current)
            current = ""
            if len(lines) >= LINES:
                break
        current += segment
    doc.lines = lines
    body = "".join(lines)
    doc.ids = [pid for pid in doc.ids if pid in body]
    doc.segments = [s for line in lines[len(head) :] for s in _split(line)]
    return doc


def _split(line: str) -> list[str]:
    return [part for part in line.replace("。", "，").split("，") if part]


def cjk_run(rng: random.Random, segments: Sequence[str], low: int, high: int) -> str | None:
    runs = []
    for segment in segments:
        current = ""
        for char in segment + " ":
            if "\u4e00" <= char <= "\u9fff":
                current += char
            else:
                if len(current) >= low:
                    runs.append(current)
                current = ""
    if not runs:
        return None
    run = rng.choice(runs)
    length = rng.randint(low, min(high, len(run)))
    start = rng.randint(0, len(run) - length)
    return run[start : start + length]


def make_queries(count: int, docs: int, borrowers: Sequence[Party]) -> list[tuple[str, str]]:
    """(kind, query) pairs picked from random documents, the kinds in turn."""
    rng = random.Random(f"{SEED}-queries")
    out: list[tuple[str, str]] = []
    while len(out) < count:
        kind = QUERY_KINDS[len(out) % len(QUERY_KINDS)]
        doc = corpus_doc(rng.randrange(docs), borrowers)
        if kind == "word":
            text = cjk_run(rng, doc.segments, 2, 2)
        elif kind == "phrase":
            run = cjk_run(rng, doc.segments, 3, 6)
            text = f'"{run}"' if run else None
        else:
            text = rng.choice(doc.ids) if doc.ids else None
        if text:
            out.append((kind, text))
    return out


# --------------------------------------------------------------------------- the archive, cached


def stamp(args: argparse.Namespace) -> dict[str, object]:
    return {
        "docs": args.docs,
        "borrowers": args.borrowers,
        "corpus": CORPUS_VERSION,
        "catalog": HEAD,
    }


def cached_archive(args: argparse.Namespace) -> Path:
    """The built archive home, from the cache when its stamp matches, else built now (minutes)."""
    cache = RESULTS / f"service-archive-{args.docs}"
    wanted = stamp(args)
    if not args.rebuild and (cache / STAMP).is_file():
        if json.loads((cache / STAMP).read_text(encoding="utf-8")) == wanted:
            return cache
        note(f"{cache} was built from another corpus or catalog schema: rebuilding")
    building = cache.with_name(cache.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    build_archive(building, args.docs, args.borrowers)
    (building / STAMP).write_text(json.dumps(wanted), encoding="utf-8")
    building.rename(cache)
    return cache


def build_archive(home: Path, docs: int, count: int) -> None:
    borrowers = parties(count)
    started = time.perf_counter()
    with Archive.init(home, config=load_config()) as archive:
        for party in borrowers:
            ensure_borrower(archive, party.key, party.name, party.customer_type, actor="bench")
        for n in range(docs):
            doc = corpus_doc(n, borrowers)
            kind = get_document_type(doc.doc_type, archive.config)
            result = file_document(
                archive,
                text_pdf(doc.lines),
                borrower_key=doc.borrower.key,
                category=kind.category,
                doc_type=kind.key,
                title=f"{kind.label.replace('/', '、')}-{n:06d}",
                original_name=f"scan-{n:06d}.pdf",
                doc_date=doc.day,
                actor="bench",
            )
            if result.status != "filed":
                raise BenchError(f"document {n} was {result.status}, expected filed")
            if (n + 1) % 500 == 0:
                rate = (n + 1) / (time.perf_counter() - started)
                note(f"filed {n + 1:,}/{docs:,} ({rate:.0f} files/s)")
        note("indexing …")
        report = index_pending(archive)
        if report.remaining or report.failed or report.indexed != docs:
            raise BenchError(f"indexing left the archive incomplete: {report}")
    note(f"archive built in {time.perf_counter() - started:.0f} s")


@dataclass
class Prepared:
    home: Path
    token: str
    documents: dict[int, tuple[str, str]]
    """Document id → (absolute path, SHA-256)."""


def prepare(cache: Path, work: Path) -> Prepared:
    """A working copy of the cached archive with an auditor and an API token for the clients."""
    home = work / "home"
    shutil.copytree(cache, home, symlinks=True)
    with Archive.open(home, config=load_config()) as archive:
        archive.transaction(
            lambda s: add_user(s, BENCH_USER, "auditor", None, display_name="审计员（压测）", actor="bench")
        )
        _, secret = archive.transaction(lambda s: create_token(s, BENCH_USER, "bench", actor="bench"))
        rows = archive.transaction(
            lambda s: s.execute(
                select(Document.id, Document.path, Document.sha256).where(Document.state == "filed")
            ).all(),
            write=False,
        )
        documents = {doc_id: (str(archive.absolute(path)), sha) for doc_id, path, sha in rows}
    return Prepared(home, secret, documents)


def event_count(home: Path) -> int:
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: s.execute(select(func.count(Event.seq))).scalar_one(), write=False
        )


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process on a loopback port, started when its probe answers 200; output to a log file."""

    def __init__(self, name: str, command: list[str], port: int, probe: str, log: Path) -> None:
        self.name, self.log, self.probe = name, log, probe
        self.base = f"http://127.0.0.1:{port}"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"{name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.base + probe, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"{name} did not answer within 90 s:\n{self.tail()}")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds so far of the server process and its worker processes (all threads;
        a worker's time is counted while it runs, so call this before stopping the server)."""
        stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            ticks = int(fields[11]) + int(fields[12])
            stats[int(entry.name)] = (int(fields[1]), ticks / os.sysconf("SC_CLK_TCK"))
        tree, total = [self.process.pid], 0.0
        while tree:
            pid = tree.pop()
            total += stats.get(pid, (0, 0.0))[1]
            tree.extend(child for child, (parent, _) in stats.items() if parent == pid)
        return total

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def serve_anchor(files_json: Path, port: int) -> None:
    """The anchor: Starlette under uvicorn (same defaults as `dossier serve`), no auth, no audit."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route

    files: dict[str, str] = json.loads(files_json.read_text(encoding="utf-8"))

    async def ping(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def download(request: Request) -> Response:
        path = files.get(request.path_params["doc_id"])
        if path is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return FileResponse(path, media_type="application/pdf", filename=Path(path).name)

    app = Starlette(routes=[Route("/ping", ping), Route("/files/{doc_id}", download)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    """Milliseconds, one per answered request."""
    kinds: list[str]
    server_cpu: float
    client_cpu: float
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def p(self, share: float, kind: str | None = None) -> float:
        values = [v for v, k in zip(self.latencies, self.kinds, strict=True) if kind in (None, k)]
        return percentile(values, share)

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per answered request."""
        return self.server_cpu * 1000 / max(1, self.requests)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def drive(
    server: Server,
    requests: Sequence[tuple[str, str]],
    headers: dict[str, str],
    clients: int,
    duration: float,
    seed: int,
) -> Load:
    """``clients`` threads, each on its own keep-alive connection, sending random (kind, path) requests
    back to back until ``duration`` seconds have passed after they all start together."""
    window: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def start() -> None:  # runs once, in the last thread to reach the barrier
        cpu["server"], cpu["client"] = server.cpu_seconds(), time.process_time()
        window["start"] = time.perf_counter()
        window["end"] = window["start"] + duration

    barrier = threading.Barrier(clients, action=start)
    results: list[tuple[list[float], list[str], int, str]] = [([], [], 0, "")] * clients

    def client(i: int) -> None:
        rng = random.Random(f"{seed}-{i}")
        latencies: list[float] = []
        kinds: list[str] = []
        errors, first_error = 0, ""
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=server.base, headers=headers, timeout=60, limits=limits) as http:
            try:
                http.get(server.probe)  # open the connection before the clock starts (no audit event)
            except httpx.HTTPError:
                barrier.abort()  # the others stop waiting; the missing start is reported below
                raise
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return
            end = window["end"]
            while time.perf_counter() < end:
                kind, path = requests[rng.randrange(len(requests))]
                began = time.perf_counter()
                try:
                    response = http.get(path)
                    ok = response.status_code == 200
                    problem = "" if ok else f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, problem = False, f"{type(exc).__name__}: {exc}"
                if ok:
                    latencies.append((time.perf_counter() - began) * 1000)
                    kinds.append(kind)
                else:
                    errors += 1
                    first_error = first_error or problem
        results[i] = (latencies, kinds, errors, first_error)

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if "start" not in window:
        raise BenchError(f"{server.name}: a client could not connect:\n{server.tail()}")
    elapsed = time.perf_counter() - window["start"]
    server_cpu = server.cpu_seconds() - cpu["server"]
    client_cpu = time.process_time() - cpu["client"]
    latencies = [v for r in results for v in r[0]]
    kinds = [k for r in results for k in r[1]]
    errors = sum(r[2] for r in results)
    first_error = next((r[3] for r in results if r[3]), "")
    if not latencies:
        raise BenchError(f"{server.name}: no request succeeded; first error: {first_error}")
    return Load(len(latencies), errors, elapsed, latencies, kinds, server_cpu, client_cpu, first_error)


# --------------------------------------------------------------------------- checks before timing


def check_search(dossier: Server, headers: dict[str, str], queries: Sequence[tuple[str, str]]) -> None:
    """Every query finds at least one document: the load measures real searches, not empty answers."""
    with httpx.Client(base_url=dossier.base, headers=headers, timeout=60) as http:
        for kind, text in queries:
            response = http.get("/api/v1/search", params={"q": text, "limit": 20})
            if response.status_code != 200:
                raise BenchError(f"search {text!r} answered {response.status_code}: {response.text[:300]}")
            if response.json()["total"] < 1:
                raise BenchError(f"the {kind} query {text!r} found nothing")


def check_download(
    dossier: Server, anchor: Server, headers: dict[str, str], prepared: Prepared, sample: int
) -> None:
    """Both servers send the archived bytes (same SHA-256 as the catalog's) for a sample of documents."""
    import hashlib

    ids = random.Random(f"{SEED}-check").sample(sorted(prepared.documents), sample)
    with (
        httpx.Client(base_url=dossier.base, headers=headers, timeout=60) as ours,
        httpx.Client(base_url=anchor.base, timeout=60) as bare,
    ):
        for doc_id in ids:
            sha = prepared.documents[doc_id][1]
            for name, response in (
                ("dossier", ours.get(f"/api/v1/documents/{doc_id}/download")),
                ("anchor", bare.get(f"/files/{doc_id}")),
            ):
                if response.status_code != 200 or hashlib.sha256(response.content).hexdigest() != sha:
                    raise BenchError(f"{name} sent the wrong bytes for document {doc_id}")


# --------------------------------------------------------------------------- runs and report


@dataclass
class Figures:
    rps: dict[tuple[str, str], Series] = field(default_factory=dict)
    p50: dict[tuple[str, str], Series] = field(default_factory=dict)
    p95: dict[tuple[str, str], Series] = field(default_factory=dict)
    cpu_ms: dict[tuple[str, str], Series] = field(default_factory=dict)
    client_cpus: dict[tuple[str, str], Series] = field(default_factory=dict)
    rps_ratio: dict[str, Series] = field(default_factory=dict)
    p50_ratio: dict[str, Series] = field(default_factory=dict)
    p95_ratio: dict[str, Series] = field(default_factory=dict)
    cpu_ratio: dict[str, Series] = field(default_factory=dict)
    kind_p50: dict[str, Series] = field(default_factory=dict)
    kind_p95: dict[str, Series] = field(default_factory=dict)
    errors: dict[tuple[str, str], int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)
    runs: list[dict[str, object]] = field(default_factory=list)

    def add(self, scenario: str, ours: Load, bare: Load) -> None:
        for server, load in (("dossier", ours), ("anchor", bare)):
            key = (scenario, server)
            self.rps.setdefault(key, Series()).add(load.rps)
            self.p50.setdefault(key, Series()).add(load.p(0.50))
            self.p95.setdefault(key, Series()).add(load.p(0.95))
            self.cpu_ms.setdefault(key, Series()).add(load.cpu_ms)
            self.client_cpus.setdefault(key, Series()).add(load.client_cpu / load.seconds)
            self.errors[key] = self.errors.get(key, 0) + load.errors
            if load.first_error:
                self.first_errors.append(f"{scenario}/{server}: {load.first_error}")
        self.rps_ratio.setdefault(scenario, Series()).add(ours.rps / bare.rps)
        self.p50_ratio.setdefault(scenario, Series()).add(ours.p(0.50) / bare.p(0.50))
        self.p95_ratio.setdefault(scenario, Series()).add(ours.p(0.95) / bare.p(0.95))
        self.cpu_ratio.setdefault(scenario, Series()).add(ours.cpu_ms / bare.cpu_ms)
        if scenario == "search":
            for kind in QUERY_KINDS:
                self.kind_p50.setdefault(kind, Series()).add(ours.p(0.50, kind))
                self.kind_p95.setdefault(kind, Series()).add(ours.p(0.95, kind))
        self.runs.append(
            {
                "scenario": scenario,
                **{
                    f"{name}_{figure}": value
                    for name, load in (("dossier", ours), ("anchor", bare))
                    for figure, value in (
                        ("requests", load.requests),
                        ("errors", load.errors),
                        ("seconds", round(load.seconds, 3)),
                        ("rps", round(load.rps, 1)),
                        ("p50_ms", round(load.p(0.50), 2)),
                        ("p95_ms", round(load.p(0.95), 2)),
                        ("server_cpu_ms_per_request", round(load.cpu_ms, 3)),
                        ("client_cpus", round(load.client_cpu / load.seconds, 2)),
                    )
                },
            }
        )


def one_run(
    run_no: int,
    args: argparse.Namespace,
    dossier: Server,
    anchor: Server,
    work: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]],
    headers: dict[str, str],
    figures: Figures,
) -> int:
    """Every scenario on both servers (the order alternates between runs); the searches and downloads
    dossier answered (each one an audit event)."""
    answered = 0
    for scenario in work:
        ours_requests, bare_requests = work[scenario]
        order = ("dossier", "anchor") if run_no % 2 == 0 else ("anchor", "dossier")
        loads: dict[str, Load] = {}
        bare_server = dossier if scenario in SELF_ANCHORED else anchor
        for name in order:
            note(f"run {run_no + 1}/{args.runs}: {scenario} on {name}, {args.duration:g} s …")
            server, requests, extra = (
                (dossier, ours_requests, headers) if name == "dossier" else (bare_server, bare_requests, {})
            )
            loads[name] = drive(server, requests, extra, args.clients, args.duration, SEED + run_no)
            if name == "dossier" and scenario in AUDITED:
                answered += loads[name].requests
        figures.add(scenario, loads["dossier"], loads["anchor"])
        note(
            f"  dossier {loads['dossier'].rps:.0f} req/s, anchor {loads['anchor'].rps:.0f} req/s "
            f"({loads['dossier'].rps / loads['anchor'].rps:.3f}×)"
        )
    return answered


def warm_up(
    dossier: Server,
    anchor: Server,
    work: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]],
    headers: dict[str, str],
    clients: int,
) -> int:
    """A short untimed load on each server and scenario (caches, thread pools, connections)."""
    answered = 0
    for scenario in work:
        ours_requests, bare_requests = work[scenario]
        load = drive(dossier, ours_requests, headers, clients, 2.0, SEED - 1)
        answered += load.requests if scenario in AUDITED else 0
        drive(dossier if scenario in SELF_ANCHORED else anchor, bare_requests, {}, clients, 2.0, SEED - 1)
    return answered


def report(
    figures: Figures, args: argparse.Namespace, facts: dict[str, str], extra: dict[str, object]
) -> str:
    headers = [
        "scenario",
        "dossier req/s",
        "anchor req/s",
        "ratio",
        "dossier p50 / p95 ms",
        "anchor p50 / p95 ms",
        "p95 ratio",
        "server CPU ms/req (dossier / anchor)",
        "runs req/s (dossier)",
    ]
    rows = []
    for scenario in args.scenarios:
        ours, bare = (scenario, "dossier"), (scenario, "anchor")
        rows.append(
            [
                f"{scenario} (anchor: {ANCHOR_OF[scenario]})",
                f"{figures.rps[ours].median:.0f}",
                f"{figures.rps[bare].median:.0f}",
                f"{figures.rps_ratio[scenario].median:.3f}",
                f"{figures.p50[ours].median:.1f} / {figures.p95[ours].median:.1f}",
                f"{figures.p50[bare].median:.1f} / {figures.p95[bare].median:.1f}",
                f"{figures.p95_ratio[scenario].median:.1f}",
                f"{figures.cpu_ms[ours].median:.2f} / {figures.cpu_ms[bare].median:.2f}",
                figures.rps[ours].spread,
            ]
        )
    kind_headers = ["search query kind", "dossier p50 ms", "dossier p95 ms"]
    kind_rows = [
        [kind, f"{figures.kind_p50[kind].median:.1f}", f"{figures.kind_p95[kind].median:.1f}"]
        for kind in QUERY_KINDS
        if kind in figures.kind_p50
    ]
    client_line = ", ".join(
        f"{scenario}/{server} {figures.client_cpus[(scenario, server)].median:.2f}"
        for scenario in args.scenarios
        for server in ("dossier", "anchor")
    )
    errors = sum(figures.errors.values())
    notes = [
        f"{args.docs:,} one-page text PDFs over {args.borrowers} borrowers; {args.clients} client threads "
        f"(httpx, one keep-alive connection each) for {args.duration:g} s per scenario and server; "
        f"medians of {args.runs} run(s); ratios taken within each run (dossier / anchor).",
        "Search: GET /api/v1/search?q=…&limit=20 with an auditor's API token; two-character words, quoted "
        "3–6-character phrases and resident ID numbers from the corpus, at random. Anchor: GET /ping "
        "(Starlette JSONResponse, no auth) under uvicorn in its own process.",
        "Download: GET /api/v1/documents/{id}/download of random documents. Anchor: the same files by id "
        "through Starlette's FileResponse, no auth, no audit.",
        "Token only: GET /api/v1/me, the API token check every request makes and nothing else. Anchor: "
        "GET /ping.",
        f"Common phrase: searches for {' and '.join(COMMON_PHRASES)} (in nearly every document); ID search: "
        "resident ID numbers from the corpus. Anchor of both: GET /api/v1/health of the same dossier "
        "server, driven the same way in the same run.",
        f"dossier serve --workers {args.workers}: "
        + ("one process." if args.workers == 1 else f"{args.workers} uvicorn worker processes on one port."),
        "Server CPU ms/req: user + system time of the server's processes per answered request.",
        f"Client CPUs busy (the bench's own load on the 2 cores): {client_line}.",
        f"Audit events written while dossier answered {extra['dossier_answered']:,} requests: "
        f"{extra['events_written']:,} (one per search and per download "
        f"{'✓' if extra['events_written'] == extra['dossier_answered'] else '✗'}).",
        f"Failed requests: {errors}" + (f" (first: {figures.first_errors[0]})" if errors else "") + ".",
    ]
    machine_lines = [f"{k}: {v}" for k, v in facts.items()]
    print(text_table(headers, rows))
    print()
    print(text_table(kind_headers, kind_rows))
    print()
    print("\n".join(notes))
    return "\n".join(
        [
            "# Service under load: search and download over HTTP",
            "",
            markdown_table(headers, rows),
            "",
            markdown_table(kind_headers, kind_rows),
            "",
            *[f"- {n}" for n in notes],
            "",
            "Machine:",
            "",
            *[f"- {line}" for line in machine_lines],
            "",
        ]
    )


def to_json(
    figures: Figures, args: argparse.Namespace, facts: dict[str, str], extra: dict[str, object]
) -> str:
    def series(s: Series) -> dict[str, object]:
        return {"median": round(s.median, 4), "runs": [round(v, 4) for v in s.values]}

    scenarios = {}
    for scenario in args.scenarios:
        scenarios[scenario] = {
            server: {
                "rps": series(figures.rps[(scenario, server)]),
                "p50_ms": series(figures.p50[(scenario, server)]),
                "p95_ms": series(figures.p95[(scenario, server)]),
                "server_cpu_ms_per_request": series(figures.cpu_ms[(scenario, server)]),
                "client_cpus": series(figures.client_cpus[(scenario, server)]),
                "errors": figures.errors[(scenario, server)],
            }
            for server in ("dossier", "anchor")
        }
        scenarios[scenario]["ratio"] = {
            "rps": series(figures.rps_ratio[scenario]),
            "p50": series(figures.p50_ratio[scenario]),
            "p95": series(figures.p95_ratio[scenario]),
            "server_cpu_ms_per_request": series(figures.cpu_ratio[scenario]),
        }
    if "search" in scenarios:
        scenarios["search"]["by_query_kind"] = {
            kind: {"p50_ms": series(figures.kind_p50[kind]), "p95_ms": series(figures.kind_p95[kind])}
            for kind in QUERY_KINDS
        }
    settings = {k: v for k, v in vars(args).items() if k not in {"serve_anchor", "port"}}
    payload = {
        "bench": "service",
        "machine": facts,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in settings.items()},
        "scenarios": scenarios,
        "audit": extra,
        "runs": figures.runs,
        "first_errors": figures.first_errors[:10],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the archive (default 10000)")
    parser.add_argument("--borrowers", type=int, default=200, help="borrowers (default 200)")
    parser.add_argument("--workers", type=int, default=1, help="dossier serve --workers (default 1)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--duration", type=float, help="seconds per scenario (default 10; --quick 5)")
    parser.add_argument("--runs", type=int, help="runs; medians are reported (default 3; --quick 1)")
    parser.add_argument("--queries", type=int, default=150, help="distinct search queries (default 150)")
    parser.add_argument("--quick", action="store_true", help="one run of 5 s per scenario and server")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached archive")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, of: {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--serve-anchor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.duration = args.duration or (5.0 if args.quick else 10.0)
    if args.docs < 10 or args.borrowers < 2 or args.clients < 1 or args.runs < 1 or args.duration <= 0:
        parser.error("--docs ≥ 10, --borrowers ≥ 2, --clients ≥ 1, --runs ≥ 1, --duration > 0")
    if args.borrowers > args.docs:
        parser.error("--borrowers must not exceed --docs")
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    if not args.scenarios or set(args.scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios: choose among {', '.join(SCENARIOS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    stop_cleanly_on_sigterm()
    args = parse_args(argv)
    if args.serve_anchor is not None:
        serve_anchor(args.serve_anchor, args.port)
        return 0
    started = time.monotonic()
    facts = machine()
    cache = cached_archive(args)
    borrowers = parties(args.borrowers)
    queries = make_queries(args.queries, args.docs, borrowers)
    with tempfile.TemporaryDirectory(prefix="dossier-bench-service-") as tmp:
        work_dir = Path(tmp)
        note("copying the cached archive …")
        prepared = prepare(cache, work_dir)
        files = work_dir / "anchor-files.json"
        files.write_text(json.dumps({str(k): v[0] for k, v in prepared.documents.items()}), encoding="utf-8")
        headers = {"Authorization": f"Bearer {prepared.token}"}
        ids = sorted(prepared.documents)
        work = {
            "search": (
                [(kind, f"/api/v1/search?q={quote(text)}&limit=20") for kind, text in queries],
                [("ping", "/ping")],
            ),
            "common phrase": (
                [("common", f"/api/v1/search?q={quote(text)}&limit=20") for text in COMMON_PHRASES],
                [("health", "/api/v1/health")],
            ),
            "ID search": (
                [
                    ("ID", f"/api/v1/search?q={quote(text)}&limit=20")
                    for kind, text in queries
                    if kind == "ID number"
                ],
                [("health", "/api/v1/health")],
            ),
            "download": (
                [("download", f"/api/v1/documents/{i}/download") for i in ids],
                [("download", f"/files/{i}") for i in ids],
            ),
            "token only": ([("me", "/api/v1/me")], [("ping", "/ping")]),
        }
        port = free_port()
        dossier = Server(
            "dossier serve",
            [
                str(entry_point("dossier")),
                "serve",
                "--home",
                str(prepared.home),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            port,
            "/api/v1/health",
            work_dir / "dossier.log",
        )
        try:
            anchor_port = free_port()
            anchor = Server(
                "anchor",
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--serve-anchor",
                    str(files),
                    "--port",
                    str(anchor_port),
                ],
                anchor_port,
                "/ping",
                work_dir / "anchor.log",
            )
            try:
                events_before = event_count(prepared.home)
                note(f"checking {len(queries)} queries and a sample of downloads …")
                check_search(dossier, headers, [*queries, *(("common", p) for p in COMMON_PHRASES)])
                check_download(dossier, anchor, headers, prepared, min(50, len(ids)))
                answered = len(queries) + len(COMMON_PHRASES) + min(50, len(ids))
                work = {name: work[name] for name in args.scenarios}
                answered += warm_up(dossier, anchor, work, headers, args.clients)
                figures = Figures()
                for run_no in range(args.runs):
                    answered += one_run(run_no, args, dossier, anchor, work, headers, figures)
            finally:
                anchor.stop()
        finally:
            dossier.stop()
        events_written = event_count(prepared.home) - events_before
    extra: dict[str, object] = {
        "dossier_answered": answered,
        "events_written": events_written,
        "seconds": round(time.monotonic() - started),
    }
    md = report(figures, args, facts, extra)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "service.md").write_text(md, encoding="utf-8")
    (RESULTS / "service.json").write_text(to_json(figures, args, facts, extra), encoding="utf-8")
    print(f"\nwritten: {RESULTS / 'service.json'} and {RESULTS / 'service.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
