"""Index replicas fed from the catalog's change log (issue 18): apply rate, lag under a burst, 2 nodes vs 1.

A PostgreSQL cluster is started for the run (tests/kit/postgres.py). ``--docs`` text documents (about
2 KB of Chinese credit prose each) are filed and extracted once (the outbox drained without applying), so
the change log holds one ``add`` per document and the text cache is warm. Then, ``--runs`` times:

  * log apply rate: a fresh replica (empty engine, applied seq 0) applies the whole log (documents/s);
    anchor: the engine's plain add rate for the same documents, same batches and commits, in the same run;
  * lag under a burst: a follower (the service's LISTEN thread and applier, in this process) follows a
    second replica while ``--burst`` documents are filed and extracted one by one as fast as they can be;
    lag = time from the extraction's commit to the follower's applied seq reaching it (p50, p95);
  * search throughput: ``--queries`` searches in one process on one replica, then the same in each of two
    processes on two replicas at once (queries/s, and the ratio).

Aims: apply ≥ 600 documents/s, lag p95 ≤ 2 s.

    .venv/bin/python bench/replica.py [--docs 3000] [--burst 200] [--queries 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from benchlib import Series, machine, markdown_table, note, stop_cleanly_on_sigterm, text_table, write_result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from kit.postgres import throwaway_cluster

from dossier.archive import Archive, index_log
from dossier.archive.catalog.models import Document
from dossier.archive.filing import FilingRequest, file_document, file_documents
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.search.fields import index_doc
from dossier.search.index_place import load_filed
from dossier.search.indexing import Indexer
from dossier.search.log_listener import LogFollower
from dossier.search.replica import read_applied
from dossier.search.search_index import SearchIndex
from dossier.search.settings import ReplicaIdentity

SEED = 18
BORROWER = "110105198001010016"
WORDS = (
    "借款人 保证人 抵押物 贷款合同 年利率 还款计划 逾期 催收 授信额度 担保 经营状况 财务报表 现金流 "
    "应收账款 存货 固定资产 流动资金 贷后检查 五级分类 关注类 次级类 风险预警 法定代表人 营业执照 "
    "统一社会信用代码 住所 注册资本 经营范围 到期还款 提示 利息 罚息 复利 展期 借新还旧"
).split()
CONFIG = """\
[catalog]
url = "{url}"
pool_size = 6

[search]
ocr = false
index_path = "{index}"
node = "bench-main"
"""
SEARCHER = """
import sys, time, json
from pathlib import Path
from dossier.archive import Archive
from dossier.config import load_config
from dossier.search.search_index import SearchIndex
from dossier.search.settings import ReplicaIdentity
config, home, index, node, start_at, *queries = sys.argv[1:]
with Archive.open(home, config=load_config(config)) as archive:
    search = SearchIndex(archive, identity=ReplicaIdentity(node, Path(index)))
    search.search(queries[0])
    while time.time() < float(start_at):
        time.sleep(0.001)
    began = time.perf_counter()
    for query in queries:
        search.search(query)
    print(json.dumps({"seconds": time.perf_counter() - began}))
