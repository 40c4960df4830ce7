"""Full-text search: indexing rate, index size, memory, query latency and recall, tantivy beside Whoosh.

A deterministic Chinese credit corpus (borrowers, guarantors, companies with credit codes, valid resident
ID numbers, contract numbers, amounts in figures and in 大写, dates, boilerplate clauses) of ``--docs``
documents of about 8 KB each. For each engine, in one run:

  * indexing, in a child process (so that its peak RSS is its own, read from ``wait4``): documents/s and
    MB/s of UTF-8 text, the analyzer included (each engine calls ``analysis.index_streams``), commits every
    ``--commit-every`` documents and the final close (tantivy's merges) included; generating the corpus is
    timed separately and subtracted;
  * index size on disk;
  * query latency p50/p95 by kind (engine search of the top 20 without snippets, then the same with
    snippets): one character, a 2–4 character phrase, a resident ID, a contract number, an AND of two words,
    a word filtered by borrower and date;
  * recall: random exact substrings of random documents (1–12 CJK characters, IDs, contract numbers,
    mixed CJK + number), each as a phrase and as a bare word, must find their document; and identifiers
    the document shows split by a line break, a page break or one or two spaces (as scans and other banks'
    PDFs do: about one identifier in ``SPLIT_SHARE``), searched by their whole form.

Whoosh indexes about 30 documents/s, so it indexes only the first ``--whoosh-docs`` documents (and its
queries and recall use those); the rate ratio compares documents/s as measured at those two sizes, and
tantivy indexes Whoosh's documents again to compare the two on the same documents. On 2,000 documents
tantivy's fixed costs (its analysis pool's first start, its last commit) are about a quarter of its time:
for the aim, give Whoosh all of them (``--whoosh-docs 10000``, some four minutes of Whoosh).

Aims (issue 5) for tantivy: ≥ 25× Whoosh's indexing rate, ≥ 600 documents/s on two cores, p95 ≤ 10 ms
at 100,000 documents, peak RSS ≤ 500 MB, recall 100 %.

    .venv/bin/python bench/search.py [--docs 10000] [--whoosh-docs 2000] [--queries 50] [--recall 300]

Tables go to stdout and to bench/results/search-<docs>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchlib import machine, markdown_table, note, stop_cleanly_on_sigterm, text_table, write_result

from dossier.domain.capital import to_capital
from indexer.analysis import index_streams
from indexer.engines import ENGINES, EngineOptions, IndexDoc, IndexEngine, IndexSchema, open_engine
from indexer.query import And, Field, Query, parse

SEED = 5
DOC_BYTES = 8_000
SCHEMA = IndexSchema(keyword_fields=("doc", "borrower", "category"), date_fields=("date",))
KEYWORDS = SCHEMA.keyword_fields
DATES = SCHEMA.date_fields
AIM_RATIO = 25.0
AIM_RATE = 600.0
AIM_P95_MS = 10.0
AIM_RSS_MB = 500.0
QUERY_KINDS = (
    "1 char",
    "2–4 char phrase",
    "common phrase",
    "resident ID",
    "contract no.",
    "AND of 2 words",
    "filtered",
)
COMMON_PHRASES = ("借款人", "年利率", "人民币", "保证人")
"""Boilerplate phrases in nearly every document of the corpus (issue 18's worst case)."""

# --- corpus ----------------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志成海波宁鑫淼晨曦"
PLACES = [
    "福州",
    "厦门",
    "泉州",
    "漳州",
    "莆田",
    "南平",
    "三明",
    "龙岩",
    "宁德",
    "杭州",
    "苏州",
    "深圳",
    "成都",
]
FIRM_WORDS = "恒信达润华联鑫源泰和嘉诚永盛宏图天成安康瑞丰金鼎祥瑞博远中科海峡闽台东南新元"
TRADES = [
    "贸易",
    "建材",
    "机械制造",
    "电子科技",
    "食品",
    "纺织",
    "物流",
    "建筑工程",
    "医药",
    "农业开发",
    "茶业",
]
BANKS = ["中国某某银行股份有限公司福州分行", "某某农村商业银行股份有限公司", "某某银行股份有限公司厦门支行"]
CATEGORIES = [
    "借款合同",
    "保证合同",
    "抵押合同",
    "调查报告",
    "审批表",
    "放款通知书",
    "贷后检查",
    "催收通知书",
]
USES = ["采购原材料", "支付货款", "补充流动资金", "购置生产设备", "支付工程款", "日常经营周转"]
CLAUSES = [
    "借款人应当按照本合同约定的用途使用借款，不得挤占、挪用，不得用于国家禁止生产、经营的领域和用途。",
    "借款人未按约定期限归还借款本金的，贷款人有权自逾期之日起按照本合同约定的罚息利率计收罚息。",
    "保证人承担连带责任保证，保证期间为主债务履行期限届满之日起三年。",
    "本合同项下的担保范围包括借款本金、利息、罚息、复利、违约金、损害赔偿金以及实现债权的费用。",
    "贷款人有权对借款人的生产经营和财务状况进行检查，借款人应当如实提供有关资料并予以配合。",
    "因本合同发生的争议，由双方协商解决；协商不成的，任何一方均可向贷款人所在地人民法院提起诉讼。",
    "经实地调查，借款人经营场所稳定，主要设备运转正常，近三年销售收入保持增长，现金流能够覆盖本息。",
    "借款人及其实际控制人在人民银行征信系统中无不良信用记录，未发现涉诉、涉执行等重大风险信息。",
    "本笔贷款采用受托支付方式，由贷款人根据借款人的提款申请和支付委托将贷款资金支付给借款人交易对象。",
    "抵押物为位于{place}市的工业厂房及土地使用权，建筑面积{area}平方米，评估价值{fig}元。",
]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Share of identifiers shown split, and what splits them: a line end, a Windows line end, a page break
# (extraction joins pages with a form feed), the spaces of a justified or OCR'd line.
SPLIT_SHARE = 0.1
SOFT_BREAKS = ("\n", "\r\n", "\f", " ", "  ")
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id(rng: random.Random) -> str:
    """An 18-character resident ID number with a valid ISO 7064 MOD 11-2 check character."""
    born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 17000))
    body = f"{rng.randint(110000, 659000)}{born:%Y%m%d}{rng.randint(0, 999):03}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def credit_code(rng: random.Random) -> str:
    """An 18-character unified social credit code with a valid GB 32100 check character."""
    body = "91" + f"{rng.randint(110000, 659000)}" + "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
    return body + CREDIT_CHARS[(31 - total % 31) % 31]


