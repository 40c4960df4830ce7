"""Split identifiers in real PDFs, on every engine: LibreOffice wraps identifiers in narrow columns and
breaks pages inside them, and the shared corpus of other projects' PDFs has numbers at every line end.

The text goes the way archive documents go: extraction (pages joined by form feeds), then the engine.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Iterator

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Cm
from kit.paths import CORPUS

from indexer.engines import ENGINES, EngineOptions, IndexDoc, IndexEngine, IndexSchema, open_engine
from indexer.extract import PAGE_BREAK, extract
from indexer.highlight import match_spans
from indexer.query import parse

OPTIONS = EngineOptions(lock_timeout=0, writer_heap_mb=50, writer_threads=1)

IDENTIFIERS = (
    "11010519491231002X",  # resident ID
    "91350205MA2XK7Q396",  # unified social credit code
    "JK2026-000318",  # contract number
    "JJ2026-000318-01",  # loan receipt number
    "13906001234",  # mobile
    "chenzy@example.com",  # e-mail
    "6222021001123456789",  # 19-digit account number
    "6228480402564890",  # 16-digit card number
)
# Text widths (cm) of the narrow pages: each wraps the identifiers at other characters.
WIDTHS = (3.0, 3.5, 4.2)
# Identifiers written with a page break inside: (before the break, after it).
ACROSS_PAGES = (("91350205MA2X", "K7Q396"), ("JJ2026-0003", "18-01"), ("chenzy@exa", "mple.com"))


def found(engine: IndexEngine, text: str) -> set[str]:
    return {hit.id for hit in engine.search(parse(text), limit=1000, highlight=False).hits}


def soft_pattern(identifier: str) -> re.Pattern[str]:
    """The identifier in extracted text, any white space (a line or page end) between its characters."""
    return re.compile(r"\s*".join(map(re.escape, identifier)))


# --- a contract appendix from LibreOffice ---------------------------------------------------------------


@pytest.fixture(scope="module")
def appendix_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Identifiers on pages too narrow for them, and across page breaks, converted to PDF by LibreOffice
    (as the archive converts generated documents) and extracted again."""
    work = tmp_path_factory.mktemp("narrow")
    document = Document()
    for n, width in enumerate(WIDTHS):
        section = document.sections[0] if n == 0 else document.add_section()
        section.left_margin = section.page_width - section.right_margin - Cm(width)
        for identifier in IDENTIFIERS:
            document.add_paragraph(f"编号{identifier}。")
    paragraph = document.add_paragraph("附：")
    for before, after in ACROSS_PAGES:
        paragraph.add_run(f"编号{before}")
        paragraph.add_run().add_break(WD_BREAK.PAGE)
        paragraph.add_run(f"{after}；")
    source = work / "appendix.docx"
    document.save(str(source))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = extract(work / "appendix.pdf")
    assert result.status == "ok", result.error
    return result.text


@pytest.fixture(scope="module", params=ENGINES)
def appendix_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, appendix_text: str
) -> Iterator[IndexEngine]:
    engine = open_engine(request.param, tmp_path_factory.mktemp(f"appendix-{request.param}"), IndexSchema(),
                         options=OPTIONS)  # fmt: skip
    engine.add(
        [
            IndexDoc("appendix", appendix_text),
            # the pieces of every identifier, apart
            IndexDoc(
                "pieces", "；".join(f"{i[: len(i) // 2]}，见另页{i[len(i) // 2 :]}" for i in IDENTIFIERS)
            ),
        ]
    )
    engine.commit()
    yield engine
    engine.close()


def test_libreoffice_splits_identifiers_at_line_and_page_ends(appendix_text: str) -> None:
    for identifier in IDENTIFIERS:
        assert len(soft_pattern(identifier).findall(appendix_text)) >= len(WIDTHS), identifier
    whole = sum(appendix_text.count(identifier) for identifier in IDENTIFIERS)
    assert whole < len(IDENTIFIERS) * len(WIDTHS) // 2  # most of them are split
    for before, after in ACROSS_PAGES:
        assert re.search(re.escape(before) + r"\s*" + PAGE_BREAK + r"\s*" + re.escape(after), appendix_text)


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_identifiers_split_by_libreoffice_are_found(appendix_index: IndexEngine, identifier: str) -> None:
    assert found(appendix_index, identifier) == {"appendix"}
    assert found(appendix_index, f'"{identifier}"') == {"appendix"}


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_highlights_mark_identifiers_split_by_libreoffice(
    appendix_index: IndexEngine, appendix_text: str, identifier: str
) -> None:
    (hit,) = appendix_index.search(parse(identifier)).hits
    marks = [segment for snippet in hit.snippets for segment, is_match in snippet if is_match]
    shown = {" ".join(m.group().split()) for m in soft_pattern(identifier).finditer(appendix_text)}
    assert marks and set(marks) <= shown, (marks, shown)
    assert {re.sub(r"\s", "", mark) for mark in marks} == {identifier}


def test_identifiers_across_pages_are_found(appendix_index: IndexEngine) -> None:
    for before, after in ACROSS_PAGES:
        assert found(appendix_index, before + after) == {"appendix"}
        assert found(appendix_index, before) == {"appendix"}  # the pieces stay searchable