"""


def prose(rng: random.Random, n: int) -> str:
    return f"档案材料第{n}号 RPB{n:06d}X " + "".join(rng.choice(WORDS) for _ in range(400))


def setup(work: Path, url: str, docs: int) -> Path:
    config = work / "bench.toml"
    config.write_text(CONFIG.format(url=url, index=work / "idx-main"), encoding="utf-8")
    rng = random.Random(SEED)
    home = work / "home"
    with Archive.init(home, config=load_config(config)) as archive:
        ensure_borrower(archive, BORROWER, "李四", "person", actor="bench")
        # A node registered at seq 0 keeps the whole log for every run (trimming waits for it).
        archive.transaction(lambda s: index_log.record_node(s, "bench-holder", "-", 0))
        requests = [
            FilingRequest(
                prose(rng, n).encode("utf-8"),
                BORROWER,
                "basic",
                "other",
                f"材料{n}",
                source="generated",
                filename=f"doc-{n}.txt",
                actor="bench",
            )
            for n in range(docs)
        ]
        file_documents(archive, requests)
        Indexer(SearchIndex(archive).place).process(apply=False)
    return config


def apply_rate(archive: Archive, work: Path, run: int) -> tuple[float, float, int]:
    """(apply documents/s, plain add documents/s, documents) for a fresh replica and a fresh engine."""
    index = SearchIndex(archive, identity=ReplicaIdentity(f"bench-r{run}", work / f"idx-r{run}"))
    index.place.open_engine().close()
    index.replica._record(0)
    began = time.perf_counter()
    report = index.apply()
    applied = time.perf_counter() - began
    assert report.rebuilt is None, report.rebuilt
    ids = archive.transaction(
        lambda s: [d for (d,) in s.execute(Document.__table__.select().with_only_columns(Document.id))],
        write=False,
    )
    loaded = archive.transaction(lambda s: load_filed(s, ids), write=False)
    texts = index.texts
    docs = [index_doc(d, b, loan, texts.text_for(d).text) for d, b, loan in loaded.values()]
    plain = SearchIndex(archive, identity=ReplicaIdentity(f"bench-p{run}", work / f"idx-p{run}"))
    engine = plain.place.open_engine(recreate=True)
    size = index.settings.batch_size
    began = time.perf_counter()
    for start in range(0, len(docs), size):
        engine.add(docs[start : start + size])
        engine.commit()
    added = time.perf_counter() - began
    engine.close()
    return report.indexed / applied, len(docs) / added, report.indexed


def burst_lag(archive: Archive, work: Path, run: int, burst: int) -> list[float]:
    """Seconds from each extraction's commit to a following replica's applied seq reaching it."""
    identity = ReplicaIdentity(f"bench-f{run}", work / f"idx-f{run}")
    follower_index = SearchIndex(archive, identity=identity)
    follower_index.apply()  # built and caught up before the burst
    follower = LogFollower(follower_index)
    follower.start(listen=True)
    reached: dict[int, float] = {}
    logged: list[tuple[int, float]] = []
    stop = threading.Event()
    engine = follower_index.engine_name

    def watch() -> None:
        last = -1
        while not stop.is_set():
            found = read_applied(identity.index_path, engine)
            if found is not None and found[0] != last:
                last = found[0]
                reached[last] = time.perf_counter()
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(SEED + run)
    indexer = Indexer(SearchIndex(archive).place)
    time.sleep(1.0)  # the listener is connected
    try:
        for n in range(burst):
            file_document(
                archive,
                prose(rng, 1_000_000 + run * burst + n).encode("utf-8"),
                borrower_key=BORROWER,
                category="basic",
                doc_type="other",
                title=f"突发{n}",
                filename=f"burst-{run}-{n}.txt",
                source="generated",
                actor="bench",
            )
            report = indexer.process(apply=False)
            logged.append((report.logged, time.perf_counter()))
        deadline = time.monotonic() + 120
        while (read_applied(identity.index_path, engine) or (0, None))[0] < logged[-1][0]:
            if time.monotonic() > deadline:
                raise RuntimeError("the follower did not catch up within 120 s")
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        stop.set()
        watcher.join()
        follower.stop()
    seqs = sorted(reached)
    lags = []
    for seq, at in logged:
        first = next(s for s in seqs if s >= seq)
        lags.append(max(0.0, reached[first] - at))
    return lags


def search_rate(config: Path, home: Path, work: Path, queries: Sequence[str], replicas: int) -> float:
    """Queries/s over ``replicas`` processes, each on its own replica (the main and first apply replica)."""
    start_at = time.time() + 3.0
    paths = [(work / "idx-main", "bench-main"), (work / "idx-r0", "bench-r0")][:replicas]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SEARCHER, str(config), str(home), str(p), node, str(start_at), *queries],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p, node in paths
    ]
    seconds = []
    for child in children:
        out, _ = child.communicate(timeout=600)
        assert child.returncode == 0
        seconds.append(json.loads(out)["seconds"])
    return replicas * len(queries) / max(seconds)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    stop_cleanly_on_sigterm()
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dossier-bench-replica-"))
    cluster = throwaway_cluster("dossier-bench-pg-")
    figures: dict[str, Series] = {}

    def add(name: str, value: float) -> None:
        figures.setdefault(name, Series()).add(value)

    try:
        url = cluster.url(cluster.create_database("replica"))
        note(f"filing and extracting {args.docs} documents")
        config = setup(work, url, args.docs)
        home = work / "home"
        rng = random.Random(SEED)
        queries = [rng.choice(WORDS) for _ in range(args.queries)]
        with Archive.open(home, config=load_config(config)) as archive:
            SearchIndex(archive).apply()  # the main replica, for the search figures
            for run in range(args.runs):
                note(f"run {run + 1}/{args.runs}")
                applied, plain, _ = apply_rate(archive, work, run)
                add("log apply docs/s", applied)
                add("engine plain add docs/s (anchor)", plain)
                add("apply / plain add", applied / plain)
                lags = sorted(burst_lag(archive, work, run, args.burst))
                add("lag p50 s", statistics.median(lags))
                add("lag p95 s", lags[int(0.95 * (len(lags) - 1))])
                one = search_rate(config, home, work, queries, 1)
                two = search_rate(config, home, work, queries, 2)
                add("search q/s, 1 node", one)
                add("search q/s, 2 nodes", two)
                add("2 nodes / 1 node", two / one)
                for name in (f"idx-r{run}", f"idx-p{run}", f"idx-f{run}"):
                    if run and name != "idx-r0":
                        shutil.rmtree(work / name, ignore_errors=True)
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    headers = ["figure", "median", "runs"]
    rows = [[name, f"{s.median:.3f}", " ".join(f"{v:.3f}" for v in s.values)] for name, s in figures.items()]
    facts = machine()
    print(text_table(headers, rows))
    print(" · ".join(f"{k}: {v}" for k, v in facts.items()))
    body = "\n".join(
        [
            f"# Index replicas: {args.docs} documents, bursts of {args.burst}, {args.queries} queries",
            "",
            markdown_table(headers, rows),
            "",
            " · ".join(f"{k}: {v}" for k, v in facts.items()),
        ]
    )
    print(f"written to {write_result(f'replica-{args.docs}', body)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