def contract_number(rng: random.Random) -> str:
    return f"{rng.choice(['JK', 'DB', 'DY', 'SX'])}{rng.randint(2018, 2026)}-{rng.randint(0, 999_999):06}"


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def company(rng: random.Random) -> str:
    firm = "".join(rng.choice(FIRM_WORDS) for _ in range(2))
    return f"{rng.choice(PLACES)}{firm}{rng.choice(TRADES)}有限公司"


def amount(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(50_000, 50_000_000_00)) / 100


@dataclass
class CorpusDoc:
    id: str
    text: str
    borrower: str
    category: str
    day: date
    ids: list[str] = field(default_factory=list)
    contracts: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)  # identifiers shown split, in their whole form

    def index_doc(self) -> IndexDoc:
        return IndexDoc(
            self.id,
            self.text,
            {"doc": [self.id], "borrower": [self.borrower], "category": [self.category]},
            {"date": self.day},
            {"title": f"{self.category}（{self.borrower}）"},
        )


def shown(doc: CorpusDoc, identifier: str, splits: random.Random) -> str:
    """The identifier as the document shows it: mostly whole, sometimes split at a random place."""
    if splits.random() >= SPLIT_SHARE:
        return identifier
    doc.split.append(identifier)
    at = splits.randrange(1, len(identifier))
    return identifier[:at] + splits.choice(SOFT_BREAKS) + identifier[at:]


