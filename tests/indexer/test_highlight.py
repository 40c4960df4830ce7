"""Snippets: normalized matching mapped to the original text, windows, merging, ellipses."""

from __future__ import annotations

import itertools
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from indexer.analysis import (
    JOINED,
    MAX_JOINS,
    UNI,
    WORD_CLASS,
    index_streams,
    normalize_mapped,
    normalize_text,
)
from indexer.highlight import (
    ELLIPSIS,
    Highlighter,
    Snippet,
    _collapse,
    _merged,
    _trim_edge,
    match_spans,
    snippets,
)
from indexer.query import MatchAll, Text, parse


def marked(snippet_list: list[Snippet]) -> list[str]:
    return [text for snippet in snippet_list for text, match in snippet if match]


def plain(snippet: Snippet) -> str:
    return "".join(text for text, _ in snippet)


def test_full_width_text_is_marked_for_a_half_width_query() -> None:
    text = "合同编号ＪＫ２０２６－０００１２３，借款人张三。"
    assert marked(snippets(text, parse("JK2026"))) == ["ＪＫ２０２６"]
    assert marked(snippets(text, parse("jk2026-000123"))) == ["ＪＫ２０２６－０００１２３"]


def test_spaced_cjk_is_marked_for_a_joined_query() -> None:
    text = "贷款人：中 国 某 某 银行股份有限公司"
    assert marked(snippets(text, parse("中国某某银行"))) == ["中 国 某 某 银行"]


def test_every_occurrence_is_marked_including_overlapping_ones() -> None:
    text = "张三向银行借款，张三的担保人为李四。哈哈哈"
    assert marked(snippets(text, parse("张三 哈哈"))) == ["张三", "张三", "哈哈哈"]


def test_word_runs_match_whole_words_only_and_ignore_case() -> None:
    text = "XJK2026 与 jk2026 与 JK20261"
    spans = match_spans(text, ["JK2026"])
    assert [text[a:b] for a, b in spans] == ["jk2026"]


def test_only_a_word_edge_of_a_mixed_term_must_be_whole() -> None:
    # A CJK edge may touch anything; a word edge may not touch a letter or a digit (合同JK20261 is another
    # number), and a rejected occurrence does not hide the next one.
    text = "甲合同JK20261，乙合同jk2026。"
    spans = match_spans(text, ["合同JK2026"])
    assert [text[a:b] for a, b in spans] == ["合同jk2026"]


def test_runs_match_across_any_separator_like_the_index() -> None:
    text = "合同JK2026/000123，另见张三 JK2026"
    assert [text[a:b] for a, b in match_spans(text, ["JK2026-000123", "张三JK2026"])] == [
        "JK2026/000123",
        "张三 JK2026",
    ]


def test_a_split_identifier_is_marked_whole_with_its_breaks() -> None:
    text = "统一社会信用代码：91350205MA2X\r\nK7Q396，电话139 0600 1234，邮箱chenzy@exam\fple.com。"
    assert [text[a:b] for a, b in match_spans(text, ["91350205MA2XK7Q396"])] == ["91350205MA2X\r\nK7Q396"]
    assert [text[a:b] for a, b in match_spans(text, ["13906001234"])] == ["139 0600 1234"]
    assert [text[a:b] for a, b in match_spans(text, ["chenzy@example.com"])] == ["chenzy@exam\fple.com"]
    assert marked(snippets(text, parse("91350205MA2XK7Q396"))) == [
        "91350205MA2X K7Q396"
    ]  # white space collapsed


def test_pieces_apart_and_ordinary_words_are_not_marked_joined() -> None:
    text = "91350205，MA2XK7Q396；91350205   MA2XK7Q396；x91350205\nMA2XK7Q396；the ban\nk"
    assert match_spans(text, ["91350205MA2XK7Q396"]) == []
    assert match_spans(text, ["bank"]) == []  # no digit, no @: not an identifier, never joined
    assert [text[a:b] for a, b in match_spans(text, ["0600"])] == []


def test_excluded_terms_are_not_marked() -> None:
    text = "借款合同，担保合同"
    assert marked(snippets(text, parse("借款 -担保"))) == ["借款"]


def test_the_window_with_most_matches_wins() -> None:
    text = "张三" + "。" * 200 + "张三与张三、张三" + "。" * 200
    (snippet,) = snippets(text, Text("张三"), max_snippets=1, width=40)
    assert [t for t, m in snippet if m] == ["张三", "张三", "张三"]
    assert snippet[0][0].startswith(ELLIPSIS) and snippet[-1][0].endswith(ELLIPSIS)


