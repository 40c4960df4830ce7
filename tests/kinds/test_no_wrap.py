"""Nothing that identifies a party or an amount may wrap (issue 14, part 1).

Every kind's example, and a variant of it with the longest realistic values (a 40-character company name,
a 21-character 大写 amount, 18-character credit codes heavy in wide capitals), is rendered and converted to
PDF in one LibreOffice batch. The PDF's text layer is read back line by line: every 统一社会信用代码 and
身份证号 of the input, and every 大写 amount the document prints, must appear whole on one line as often as
the DOCX prints it, and every 大写 amount must agree with the figures printed beside it.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pypdfium2 as pdfium
import pytest
from docx.oxml.ns import qn
from lxml import etree

from dossier.config import load_config
from dossier.domain.capital import parse_capital, to_capital
from dossier.domain.identifiers.credit_code import credit_check_char, org_check_char, parse_credit_code
from dossier.domain.money import format_amount
from dossier.generation import SHIPPED_TEMPLATES, Generator
from dossier.kinds.registry import all_kinds, get_kind
from dossier.render.nobreak import NOBREAK_STYLE, WORD_JOINER
from dossier.render.pdf import PdfConverter, require_all
from templates.build.layout import build_template

KINDS = sorted(all_kinds())
VARIANTS = ("example", "long")

LONG_NAME = "厦门市海沧区示例国际贸易与供应链管理集团股份有限公司福建自由贸易试验区厦门分公司"
LONG_AMOUNT = Decimal("9876543.21")
"""人民币玖佰捌拾柒万陆仟伍佰肆拾叁元贰角壹分: 21 characters, the longest 大写 of an amount under ten
million with 角 and 分. The issue asked for 17 characters (人民币玖仟捌佰柒拾陆万伍仟肆佰元整); many real
amounts are longer: 1,234,567.89 is 人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分, 21."""
# Where each kind takes the amount that its 大写 figures come from.
AMOUNT_PATHS: dict[str, tuple[str, ...]] = {
    "loan-contract": ("loan.amount",),
    "guarantee-contract": ("claim_amount",),
    "mortgage-contract": ("claim_amount",),
    "credit": ("request.amount", "approval.amount"),
    "investigation": ("request.amount", "conclusion.amount"),
    "reminder": ("loan.amount", "balance", "principal_due"),
    "warning-report": ("loan.amount", "balance", "overdue_principal"),
    "collection": ("loan.amount", "overdue_principal"),
    "collection-plan": ("loan.amount", "balance", "overdue_principal"),
    "collection-report": ("loan.amount", "overdue_principal"),
    "inspection": ("loan.amount",),
    "public-notice": ("debtors.0.principal",),
    "handover-list": ("borrowers.0.loans.0.balance",),
    "transfer-list": ("borrower.loans.0.balance",),
}

CAPITAL_RE = re.compile(r"人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def long_credit_code(n: int) -> str:
    """A valid 18-character code whose organisation part is wide capitals (M, W, K, N, Q...)."""
    letters = "MWKNQHGDUB"
    body8 = "MA" + "".join(letters[(n + i) % len(letters)] for i in range(5)) + str(n % 10)
    body17 = "91350200" + body8 + org_check_char(body8)
    return body17 + credit_check_char(body17)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def long_variant(kind: str, example: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(example)
    codes = iter(range(100))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("credit_code"), str):
                node["credit_code"] = long_credit_code(next(codes))
                if isinstance(node.get("name"), str):
                    node["name"] = LONG_NAME
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    if isinstance(data.get("lender"), dict):
        data["lender"]["name"] = LONG_NAME  # a borrower who is a person has no company name
    for path in AMOUNT_PATHS[kind]:
        _set(data, path, LONG_AMOUNT)
    return data


def identifiers_of(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("credit_code", "id_number") and isinstance(value, str):
                found.add(value)
            else:
                found |= identifiers_of(value)
    elif isinstance(node, list):
        for value in node:
            found |= identifiers_of(value)
    return found


@dataclass(frozen=True)
class Rendered:
    kind: str
    variant: str
    identifiers: frozenset[str]
    blocks: tuple[str, ...]
    """DOCX text in body order: one block per non-empty paragraph outside tables, one per table."""
    paragraphs: tuple[str, ...]
    """Every paragraph of the DOCX body, in tables or not."""
    lines: tuple[str, ...]
    """The PDF's text layer, one entry per printed line."""

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.variant}"


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{_W}t"))