def corpus_doc(n: int) -> CorpusDoc:
    """Document number ``n``, the same on every run and in every process."""
    rng = random.Random(SEED * 1_000_003 + n)
    splits = random.Random(f"{SEED}-split-{n}")  # its own stream: the rest of the corpus stays as it was
    borrower, lender, guarantor = company(rng), rng.choice(BANKS), company(rng)
    code, manager = credit_code(rng), person(rng)
    day = date(2018, 1, 1) + timedelta(days=rng.randint(0, 3200))
    doc = CorpusDoc(f"D{n:07}", "", code, rng.choice(CATEGORIES), day)
    code_shown = shown(doc, code, splits)
    parts: list[str] = [
        f"{doc.category}\n借款人：{borrower}（统一社会信用代码：{code_shown}）\n贷款人：{lender}\n"
    ]
    size = len(parts[0].encode())
    while size < DOC_BYTES:
        roll = rng.random()
        if roll < 0.18:
            name, pid, total = person(rng), resident_id(rng), amount(rng)
            pid_shown = shown(doc, pid, splits)
            if pid_shown == pid:
                doc.ids.append(pid)
            sentence = (
                f"法定代表人{name}，身份证号码{pid_shown}，申请借款人民币{total:,}元（大写：{to_capital(total)}），"
                f"用于{rng.choice(USES)}，期限{rng.randint(6, 60)}个月，"
                f"年利率{rng.randint(300, 650) / 100}%。"
            )
        elif roll < 0.30:
            number = contract_number(rng)
            number_shown = shown(doc, number, splits)
            if number_shown == number:
                doc.contracts.append(number)
            sentence = (
                f"根据借款合同{number_shown}号的约定，保证人{guarantor}为借款人提供连带责任保证，"
                f"担保金额{amount(rng):,}元。"
            )
        elif roll < 0.40:
            sentence = (
                f"{day.year}年{day.month}月{day.day}日，客户经理{manager}与{person(rng)}对{borrower}进行了"
                f"现场检查，查看了仓库、生产线和银行流水，未发现异常情况。"
            )
        else:
            sentence = rng.choice(CLAUSES).format(
                place=rng.choice(PLACES), area=rng.randint(500, 30000), fig=f"{amount(rng):,}"
            )
        parts.append(sentence)
        size += len(sentence.encode())
        if rng.random() < 0.2:
            parts.append("\n")
    doc.text = "".join(parts)
    return doc


def cjk_runs(text: str) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    for char in text:
        if "\u4e00" <= char <= "\u9fff":
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def cjk_substring(rng: random.Random, text: str, low: int, high: int) -> str:
    runs = [r for r in cjk_runs(text) if len(r) >= low]
    run = rng.choice(runs)
    length = rng.randint(low, min(high, len(run)))
    start = rng.randint(0, len(run) - length)
    return run[start : start + length]


# --- queries ----------------------------------------------------------------------------------------------


def make_queries(kind: str, count: int, docs: int, seed: int) -> list[str]:
    rng = random.Random(f"{seed}-{kind}")
    out: list[str] = []
    while len(out) < count:
        doc = corpus_doc(rng.randrange(docs))
        if kind == "1 char":
            out.append(cjk_substring(rng, doc.text, 1, 1))
        elif kind == "2–4 char phrase":
            out.append(f'"{cjk_substring(rng, doc.text, 2, 4)}"')
        elif kind == "common phrase":
            out.append(rng.choice(COMMON_PHRASES))
        elif kind == "resident ID" and doc.ids:
            out.append(rng.choice(doc.ids))
        elif kind == "contract no." and doc.contracts:
            out.append(rng.choice(doc.contracts))
        elif kind == "AND of 2 words":
            out.append(f"{cjk_substring(rng, doc.text, 2, 2)} {cjk_substring(rng, doc.text, 2, 2)}")
        elif kind == "filtered":
            word = cjk_substring(rng, doc.text, 2, 3)
            out.append(f"{word} borrower:{doc.borrower} date:{doc.day.year}-01-01..{doc.day.year}-12-31")
    return out


@dataclass(frozen=True)
class RecallCase:
    doc_id: str
    query: str
    split: bool  # an identifier the document shows split, searched by its whole form


def recall_cases(count: int, docs: int, seed: int) -> list[RecallCase]:
    """Exact substrings of a document, as phrases and as bare words; one case in five an identifier the
    document shows split, by its whole form."""
    rng = random.Random(f"{seed}-recall")
    cases: list[RecallCase] = []
    while len(cases) < count:
        doc = corpus_doc(rng.randrange(docs))
        if rng.random() < 0.2:
            if doc.split:
                needle = rng.choice(doc.split)
                cases.append(RecallCase(doc.id, f'"{needle}"' if rng.random() < 0.5 else needle, True))
            continue
        roll = rng.random()
        if roll < 0.55:
            needle = cjk_substring(rng, doc.text, 1, 12)
        elif roll < 0.7 and doc.ids:
            needle = rng.choice(doc.ids)
        elif roll < 0.85 and doc.contracts:
            needle = rng.choice(doc.contracts)
        elif doc.ids:  # mixed: the CJK text just before an ID number, glued to it
            pid = rng.choice(doc.ids)
            at = doc.text.index(pid)
            needle = doc.text[at - rng.randint(1, 5) : at] + pid
        else:
            continue
        cases.append(RecallCase(doc.id, f'"{needle}"' if rng.random() < 0.5 else needle, False))
    return cases