def test_snippets_come_in_document_order_up_to_the_limit() -> None:
    text = "。" * 100 + "甲" + "。" * 100 + "乙乙" + "。" * 100 + "丙" + "。" * 100
    result = snippets(text, parse("甲 OR 乙 OR 丙"), max_snippets=2, width=20)
    assert [marked([s]) for s in result] == [["甲"], ["乙乙"]]  # equal counts: the earliest first
    assert len(result) == 2
    assert marked(snippets(text, parse("甲 OR 乙 OR 丙"), max_snippets=3, width=20)) == ["甲", "乙乙", "丙"]


def test_overlapping_windows_merge_into_one_snippet() -> None:
    text = "。" * 50 + "甲。。。乙" + "。" * 50
    result = snippets(text, parse("甲 OR 乙"), width=20)
    assert len(result) == 1 and marked(result) == ["甲", "乙"]


def test_no_ellipsis_when_the_whole_text_fits() -> None:
    (snippet,) = snippets("借款人  张三\n签字", Text("张三"))
    assert snippet == (("借款人 ", False), ("张三", True), (" 签字", False))


def test_a_match_at_the_window_edge_is_never_cut() -> None:
    text = "某" * 30 + "中国某某银行股份有限公司" + "某" * 30
    result = snippets(text, Text("中国某某银行股份有限公司"), width=5)
    assert marked(result) == ["中国某某银行股份有限公司"]


def test_without_matches_the_opening_of_the_text_is_returned() -> None:
    assert snippets("借款合同正文" * 20, MatchAll(), width=10) == [
        (("借款合同正文借款合同" + ELLIPSIS, False),)
    ]
    assert snippets("   ", Text("x")) == []
    assert snippets("借款", Text("x"), max_snippets=0) == []


# --- properties ------------------------------------------------------------------------------------------

_CJK = "中国某银行借款人张三李四合同担保"
_ALPHABET = _CJK + "ＪＫ０１２JK012X- ，。\n\u3000"


@st.composite
def text_and_term(draw: st.DrawFn) -> tuple[str, str]:
    text = draw(st.text(alphabet=_ALPHABET, min_size=1, max_size=80))
    if draw(st.booleans()):  # OCR-style spaces between CJK characters
        text = re.sub(
            "(?<=[中国某银行借款人张三李四合同担保])(?=[中国某银行借款人张三李四合同担保])", " ", text
        )
    word = re.compile(WORD_CLASS)
    cuts = [
        i
        for i in range(len(text) + 1)
        if i in (0, len(text)) or not (word.match(text[i - 1]) and word.match(text[i]))
    ]
    start = draw(st.sampled_from(cuts[:-1]))
    end = draw(st.sampled_from([c for c in cuts if start < c <= start + 12] or [cuts[-1]]))
    return text, text[start:end]


@settings(max_examples=300, deadline=None)
@given(text_and_term())
def test_a_substring_is_always_marked_and_marks_are_the_term(case: tuple[str, str]) -> None:
    text, term = case
    tokens = index_streams(term)[UNI]
    assume(tokens)
    spans = match_spans(text, [term])
    if normalize_text(term).strip() in normalize_text(text):
        assert spans, (text, term)
    for a, b in spans:
        # a merged span may hold overlapping occurrences: it holds the term's tokens in order, as written
        # or (an identifier split by soft breaks) joined
        marked_streams = index_streams(text[a:b])
        assert (
            f" {tokens} " in f" {marked_streams[UNI]} " or f" {tokens} " in f" {marked_streams[JOINED]} "
        ), (
            text,
            term,
            text[a:b],
        )


@settings(max_examples=300, deadline=None)
@given(text_and_term(), st.integers(min_value=1, max_value=4), st.integers(min_value=1, max_value=40))
def test_snippets_are_pieces_of_the_text(case: tuple[str, str], max_snippets: int, width: int) -> None:
    text, term = case
    result = snippets(text, Text(term), max_snippets=max_snippets, width=width)
    assert len(result) <= max_snippets
    collapsed = re.sub(r"\s+", " ", text)
    for snippet in result:
        assert snippet and all(t for t, _ in snippet)
        body = plain(snippet).removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
        assert body in collapsed
        kinds = [m for _, m in snippet]
        assert all(x != y for x, y in itertools.pairwise(kinds))  # neighbours alternate


_IDENTIFIER = st.one_of(
    st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z"),
    st.from_regex(r"\A[159Y][1-9][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}\Z"),  # a credit code: its region is digits
    st.from_regex(r"\A[A-Z]{2}20[0-9]{2}-[0-9]{6}\Z"),
    st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
    st.from_regex(r"\A[a-z]{2,8}@[a-z]{2,8}\.com\Z"),
)