def docx_blocks(content: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        body = etree.fromstring(z.read("word/document.xml")).find(f"{_W}body")
    blocks: list[str] = []
    for child in body:
        if child.tag == f"{_W}p" and _text(child).strip():
            blocks.append(_text(child))
        elif child.tag == f"{_W}tbl":
            rows = [" | ".join(_text(c) for c in tr.iter(f"{_W}tc")) for tr in child.iter(f"{_W}tr")]
            blocks.append("\n".join(rows))
    paragraphs = tuple(_text(p) for p in body.iter(f"{_W}p"))
    return tuple(blocks), paragraphs


def pdf_lines(pdf: Path) -> tuple[str, ...]:
    document = pdfium.PdfDocument(pdf)
    try:
        lines: list[str] = []
        for page in document:
            text = page.get_textpage().get_text_range()
            lines.extend(re.split(r"\r\n|\r|\n", text))
        return tuple(lines)
    finally:
        document.close()


STRADDLE_OFFSETS = range(18, 36)


def straddling_docx(path: Path, *, marked: bool) -> Path:
    """One paragraph per offset, each putting a 大写 amount across the end of a line somewhere."""
    document = docx.Document()
    for n in STRADDLE_OFFSETS:
        paragraph = document.add_paragraph("测" * n + "金额为")
        run = paragraph.add_run(to_capital(LONG_AMOUNT))
        if marked:
            rpr = run._element.get_or_add_rPr()
            rpr.insert(0, rpr.makeelement(qn("w:rStyle"), {qn("w:val"): NOBREAK_STYLE}))
        paragraph.add_run("，后续文字。")
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    assert shutil.which("soffice"), "LibreOffice must be installed (make setup installs it)"
    folder = tmp_path_factory.mktemp("nowrap")
    generator = Generator(config=load_config())
    made: list[tuple[str, str, frozenset[str], bytes, Path]] = []
    for kind in KINDS:
        example = get_kind(kind).example()
        for variant, data in (("example", example), ("long", long_variant(kind, example))):
            document = generator.generate(kind, data)
            path = folder / f"{kind}-{variant}.docx"
            path.write_bytes(document.content)
            made.append((kind, variant, frozenset(identifiers_of(data)), document.content, path))
    straddles = [
        straddling_docx(folder / f"straddle-{variant}.docx", marked=variant == "marked")
        for variant in ("marked", "plain")
    ]
    with PdfConverter() as converter:  # one batch for all 26 documents
        *pdfs, marked_pdf, plain_pdf = require_all(
            converter.convert([m[4] for m in made] + straddles, folder / "pdf")
        )
    out: dict[str, Rendered] = {}
    for variant, pdf in (("marked", marked_pdf), ("plain", plain_pdf)):
        out[f"straddle-{variant}"] = Rendered("straddle", variant, frozenset(), (), (), pdf_lines(pdf))
    for (kind, variant, identifiers, content, _), pdf in zip(made, pdfs, strict=True):
        blocks, paragraphs = docx_blocks(content)
        item = Rendered(kind, variant, identifiers, blocks, paragraphs, pdf_lines(pdf))
        out[item.name] = item
    return out


DOCUMENTS = [f"{kind}-{variant}" for kind in KINDS for variant in VARIANTS]


def _split_ones(values: set[str], doc: Rendered) -> list[tuple[str, int, int]]:
    """(value, times the DOCX prints it, times the PDF shows it whole on one line) where they differ."""
    wrong = []
    for value in sorted(values):
        printed = sum(p.count(value) for p in doc.paragraphs)
        whole = sum(line.count(value) for line in doc.lines)
        if printed != whole:
            wrong.append((value, printed, whole))
    return wrong


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_identifier_is_whole_on_one_line(rendered: dict[str, Rendered], name: str) -> None:
    doc = rendered[name]
    assert _split_ones(set(doc.identifiers), doc) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_capital_amount_is_whole_on_one_line(rendered: dict[str, Rendered], name: str) -> None:
    doc = rendered[name]
    amounts = {m for p in doc.paragraphs for m in CAPITAL_RE.findall(p)}
    assert amounts, f"{name} prints no 大写 amount"
    assert _split_ones(amounts, doc) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_capital_amounts_agree_with_their_figures(rendered: dict[str, Rendered], name: str) -> None:
    """Beside it: in the same paragraph or table, or in the paragraph or table just before or after
    (``欠款合计（大写）：人民币…`` under the table whose last row is ``欠款合计（元） | 306,688.75``)."""
    doc = rendered[name]
    disagreeing = []
    for i, block in enumerate(doc.blocks):
        beside = "\n".join(doc.blocks[max(i - 1, 0) : i + 2])
        for capital in CAPITAL_RE.findall(block):
            figures = format_amount(parse_capital(capital))
            if figures not in beside:
                disagreeing.append((capital, figures))
    assert disagreeing == []


@pytest.mark.parametrize("kind", KINDS)
def test_the_long_variant_prints_the_long_values(rendered: dict[str, Rendered], kind: str) -> None:
    doc = rendered[f"{kind}-long"]
    text = "\n".join(doc.paragraphs)
    assert len(LONG_NAME) == 40 and LONG_NAME in text
    assert len(to_capital(LONG_AMOUNT)) == 21
    longest = max((m for p in doc.paragraphs for m in CAPITAL_RE.findall(p)), key=len)
    assert len(longest) >= 21, f"the longest 大写 printed is {longest}"
    long_codes = [c for c in doc.identifiers if c.startswith("91350200MA")]
    assert all(
        parse_credit_code(c, config=load_config()).check_ok
        and parse_credit_code(c, config=load_config()).org_code_ok
        for c in long_codes
    )
    if long_codes:
        assert any(c in text for c in long_codes), "a long credit code is printed"


def test_a_marked_amount_moves_whole_to_the_next_line_where_a_plain_one_breaks(
    rendered: dict[str, Rendered],
) -> None:
    amount = to_capital(LONG_AMOUNT)

    def whole(name: str) -> int:
        return sum(line.count(amount) for line in rendered[name].lines)

    assert whole("straddle-marked") == len(STRADDLE_OFFSETS)
    assert whole("straddle-plain") < len(STRADDLE_OFFSETS) / 2  # the control: unmarked, it breaks


def test_the_mark_leaves_no_joiner_in_docx_or_pdf_text(rendered: dict[str, Rendered]) -> None:
    for doc in rendered.values():
        assert not any(WORD_JOINER in p for p in doc.paragraphs), doc.name
        assert not any(WORD_JOINER in line for line in doc.lines), doc.name


def test_the_templates_are_built_and_mark_every_identifier_and_amount(tmp_path: Path) -> None:
    """The committed templates are what ``python -m templates.build`` makes of them (nothing to change),
    and every 大写 and identifier expression sits in a NoBreak run."""
    for source in sorted(SHIPPED_TEMPLATES.glob("*.docx")):
        copy_path = tmp_path / source.name
        shutil.copy(source, copy_path)
        build_template(copy_path)
        with zipfile.ZipFile(source) as before, zipfile.ZipFile(copy_path) as after:
            assert before.read("word/document.xml") == after.read("word/document.xml"), source.name
            root = etree.fromstring(before.read("word/document.xml"))
        for run in root.iter(f"{_W}r"):
            expressions = re.findall(r"\{\{(?:(?!\}\}).)*\}\}", _text(run))
            if any(_prints_no_break_value(e) for e in expressions):
                style = run.find(f"{_W}rPr/{_W}rStyle")
                marked = style is not None and style.get(f"{_W}val") == NOBREAK_STYLE
                assert marked, (source.name, expressions)


def _prints_no_break_value(expression: str) -> bool:
    if re.search(r"\|\s*capital\b", expression):
        return True
    return bool(re.search(r"\b(credit_code|id_number)\b", expression)) and "join(" not in expression


def test_no_heading_repeats_its_number(rendered: dict[str, Rendered]) -> None:
    """collection-plan printed 一、一、贷款基本情况 (its headings carried the number twice)."""
    repeated = re.compile(r"([一二三四五六七八九十]+)、\1、")
    for doc in rendered.values():
        assert not [p for p in doc.paragraphs if repeated.match(p)], doc.name