# --- the measured child: indexing -------------------------------------------------------------------------


def options(args: argparse.Namespace) -> EngineOptions:
    return EngineOptions(
        writer_threads=args.threads,
        writer_heap_mb=args.heap_mb,
        analysis_workers=args.analysis_workers,
        lock_timeout=0,
        # Query latency is the engine's own work for each query, not what its hit cache saves when the
        # same hits come back (the service bench measures that, as users meet it).
        hit_cache_bytes=0,
    )


def child_index(args: argparse.Namespace) -> None:
    """Index documents 0 … n-1 and print what it took as JSON (run in its own process)."""
    engine = open_engine(args.engine, Path(args.dir), SCHEMA, recreate=True, options=options(args))
    generating = 0.0
    text_bytes = 0
    start = time.perf_counter()
    for first in range(0, args.n, args.commit_every):
        # The documents of one commit are made before they are indexed, and their making is not counted:
        # made one by one between additions, their making gave tantivy's indexing threads time that was
        # then taken off the total (Whoosh, indexing in this thread, had no such gift).
        made = time.perf_counter()
        docs = [corpus_doc(n).index_doc() for n in range(first, min(args.n, first + args.commit_every))]
        generating += time.perf_counter() - made
        text_bytes += sum(len(doc.text.encode()) for doc in docs)
        for at in range(0, len(docs), 100):
            engine.add(docs[at : at + 100])
        engine.commit()
    engine.close()
    total = time.perf_counter() - start
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kilobytes on Linux
    report = {"seconds": total - generating, "generating": generating, "bytes": text_bytes}
    print(json.dumps({**report, "worker_rss_mb": workers}))


def run_index_child(args: argparse.Namespace, engine: str, n: int, directory: Path) -> dict[str, float]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-index",
        "--engine",
        engine,
        "--n",
        str(n),
        "--dir",
        str(directory),
        "--threads",
        str(args.threads),
        "--heap-mb",
        str(args.heap_mb),
        "--commit-every",
        str(args.commit_every),
        "--analysis-workers",
        str(args.analysis_workers),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"indexing with {engine} failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


# --- the parent: queries, recall, tables ------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def q(text: str) -> Query:
    return parse(text, keyword_fields=KEYWORDS, date_fields=DATES)


def time_queries(engine: IndexEngine, queries: list[str], *, highlight: bool) -> list[float]:
    times = []
    for text in queries:
        query = q(text)
        start = time.perf_counter()
        engine.search(query, limit=20, highlight=highlight)
        times.append((time.perf_counter() - start) * 1000)
    return times


def recall(engine: IndexEngine, cases: list[RecallCase]) -> list[RecallCase]:
    """The cases whose query does not find their document."""
    return [c for c in cases if engine.count(And((q(c.query), Field("doc", c.doc_id)))) != 1]


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def analyzer_rate(n: int) -> float:
    docs = [corpus_doc(i).text for i in range(n)]
    start = time.perf_counter()
    for text in docs:
        index_streams(text)
    return n / (time.perf_counter() - start)


@dataclass
class EngineRun:
    name: str
    docs: int
    index: dict[str, float]
    size: int
    latency: dict[str, list[float]]
    latency_snippets: dict[str, list[float]]
    cases: list[RecallCase]
    misses: list[RecallCase]

    @property
    def rate(self) -> float:
        return self.docs / self.index["seconds"]

    @property
    def found(self) -> int:
        return len(self.cases) - len(self.misses)

    @property
    def split_recall(self) -> str:
        split = sum(1 for c in self.cases if c.split)
        return f"{split - sum(1 for c in self.misses if c.split)}/{split}"