# --- the shared corpus -----------------------------------------------------------------------------------

# A compound of ASCII letters and digits with identifier punctuation; two of them with a line or page end
# between them, as PDF text layers write whatever stands at the end of a line.
_COMPOUND = r"[A-Za-z0-9](?:[-@._]?[A-Za-z0-9])*"
_EDGE = r"[-@.\w]"  # a compound ends where a word run ends (Ω3 is one run)
_SPLIT_PAIR = re.compile(f"(?<!{_EDGE})({_COMPOUND})([ \\t]?[\\n\\f][ \\t]?)({_COMPOUND})(?!{_EDGE})")
_WHOLE = re.compile(f"(?<!{_EDGE}){_COMPOUND}(?!{_EDGE})")
MAX_PER_FILE = 40


def identifier_like(text: str) -> bool:
    """An ID-shaped string: six or more characters with a digit, or an e-mail address."""
    return len(text) >= 6 and (re.search("[0-9]", text) is not None or "@" in text)


def piece(text: str) -> bool:
    """A piece of an identifier: with a digit, or letters upper case or at most four."""
    return re.search("[0-9]", text) is not None or text.isupper() or len(text) <= 4


def pieces_of_one(left: str, right: str) -> bool:
    """Two compounds that may be one identifier cut in two (an e-mail address, or two pieces with a digit)."""
    last, first = re.split("[-@._]", left)[-1], re.split("[-@._]", right)[0]
    has_digit = re.search("[0-9]", last + first) is not None
    return "@" in left + right or (piece(last) and piece(first) and has_digit)


def corpus_texts() -> dict[str, str]:
    texts = {}
    for path in sorted(CORPUS.rglob("*.pdf")):
        result = extract(path)
        if result.status in ("ok", "partial") and result.text.strip():
            texts[path.name] = result.text
    return texts


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    texts = corpus_texts()
    assert len(texts) > 20
    return texts


def split_pairs(text: str) -> list[re.Match[str]]:
    """Identifier-like pairs split by a page end, and by a line end: at most MAX_PER_FILE spread over the
    text."""
    pairs = [
        m
        for m in _SPLIT_PAIR.finditer(text)
        if identifier_like(m.group(1) + m.group(3)) and pieces_of_one(m.group(1), m.group(3))
    ]
    across_pages = [m for m in pairs if PAGE_BREAK in m.group(2)]  # rare: all of them
    step = max(1, len(pairs) // MAX_PER_FILE)
    return across_pages + pairs[::step][:MAX_PER_FILE]


@pytest.fixture(scope="module", params=ENGINES)
def corpus_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, str]
) -> Iterator[IndexEngine]:
    engine = open_engine(request.param, tmp_path_factory.mktemp(f"corpus-{request.param}"), IndexSchema(),
                         options=OPTIONS)  # fmt: skip
    engine.add(IndexDoc(name, text) for name, text in corpus.items())
    engine.commit()
    yield engine
    engine.close()


def test_the_corpus_has_identifiers_split_by_line_and_page_ends(corpus: dict[str, str]) -> None:
    pairs = [m for text in corpus.values() for m in split_pairs(text)]
    assert len(pairs) > 40
    assert any(PAGE_BREAK in m.group(2) for m in pairs)
    assert any("@" in m.group() for text in corpus.values() for m in _WHOLE.finditer(text))


def test_identifiers_in_the_corpus_are_found_whole(corpus_index: IndexEngine, corpus: dict[str, str]) -> None:
    for name, text in corpus.items():
        wholes = [m.group() for m in _WHOLE.finditer(text) if identifier_like(m.group())][:MAX_PER_FILE]
        for identifier in wholes:
            assert name in found(corpus_index, identifier), (corpus_index.name, name, identifier)


def test_split_identifiers_in_the_corpus_are_found_joined(
    corpus_index: IndexEngine, corpus: dict[str, str]
) -> None:
    checked = 0
    for name, text in corpus.items():
        for pair in split_pairs(text):
            joined = pair.group(1) + pair.group(3)
            assert name in found(corpus_index, joined), (corpus_index.name, name, pair.group())
            # the whole pair is marked, its line or page end included
            start, end = pair.span()
            assert any(a <= start and end <= b for a, b in match_spans(text, [joined])), (name, pair.group())
            checked += 1
    assert checked > 40


def test_pieces_from_different_lines_of_the_corpus_are_not_joined(
    corpus_index: IndexEngine, corpus: dict[str, str]
) -> None:
    """The first half of one split pair and the second half of another never make an identifier, unless the
    text really holds them side by side (looked up with a regex over every text)."""
    everything = "\n\n\n\n\n".join(corpus.values())
    checked = 0
    for name, text in corpus.items():
        pairs = split_pairs(text)
        for left, right in itertools.pairwise(pairs):
            joined = left.group(1) + right.group(3)
            # a word run matches whole: no letter or digit touches it (punctuation may: 3.3⏎Seien)
            side_by_side = re.compile(
                r"(?<![^\W_])" + r"\s{0,4}".join(map(re.escape, joined)) + r"(?![^\W_])", re.IGNORECASE
            )
            if side_by_side.search(everything) is None:
                assert not found(corpus_index, joined), (corpus_index.name, name, joined)
                checked += 1
    assert checked > 20