@st.composite
def split_identifier(draw: st.DrawFn) -> tuple[str, str, str]:
    """(text, identifier, how the text shows it): split by up to MAX_JOINS soft breaks, amid CJK text."""
    identifier = draw(_IDENTIFIER)
    word = re.compile(WORD_CLASS)
    inside = [
        i for i in range(1, len(identifier)) if word.match(identifier[i - 1]) and word.match(identifier[i])
    ]
    cuts = sorted(draw(st.sets(st.sampled_from(inside), min_size=1, max_size=MAX_JOINS)))
    breaks = st.sampled_from(["\n", "\r\n", " ", "  ", "\f", "\n\f", "\u3000"])
    pieces = [identifier[a:b] for a, b in zip([0, *cuts], [*cuts, len(identifier)], strict=True)]
    shown = "".join(p + (draw(breaks) if k < len(cuts) else "") for k, p in enumerate(pieces))
    before = draw(st.text(alphabet=_CJK + "，。 \n", max_size=20))
    after = draw(st.text(alphabet=_CJK + "，。 \n", max_size=20))
    return before + shown + after, identifier, shown


@settings(max_examples=300, deadline=None)
@given(split_identifier())
def test_a_split_identifier_is_always_marked_whole(case: tuple[str, str, str]) -> None:
    text, identifier, shown = case
    start = text.index(shown)
    spans = match_spans(text, [identifier])
    assert (start, start + len(shown)) in spans, (text, identifier, [text[a:b] for a, b in spans])


# --- the fast paths held to plain references ---------------------------------------------------------------

# Both references merge spans with the code's own _merged: what they check is the finding, not the merge.


def _reference_spans(text: str, term: str) -> list[tuple[int, int]]:
    """Every occurrence, overlapping ones too, found by trying each position of the normalized text, mapped
    back through the full per-character map (``normalize_mapped``), merged."""
    from indexer.highlight import _term

    compiled = _term(term)
    assert compiled is not None
    mapped = normalize_mapped(text)
    norm = mapped.text
    spans = []
    for i in range(len(norm)):
        m = compiled.pattern.match(norm, i)
        if m and m.end() > i and compiled.bounded(norm, i, m.end()):
            spans.append(mapped.span(i, m.end()))
    return _merged(sorted(spans))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="借款人借借款款 \n，ＪＫJ1", min_size=1, max_size=60),
    st.sampled_from(["借款", "借借", "款款款", "借款人", "借", "JK", "J", "借款JK"]),
)
def test_occurrences_match_a_search_from_every_position(text: str, term: str) -> None:
    # 借款 cannot overlap itself (found by one scan), 借借 and 款款款 can (found from every start); no term
    # with a digit: an identifier is also matched joined across breaks, which the reference leaves out
    assert match_spans(text, [term]) == _reference_spans(text, term), (text, term)


def _reference_windows(
    spans: list[tuple[int, int]], length: int, max_snippets: int, width: int
) -> list[tuple[int, int]]:
    """The windows as first written: linear scans, every span looked at for each window."""

    def best(spans: list[tuple[int, int]]) -> tuple[int, int]:
        found = (0, 1)
        j = 0
        for i, (start, _) in enumerate(spans):
            j = max(j, i + 1)
            while j < len(spans) and spans[j][1] - start <= width:
                j += 1
            if j - i > found[1] - found[0]:
                found = (i, j)
        return found

    def pad(start: int, end: int) -> tuple[int, int]:
        extra = width - (end - start)
        if extra <= 0:
            return start, end
        left, right = start - extra // 2, end + (extra - extra // 2)
        if left < 0:
            right, left = min(length, right - left), 0
        if right > length:
            left, right = max(0, left - (right - length)), length
        return left, right

    remaining = list(spans)
    chosen: list[tuple[int, int]] = []
    while remaining and len(chosen) < max_snippets:
        i, j = best(remaining)
        start, end = pad(remaining[i][0], max(b for _, b in remaining[i:j]))
        for a, b in spans:
            if a < end and b > start:
                start, end = min(start, a), max(end, b)
        chosen.append((start, end))
        remaining = [(a, b) for a, b in remaining if b <= start or a >= end]
    return _merged(sorted(chosen))


@st.composite
def apart_spans(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int]:
    """Sorted spans with a gap between each two (as match_spans merges them), and the text's length."""
    spans = []
    pos = 0
    for _ in range(draw(st.integers(min_value=1, max_value=30))):
        a = pos + draw(st.integers(min_value=1, max_value=40))
        b = a + draw(st.integers(min_value=1, max_value=12))
        spans.append((a, b))
        pos = b
    return spans, pos + draw(st.integers(min_value=0, max_value=40))