def measure(args: argparse.Namespace, name: str, n: int, work: Path) -> EngineRun:
    directory = work / name
    note(f"{name}: indexing {n:,} documents …")
    indexed = run_index_child(args, name, n, directory)
    note(f"{name}: {n / indexed['seconds']:.0f} docs/s; queries …")
    engine = open_engine(name, directory, SCHEMA, options=options(args))
    try:
        latency, with_snippets = {}, {}
        for kind in QUERY_KINDS:
            queries = make_queries(kind, args.queries, n, SEED)
            time_queries(engine, queries[:5], highlight=False)  # warm the caches
            latency[kind] = time_queries(engine, queries, highlight=False)
            with_snippets[kind] = time_queries(engine, queries, highlight=True)
        note(f"{name}: recall …")
        cases = recall_cases(args.recall, n, SEED)
        misses = recall(engine, cases)
    finally:
        engine.close()
    return EngineRun(name, n, indexed, directory_size(directory), latency, with_snippets, cases, misses)


def ms(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.1f} / {percentile(values, 95):.1f}"


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def report(
    args: argparse.Namespace,
    runs: list[EngineRun],
    analyzer: float,
    started: float,
    same_docs_rate: float | None = None,
) -> str:
    by_name = {r.name: r for r in runs}
    headers = [
        "engine",
        "docs",
        "docs/s",
        "MB/s",
        "index MB",
        "peak RSS MB",
        "worker RSS MB",
        "CPU ms/doc",
        "recall",
        "split-ID recall",
    ]
    rows = []
    for r in runs:
        rows.append(
            [
                r.name,
                f"{r.docs:,}",
                f"{r.rate:.0f}",
                f"{r.index['bytes'] / r.index['seconds'] / 1e6:.2f}",
                f"{r.size / 1e6:.0f}",
                f"{r.index['peak_rss_mb']:.0f}",
                f"{r.index['worker_rss_mb']:.0f}" if r.index["worker_rss_mb"] else "—",
                f"{(r.index['cpu_seconds'] - r.index['generating']) / r.docs * 1000:.1f}",
                f"{r.found}/{len(r.cases)}",
                r.split_recall,
            ]
        )
    lat_headers = (
        ["query kind"] + [f"{r.name} p50 / p95 ms" for r in runs] + [f"{r.name} +snippets" for r in runs]
    )
    lat_rows = [
        [kind] + [ms(r.latency[kind]) for r in runs] + [ms(r.latency_snippets[kind]) for r in runs]
        for kind in QUERY_KINDS
    ]
    verdict: list[str] = []
    tantivy = by_name.get("tantivy")
    if tantivy:
        p95 = max(percentile(v, 95) for v in tantivy.latency.values())
        verdict.append(
            f"- tantivy indexing rate {tantivy.rate:.0f} docs/s (aim ≥ {AIM_RATE:.0f}) "
            f"{mark(tantivy.rate >= AIM_RATE)}"
        )
        if "whoosh" in by_name:
            whoosh = by_name["whoosh"]
            at_sizes = tantivy.rate / whoosh.rate
            if same_docs_rate is None:
                verdict.append(
                    f"- tantivy/whoosh indexing rate {at_sizes:.1f}× (aim ≥ {AIM_RATIO:.0f}×) "
                    f"{mark(at_sizes >= AIM_RATIO)}"
                )
            else:
                ratio = same_docs_rate / whoosh.rate
                verdict.append(
                    f"- tantivy/whoosh indexing rate on the same {whoosh.docs:,} documents {ratio:.1f}× "
                    f"(tantivy {same_docs_rate:.0f} docs/s there; aim ≥ {AIM_RATIO:.0f}×) "
                    f"{mark(ratio >= AIM_RATIO)}; at their own sizes {at_sizes:.1f}×"
                )
        verdict.append(
            f"- tantivy worst p95 (engine search) {p95:.1f} ms at {tantivy.docs:,} docs "
            f"(aim ≤ {AIM_P95_MS:.0f} ms at 100,000) "
            f"{mark(p95 <= AIM_P95_MS)}"
        )
        rss = tantivy.index["peak_rss_mb"]
        verdict.append(f"- tantivy peak RSS {rss:.0f} MB (aim ≤ {AIM_RSS_MB:.0f}) {mark(rss <= AIM_RSS_MB)}")
    for r in runs:
        verdict.append(
            f"- {r.name} recall {r.found}/{len(r.cases)} (split identifiers {r.split_recall}) "
            f"{mark(not r.misses)}"
        )
        verdict.extend(f"  - miss {m.doc_id}: {m.query!r}" for m in r.misses[:10])
    facts = machine()
    lines = [
        "# bench/search.py",
        "",
        *(f"- {k}: {v}" for k, v in facts.items()),
        f"- docs={args.docs:,} (whoosh: the first {min(args.whoosh_docs, args.docs):,}), "
        f"~{DOC_BYTES // 1000} KB each; tantivy writer {args.threads} threads, {args.heap_mb} MB heap; "
        f"{args.analysis_workers} analysis worker processes; commit every {args.commit_every:,}; "
        f"{args.queries} queries per kind; {args.recall} recall cases per engine; "
        f"total {time.perf_counter() - started:.0f} s",
        f"- analyzer alone (index_streams, one core): {analyzer:.0f} docs/s",
        "",
        "## Indexing and recall",
        "",
        markdown_table(headers, rows),
        "",
        "## Query latency (top 20; engine search alone, then with snippets from the stored text)",
        "",
        markdown_table(lat_headers, lat_rows),
        "",
        "## Aims",
        "",
        *verdict,
        "",
        "## Notes",
        "",
        "- Indexing runs in a child process: docs/s and MB/s include the analyzer, the commits and the final",
        "  close (tantivy waits for its merges); corpus generation is timed and subtracted. Peak RSS is the",
        "  indexing process's ru_maxrss; each analysis worker process peaks at 'worker RSS MB' on top of it;",
        "  CPU ms/doc is the user + system time of the indexing process and its workers (process start",
        "  included, corpus generation subtracted) per document: unlike docs/s it hardly depends on the load",
        "  other processes put on the machine.",
        "- Whoosh indexes a subset (it runs at tens of documents/s); tantivy then indexes the same subset",
        "  once more (index only) and the ratio compares the two on the same documents.",
        "- Recall: exact substrings (1–12 CJK characters, resident IDs, contract numbers, CJK glued to an",
        "  ID), half as quoted phrases; a case passes when the query AND doc:<its id> matches one document.",
        f"  One case in five is an identifier the document shows split (about {SPLIT_SHARE:.0%} of credit",
        "  codes, resident IDs and contract numbers are split at a random place by a line break, a page",
        "  break, one or two spaces), searched by its whole form: the 'split-ID recall' column counts those.",
    ]
    print(text_table(headers, rows))
    print()
    print(text_table(lat_headers, lat_rows))
    print()
    print("\n".join(verdict))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    stop_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--whoosh-docs", type=int, default=2_000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--queries", type=int, default=50, help="queries per kind")
    parser.add_argument("--recall", type=int, default=300, help="recall cases per engine")
    parser.add_argument("--threads", type=int, default=2, help="tantivy writer threads")
    parser.add_argument("--heap-mb", type=int, default=200, help="tantivy writer memory budget")
    parser.add_argument("--commit-every", type=int, default=2_000)
    parser.add_argument("--workdir", type=Path, default=None, help="where to build the indexes (tmp)")
    parser.add_argument("--analysis-workers", type=int, default=2, help="analyzer processes while indexing")
    parser.add_argument("--keep", action="store_true", help="keep the indexes")
    parser.add_argument("--child-index", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_index:
        child_index(args)
        return
    started = time.perf_counter()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench-search-", dir=args.workdir))
    try:
        analyzer = analyzer_rate(300)
        runs = []
        for name in engines:
            n = min(args.whoosh_docs, args.docs) if name == "whoosh" else args.docs
            runs.append(measure(args, name, n, work))
        same_docs_rate = None
        subset = min(args.whoosh_docs, args.docs)
        if {"tantivy", "whoosh"} <= set(engines) and subset < args.docs:
            # Whoosh slows as its index grows: compare the two engines on the same documents.
            note(f"tantivy: indexing Whoosh's {subset:,} documents …")
            same = run_index_child(args, "tantivy", subset, work / "tantivy-same")
            same_docs_rate = subset / same["seconds"]
        text = report(args, runs, analyzer, started, same_docs_rate)
        path = write_result(f"search-{args.docs}", text)
        note(f"written {path}")
    finally:
        if args.keep:
            note(f"indexes kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
