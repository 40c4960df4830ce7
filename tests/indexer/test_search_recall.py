"""Recall property: every exact substring of a document finds that document, on every engine.

One index of ~200 random credit-like documents per engine (built once per module); hypothesis picks a
document and a substring of it — 1 to 12 CJK characters, a whole ID or contract number, or a mixed run
(the end of a CJK run glued to a whole number) — and searches it as a quoted phrase and as a bare word.
One miss is a bug. The documents are written in the forms extraction produces: white space between CJK
characters (OCR), full-width digits and letters, upper and lower case.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.engines import ENGINES, EngineOptions, IndexDoc, IndexEngine, IndexSchema, open_engine
from indexer.query import parse

N_DOCS = 200
SEED = 20260501
# Common characters of credit documents plus some rarer ones (and a CJK extension B character).
HAN = (
    "借款人贷款合同编号担保抵押保证金额利率期限还款本金利息逾期违约责任甲乙方银行股份有限公司中国工商建设"
    "农业招商兴业浦发民生光大华夏广发平安交通邮政储蓄分行支行营业部客户经理审批授信额度流动资金项目固定资产"
    "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "一二三四五六七八九十百千万亿元整壹贰叁肆伍陆柒捌玖拾佰仟〇年月日号第条款项之的了在是有和与及或"
    "鑫淼犇骉龘𠀀々"
)
PUNCT = "，。；：、（）《》“”！？—— ,.;:()-/"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def resident_id(rng: random.Random) -> str:
    """An 18-character resident ID number with a valid ISO 7064 MOD 11-2 check character."""
    region, year = rng.randint(110000, 659000), rng.randint(1950, 2005)
    body = f"{region}{year}{rng.randint(1, 12):02}{rng.randint(1, 28):02}{rng.randint(0, 999):03}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    return body + check


def contract_number(rng: random.Random) -> str:
    return f"{rng.choice(['JK', 'DB', 'SX', 'ZY'])}{rng.randint(2015, 2030)}-{rng.randint(0, 999999):06}"


@dataclass
class Part:
    """A piece of a document: a CJK run or a number, as written (``shown``) and as meant (``logical``)."""

    logical: str
    cjk: bool
    shown: str


@dataclass
class Document:
    id: str
    parts: list[Part]  # consecutive parts are separated by punctuation unless ``glued`` says otherwise
    glued: set[int]  # i in glued: parts[i] and parts[i + 1] touch (a CJK run followed by a number)

    @property
    def text(self) -> str:
        out: list[str] = []
        for i, part in enumerate(self.parts):
            out.append(part.shown)
            if i not in self.glued and i + 1 < len(self.parts):
                out.append(self.separator(i))
        return "".join(out)

    def separator(self, i: int) -> str:
        return PUNCT[(i * 7 + len(self.id)) % len(PUNCT)]


def cjk_run(rng: random.Random) -> Part:
    run = "".join(rng.choice(HAN) for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 21, 40, 70])))
    shown = " ".join(run) if rng.random() < 0.15 else run  # OCR puts a space between every two characters
    return Part(run, True, shown)


def number(rng: random.Random) -> Part:
    value = resident_id(rng) if rng.random() < 0.5 else contract_number(rng)
    shown = value
    if rng.random() < 0.2:
        shown = shown.translate(FULL_WIDTH)
    if rng.random() < 0.2:
        shown = shown.lower()
    return Part(value, False, shown)


def make_documents() -> list[Document]:
    rng = random.Random(SEED)
    docs = []
    for n in range(N_DOCS):
        parts: list[Part] = []
        glued: set[int] = set()
        for _ in range(rng.randint(3, 30)):
            if parts and parts[-1].cjk and rng.random() < 0.3:
                glued.add(len(parts) - 1)
                parts.append(number(rng))
            else:
                parts.append(cjk_run(rng) if rng.random() < 0.8 else number(rng))
        docs.append(Document(f"doc{n:03}", parts, glued))
    return docs


DOCUMENTS = make_documents()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexEngine]:
    path: Path = tmp_path_factory.mktemp(f"recall-{request.param}")
    opened = open_engine(request.param, path, IndexSchema(), options=EngineOptions(writer_threads=1))
    opened.add(IndexDoc(d.id, d.text) for d in DOCUMENTS)
    opened.commit()
    yield opened
    opened.close()


@st.composite
def substrings(draw: st.DrawFn) -> tuple[str, str]:
    """(document id, an exact substring of the document's logical text)."""
    doc = draw(st.sampled_from(DOCUMENTS))
    kinds = ["cjk", "number", "mixed"]
    kind = draw(st.sampled_from(kinds))
    cjk_parts = [i for i, p in enumerate(doc.parts) if p.cjk]
    numbers = [i for i, p in enumerate(doc.parts) if not p.cjk]
    mixed = [i for i in doc.glued]
    if kind == "mixed" and mixed:
        i = draw(st.sampled_from(mixed))
        run = doc.parts[i].logical
        tail = draw(st.integers(1, min(12, len(run))))
        return doc.id, run[-tail:] + doc.parts[i + 1].logical
    if kind == "number" and numbers:
        part = doc.parts[draw(st.sampled_from(numbers))]
        full = draw(st.booleans())
        return doc.id, part.logical.translate(FULL_WIDTH) if full else part.logical
    run = doc.parts[draw(st.sampled_from(cjk_parts))].logical if cjk_parts else doc.parts[0].logical
    length = draw(st.integers(1, min(12, len(run))))
    start = draw(st.integers(0, len(run) - length))
    return doc.id, run[start : start + length]


def test_the_corpus_has_every_kind_of_substring() -> None:
    assert all(any(p.cjk for p in d.parts) for d in DOCUMENTS)
    assert sum(len(d.glued) for d in DOCUMENTS) > 100
    assert sum(1 for d in DOCUMENTS for p in d.parts if not p.cjk and p.shown != p.logical) > 50
    assert any(" " in p.shown for d in DOCUMENTS for p in d.parts if p.cjk)


@settings(max_examples=300, deadline=None)
@given(case=substrings())
def test_every_substring_finds_its_document(engine: IndexEngine, case: tuple[str, str]) -> None:
    doc_id, needle = case
    for text in (f'"{needle}"', needle):
        hits = engine.search(parse(text), limit=N_DOCS, highlight=False)
        assert doc_id in {h.id for h in hits.hits}, f"{engine.name}: {text!r} missed {doc_id}"