@settings(max_examples=400, deadline=None)
@given(apart_spans(), st.integers(min_value=1, max_value=4), st.integers(min_value=1, max_value=100))
def test_windows_are_those_of_the_linear_scans(
    case: tuple[list[tuple[int, int]], int], most: int, width: int
) -> None:
    from indexer.highlight import _windows

    spans, length = case
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    assert _windows(starts, ends, length, most, width) == _reference_windows(spans, length, most, width)


_WHITE = "".join(c for c in map(chr, range(0x3100)) if c.isspace())  # \t \n \x1c \x85 \xa0 \u3000 …


def _reference_render(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Snippet:
    """A window's snippet as first written: the ellipses joined to the text, then each piece collapsed,
    then the blanks at the edges trimmed (by _trim_edge, as then)."""

    def collapse(piece: str) -> str:
        return re.sub(r"\s+", " ", piece)

    segments: list[tuple[str, bool]] = []
    piece, pos = (ELLIPSIS if start > 0 else ""), start
    for a, b in spans:
        piece += text[pos:a]
        if piece:
            segments.append((collapse(piece), False))
        segments.append((collapse(text[a:b]), True))
        piece, pos = "", b
    piece += text[pos:end] + (ELLIPSIS if end < len(text) else "")
    if piece:
        segments.append((collapse(piece), False))
    if segments and not segments[0][1]:
        segments[0] = (_trim_edge(segments[0][0], front=True), False)
    if segments and not segments[-1][1]:
        segments[-1] = (_trim_edge(segments[-1][0], front=False), False)
    return tuple(s for s in segments if s[0])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_WHITE[:12] + "借款人年利率 …，ab1", min_size=1, max_size=60), st.data())
def test_a_window_renders_as_first_written(text: str, data: st.DataObject) -> None:
    _assert_a_window_renders_as_first_written(text, data)


def _assert_a_window_renders_as_first_written(text: str, data: st.DataObject) -> None:
    from indexer.highlight import _render

    start = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    end = data.draw(st.integers(min_value=start + 1, max_value=len(text)))
    # matches inside the window, apart from each other (as windows get them)
    cuts = sorted(data.draw(st.sets(st.integers(min_value=start, max_value=end), max_size=8)))
    spans = list(itertools.pairwise(cuts))[::2]
    assert _render(text, start, end, spans) == _reference_render(text, start, end, spans)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="\n\n  借款人年利率…，ab1\t", min_size=1, max_size=60), st.data())
def test_a_window_of_single_spaces_and_line_breaks_renders_as_first_written(
    text: str, data: st.DataObject
) -> None:
    # Line breaks and spaces, sometimes two in a row, sometimes a tab: a window with its line breaks as
    # spaces is cut into pieces as it is only when it is printable and has no two blanks in a row.
    _assert_a_window_renders_as_first_written(text, data)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_WHITE + "借款人ab1，…", max_size=30))
def test_white_space_runs_collapse_to_one_space_as_the_regex_would(piece: str) -> None:
    # _collapse splits and joins instead of a regex pass: the same white space, the same edges
    assert _collapse(piece) == re.sub(r"\s+", " ", piece)


def test_a_highlighter_made_once_gives_each_text_its_snippets() -> None:
    query = parse("借款人 OR 张三")
    texts = ["借款人张三签字", "某银行\n借款人：李四\n\n担保人张三", "无关文字"]
    highlight = Highlighter(query, max_snippets=2, width=10)
    assert [highlight(t) for t in texts] == [snippets(t, query, max_snippets=2, width=10) for t in texts]
    assert marked(highlight(texts[1])) == ["借款人", "张三"]


def test_a_hit_text_is_normalized_once_and_a_long_one_is_never_kept() -> None:
    from indexer.highlight import MAX_CACHED_TEXT, _normalized

    text = "借款人：张三\n借 款 人 签字：" + "某" * 100
    misses, hits = _normalized.misses, _normalized.hits
    first = snippets(text, Text("借款人"))
    again = snippets(text, Text("借款人"))
    assert first == again and marked(first) == ["借款人", "借 款 人"]
    assert (_normalized.misses - misses, _normalized.hits - hits) == (1, 1)
    kept = len(_normalized)
    long_text = "借款人" + "某" * MAX_CACHED_TEXT
    assert marked(snippets(long_text, Text("借款人"))) == ["借款人"]
    # NFKC really changes ① and ㎡: such a text's map is per character, too big to keep
    changed = "借款人：① 面积 120㎡，借款人签字" + "某" * 50
    assert marked(snippets(changed, Text("借款人"))) == ["借款人", "借款人"]
    assert marked(snippets(changed, Text("120m2"))) == ["120㎡"]
    assert len(_normalized) == kept  # neither was kept
