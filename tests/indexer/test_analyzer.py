"""The Chinese analyzer: each piece on its own, the standard pipeline, query plans and the recall property."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from indexer import analysis
from indexer.analysis import (
    BI,
    COMMON,
    FIELDS,
    JOIN_BARRIER,
    JOINED,
    MAX_JOINS,
    MAX_WORD,
    SPLIT_MARK,
    UNI,
    Analyzer,
    CjkBigrams,
    CjkJoin,
    CjkUnigrams,
    LowerCase,
    MappedText,
    NormalizeNFKC,
    PhrasePlan,
    Piece,
    ScriptRuns,
    SoftBreakJoins,
    SplitLong,
    Token,
    index_streams,
    is_cjk,
    normalize_mapped,
    normalize_spans,
    normalize_text,
    query_plan,
    script_runs,
    standard_analyzer,
)
from indexer.highlight import match_spans

# --- helpers: a reference normalizer and a tiny positional phrase matcher -----------------------------


def reference_normalize(text: str) -> str:
    """NFKC, white space between two CJK characters dropped, lower case — written the simple way."""
    norm = unicodedata.normalize("NFKC", text)

    def drop_between_cjk(m: re.Match[str]) -> str:
        a, b = m.span()
        return "" if 0 < a and b < len(norm) and is_cjk(norm[a - 1]) and is_cjk(norm[b]) else m.group()

    return re.sub(r"[\s\u00ad\u200b-\u200d\u2060\ufeff]+", drop_between_cjk, norm).lower()


def reference_contains(document: str, query: str) -> bool:
    needle = reference_normalize(query).strip()
    return bool(needle) and needle in reference_normalize(document)


class PhraseIndex:
    """Positions of each token per field, from index_streams: what an engine stores."""

    def __init__(self, text: str) -> None:
        self.postings: dict[str, dict[str, set[int]]] = {}
        for field, stream in index_streams(text).items():
            postings: dict[str, set[int]] = defaultdict(set)
            for pos, token in enumerate(stream.split(" ") if stream else []):
                postings[token].add(pos)
            self.postings[field] = postings

    def phrase(self, plan: PhrasePlan) -> bool:
        postings = self.postings[plan.field]
        starts = set(postings.get(plan.tokens[0], ()))
        for k, token in enumerate(plan.tokens[1:], start=1):
            starts &= {p - k for p in postings.get(token, ())}
        return bool(starts)

    def finds(self, query: str) -> bool:
        return any(self.phrase(plan) for plan in query_plan(query))


def word_plans(*words: str) -> list[PhrasePlan]:
    """The plans of an identifier-like query (word runs with a digit or @): as written on ``bi``, joined
    across soft breaks on ``joined``."""
    return [PhrasePlan(BI, words), PhrasePlan(JOINED, words)]


def tokens(analyzer: Analyzer, text: str) -> list[str]:
    return [t.text for t in analyzer(text)]


def piece(text: str, cjk: bool, start: int = 0) -> Piece:
    return Piece(
        text, cjk, tuple(range(start, start + len(text))), tuple(range(start + 1, start + len(text) + 1))
    )


# --- the pieces ------------------------------------------------------------------------------------------


def test_nfkc_maps_every_character_back_to_the_original() -> None:
    text = "合同ＪＫ２０２６号㍻"
    mapped = NormalizeNFKC()(MappedText(text))
    assert mapped.text == "合同JK2026号平成"
    assert [text[mapped.span(i, i + 1)[0] : mapped.span(i, i + 1)[1]] for i in range(len(mapped.text))] == [
        "合", "同", "Ｊ", "Ｋ", "２", "０", "２", "６", "号", "㍻", "㍻",
    ]  # fmt: skip


def test_nfkc_leaves_normalized_text_unmapped() -> None:
    mapped = NormalizeNFKC()(MappedText("借款合同 JK2026"))
    assert mapped.starts is None and mapped.span(2, 4) == (2, 4)


def test_nfkc_composes_combining_marks_with_the_character_before() -> None:
    mapped = NormalizeNFKC()(MappedText("cafe\u0301 ｶﾞ"))
    assert mapped.text == "café ガ"
    assert mapped.span(3, 4) == (3, 5)  # é came from e + U+0301
    assert mapped.span(5, 6) == (6, 8)  # ガ came from ｶﾞ


def test_cjk_join_drops_white_space_only_between_two_cjk_characters() -> None:
    text = "中 国\u3000某\n某\u200b银行 JK 2026 张 JK"
    mapped = CjkJoin()(NormalizeNFKC()(MappedText(text)))
    assert mapped.text == "中国某某银行 JK 2026 张 JK"
    start, end = mapped.span(0, 2)
    assert text[start:end] == "中 国"


def test_script_runs_cut_cjk_and_word_runs_apart_at_punctuation() -> None:
    runs = [(p.text, p.cjk) for p in ScriptRuns()(MappedText("借款人张三JK2026-000123，a_b 〇𠀀"))]
    assert runs == [("借款人张三", True), ("JK2026", False), ("000123", False), ("a", False), ("b", False),
                    ("〇𠀀", True)]  # fmt: skip


def test_kana_and_hangul_form_cjk_runs() -> None:
    assert [(r, c) for r, c in script_runs("カタカナ한국어ひらがな")] == [("カタカナ한국어ひらがな", True)]


def test_lower_case_touches_only_word_runs() -> None:
    out = list(LowerCase()([piece("JK2026", False), piece("發展", True, 6)]))
    assert [(p.text, p.starts[0], p.ends[-1]) for p in out] == [("jk2026", 0, 6), ("發展", 6, 8)]


def test_lower_case_that_changes_length_keeps_the_whole_span() -> None:
    (out,) = LowerCase()([piece("İx", False)])
    assert out.text == "i\u0307x" and out.token(0) == Token("i\u0307x", 0, 0, 2)


def test_split_long_cuts_word_runs_deterministically() -> None:
    out = list(SplitLong(4)([piece("abcdefghij", False), piece("一二三四五六", True)]))
    assert [(p.text, p.starts[0], p.ends[-1]) for p in out] == [
        ("abcd~", 0, 4), ("~efgh~", 4, 8), ("~ij", 8, 10), ("一二三四五六", 0, 6),
    ]  # fmt: skip
    assert all(len(p.text) == len(p.starts) == len(p.ends) for p in out)
    with pytest.raises(ValueError):
        SplitLong(0)


def test_cjk_bigrams_end_each_run_with_its_last_character() -> None:
    out = list(CjkBigrams()([piece("张三丰", True), piece("李", True, 3), piece("jk", False, 4)]))
    assert [(p.text, p.starts[0], p.ends[-1]) for p in out] == [
        ("张三", 0, 2), ("三丰", 1, 3), ("丰", 2, 3), ("李", 3, 4), ("jk", 4, 6),
    ]  # fmt: skip


def test_cjk_unigrams_split_runs_into_characters() -> None:
    out = list(CjkUnigrams()([piece("张三", True), piece("jk", False, 2)]))
    assert [(p.text, p.starts[0]) for p in out] == [("张", 0), ("三", 1), ("jk", 2)]


def test_pieces_compose_with_pipe_in_order_only() -> None:
    analyzer = NormalizeNFKC() | ScriptRuns() | CjkUnigrams()
    assert isinstance(analyzer, Analyzer)
    assert tokens(analyzer, "张三ＪＫ") == ["张", "三", "JK"]  # no LowerCase in this pipeline
    assert tokens(analyzer | LowerCase(), "张三ＪＫ") == ["张", "三", "jk"]
    with pytest.raises(TypeError):
        ScriptRuns() | NormalizeNFKC()
    with pytest.raises(TypeError):
        ScriptRuns() | ScriptRuns()
    with pytest.raises(TypeError):
        LowerCase() | SplitLong()  # a token filter needs a tokenizer before it
    with pytest.raises(TypeError):
        list((NormalizeNFKC() | CjkJoin())("x"))  # no tokenizer


# --- the standard analyzer -------------------------------------------------------------------------------


def test_standard_analyzer_fields_and_offsets() -> None:
    text = "借款人 张 三ＪＫ２０２６－000123。"
    bi = list(standard_analyzer(BI)(text))
    assert [t.text for t in bi] == ["借款", "款人", "人张", "张三", "三", "jk2026", "000123"]
    assert [t.pos for t in bi] == list(range(7))
    assert [text[t.start : t.end] for t in bi] == [
        "借款",
        "款人",
        "人 张",
        "张 三",
        "三",
        "ＪＫ２０２６",
        "000123",
    ]
    uni = list(standard_analyzer(UNI)(text))
    assert [t.text for t in uni] == ["借", "款", "人", "张", "三", "jk2026", "000123"]
    with pytest.raises(ValueError):
        standard_analyzer("tri")


def test_full_width_equals_half_width() -> None:
    assert index_streams("合同ＪＫ２０２６－０００１２３号") == index_streams("合同JK2026-000123号")


def test_cjk_is_never_folded_or_dropped() -> None:
    assert index_streams("發展的")[UNI] == "發 展 的"  # no traditional→simplified, no stop words
    assert index_streams("发展的")[UNI] != index_streams("發展的")[UNI]


def test_ocr_spaces_between_cjk_characters_are_dropped() -> None:
    assert index_streams("中 国 某 某 银行") == index_streams("中国某某银行")
    assert index_streams("张三 JK2026")[UNI] == "张 三 jk2026"


def test_identifiers_stay_whole() -> None:
    streams = index_streams(
        "身份证号11010519491231002X，统一社会信用代码91350100M000100Y43，合同JK2026-000123"
    )
    words = [t for t in streams[UNI].split(" ") if not is_cjk(t[0])]
    assert words == ["11010519491231002x", "91350100m000100y43", "jk2026", "000123"]


def test_long_word_runs_split_the_same_for_documents_and_queries() -> None:
    run = "A" * 64 + "B" * 64 + "C" * 10
    pieces = ("a" * 64 + "~", "~" + "b" * 64 + "~", "~" + "c" * 10)
    assert index_streams(run)[BI].split(" ") == list(pieces)
    assert query_plan(run) == [PhrasePlan(BI, pieces)]
    assert query_plan(run + "9") == word_plans(*pieces[:2], "~" + "c" * 10 + "9")


@pytest.mark.parametrize(
    "query", ["C" * 10, "B" * 64, "A" * 64, "A" * 64 + "B" * 64, "B" * 64 + "C" * 10, "C" * 10 + "9"]
)
def test_a_piece_of_a_long_word_run_is_no_word(query: str) -> None:
    """A word run matches only a whole word run: a query that is one or more pieces of a longer run (cut
    where SplitLong cuts it) finds nothing, and the highlighter agrees."""
    document = f"合同 {'A' * 64 + 'B' * 64 + 'C' * 10} 结束"
    index = PhraseIndex(document)
    assert not any(index.phrase(plan) for plan in query_plan(query))
    assert match_spans(document, [query]) == []
    assert index.finds("A" * 64 + "B" * 64 + "C" * 10)


def test_normalize_text() -> None:
    assert normalize_text("中 国ＪＫ２０２６") == "中国jk2026"


# --- soft-break joins ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("统一社会信用代码91350205MA2X\nK7Q396。", "91350205ma2xk7q396"),
        ("电话139 0600 1234", "1390600 | 13906001234 | 06001234"),
        ("Tel 1390600 1234", "tel1390600 | tel13906001234 | 13906001234"),
        ("邮箱chenzy@exam\r\nple.com，", "chenzy example com"),
        ("合同JK20\f26-00  0318号", "jk2026 00 | jk2026 000318 | 26 000318"),
        ("ＪＫ２０\u3000２６", "jk2026"),  # full-width and the ideographic space are normalized first
        ("JK2026-\n000318", ""),  # a break beside punctuation splits nothing: bi already holds both runs
        ("the bank\nof china", ""),  # ordinary words never join
        ("Invoice 2024 total 500 dollars", ""),  # nor words beside numbers
        ("THE BANK OF CHINA", ""),  # nor upper-case words without a digit
        ("代码91350205MAXKQ PWY96", "91350205maxkqpwy96"),  # upper-case letters are pieces of an identifier
        ("代码91350205 abcdef", ""),  # lower-case ones only when short
        ("Tel 139", "tel139"),
        ("αβ 12", ""),  # a soft break stands between ASCII letters or digits: identifiers are ASCII
        # an e-mail address split three times; a variant without its @ (mple.c⏎om) is left out
        (
            "邮箱chen\nzy@exa\nmple.c\nom",
            "chenzy exa | chenzy example c | chenzy example com | zy example c | zy example com",
        ),
        ("91350205，MA2XK7Q396", ""),  # punctuation is no soft break
        ("91350205   MA2XK7Q396", ""),  # three spaces are a gap, not a wrapped line
        ("91350205\n\n\n\nMA2XK7Q396", ""),  # neither are four line breaks
        ("9135张0205", ""),  # a CJK character between
    ],
)
def test_soft_break_joins(text: str, joined: str) -> None:
    streams = index_streams(text)
    assert streams[JOINED] == joined
    assert streams[BI] == " ".join(tokens(standard_analyzer(BI), text))  # the unjoined tokens stay


def test_joined_tokens_map_to_the_whole_identifier_in_the_original() -> None:
    text = "代码：91350205MA2X\r\nK7Q396，完"
    (token,) = standard_analyzer(JOINED)(text)
    assert token.text == "91350205ma2xk7q396"
    assert text[token.start : token.end] == "91350205MA2X\r\nK7Q396"


def test_joins_are_bounded() -> None:
    groups = "6222 0210 0112 3456 789"  # a 19-digit account number in groups: four joins
    assert "6222021001123456789" in index_streams(groups)[JOINED].split(" ")
    numbers = " ".join(str(n) for n in range(1000))  # a column of numbers: linear, not quadratic
    variants = index_streams(numbers)[JOINED].split(f" {JOIN_BARRIER} ")
    assert len(variants) < 1000 * MAX_JOINS
    assert max(len(v) for v in variants) <= (MAX_JOINS + 1) * 3


def test_a_split_identifier_is_found_only_where_its_pieces_touch() -> None:
    assert PhraseIndex("借款人91350205MA2X\nK7Q396").finds("91350205MA2XK7Q396")
    assert PhraseIndex("借款人91350205 MA2XK7Q396").finds("91350205MA2XK7Q396")
    for elsewhere in (
        "代码91350205，另见MA2XK7Q396",
        "91350205 and MA2XK7Q396",
        "MA2XK7Q396\n91350205",
        "91350205\n\n\n\nMA2XK7Q396",
        "x91350205\nMA2XK7Q396",  # a word run matches whole: the first piece must start a run
    ):
        assert not PhraseIndex(elsewhere).finds("91350205MA2XK7Q396"), elsewhere


def test_unjoined_tokens_are_still_found() -> None:
    index = PhraseIndex("Tel 139 0600 1234, account 6222 0210")
    for query in ("13906001234", "0600", "Tel", "139 0600", "62220210", "account"):
        assert index.finds(query), query


def test_soft_break_joins_is_a_tokenizer() -> None:
    pieces = list(SoftBreakJoins()(MappedText("A1 B2")))
    assert [(p.text, p.starts[0], p.ends[-1]) for p in pieces] == [("A1B2", 0, 5)]


# --- query plans -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "plan"),
    [
        ("张", PhrasePlan(UNI, ("张",))),
        ("张三", PhrasePlan(BI, ("张三",))),
        ("中国某某银行", PhrasePlan(BI, ("中国", "国某", "某某", "某银", "银行"))),
        ("中 国", PhrasePlan(BI, ("中国",))),
        ("JK2026-000123", word_plans("jk2026", "000123")),
        ("ＪＫ２０２６", word_plans("jk2026")),
        ("chenzy@example.com", word_plans("chenzy", "example", "com")),
        ("Bank of China", PhrasePlan(BI, ("bank", "of", "china"))),  # not an identifier: never joined
        ("三JK2026", PhrasePlan(UNI, ("三", "jk2026"))),
        ("中国，银行", PhrasePlan(UNI, ("中", "国", "银", "行"))),
        (
            "借款人张三11010519491231002X",
            PhrasePlan(UNI, ("借", "款", "人", "张", "三", "11010519491231002x")),
        ),
    ],
)
def test_query_plan(query: str, plan: PhrasePlan | list[PhrasePlan]) -> None:
    assert query_plan(query) == (plan if isinstance(plan, list) else [plan])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("借款人应当按照合同约定使用借款", True),
        ("借 款 人", True),  # OCR spaces between CJK characters are dropped, as on bi
        ("借款\n人", True),
        ("借款，人", False),  # punctuation cuts the run: no phrase on bi either
        ("借款 JK 人", False),
        ("借款人民币", True),  # overlapping common trigrams: 借款人 and 人民币 both indexed
        ("出借人", False),
    ],
)
def test_a_common_trigram_is_one_term_found_exactly_where_the_phrase_is(text: str, found: bool) -> None:
    """issue 18: "借款人" is searched as one term of the ``common`` field, with the bigram phrase's
    matches exactly (the phrase checked positions in nearly every document)."""
    assert query_plan("借款人") == [PhrasePlan(COMMON, ("借款人",))]
    index = PhraseIndex(text)
    assert index.finds("借款人") is found
    assert index.phrase(PhrasePlan(BI, ("借款", "款人"))) is found
    assert reference_contains(text, "借款人") is found


def test_query_plan_of_punctuation_is_empty() -> None:
    assert query_plan("，。-- ") == []


def test_partial_run_at_the_edge_of_a_mixed_query() -> None:
    index = PhraseIndex("合同约定借款人张三JK2026-000123号")
    for query in ["张三JK2026", "三JK2026", "人张三JK2026-000123号", "JK2026-000123号", "000123号", "号"]:
        assert index.finds(query), query


def test_bigram_phrases_stay_inside_one_run() -> None:
    index = PhraseIndex("中国，国家")
    assert index.finds("中国") and index.finds("国家")
    assert not index.finds("中国家")
    assert not index.finds("国国")


# --- fast path, normalization and tokens: properties -----------------------------------------------------

_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "M", "Cf"]),
        st.sampled_from("张三借款中国银行〇𠀀豈ＪＫ２０ｶﾞ㍻①ⅷ \u3000\n\u200b，。-/_İΣ"),
    ),
    max_size=60,
)


# Identifier-like text with soft breaks, to reach every branch of the joins.
_ID_TEXT = st.lists(
    st.sampled_from([*"0129AbXΣİ@.-_张， ", "\n", "\r\n", "\f", "  ", "\t", "\u200b", "\u3000"]), max_size=40
).map("".join)


# --- the composed pipeline is the oracle: the fused production paths are held to it ----------------------


def pipeline_streams(text: str) -> dict[str, str]:
    """Every field's tokens from the composed pipeline (standard_analyzer), space-joined."""
    return {field: " ".join(tokens(standard_analyzer(field), text)) for field in FIELDS}


@settings(max_examples=400, deadline=None)
@given(st.one_of(_TEXT, _ID_TEXT))
@example("ÀΣ'Β中 \u0301国")
@example("ᄀ\u1161\u11a8 한\u11a8")
@example("AΣ\n1Σ")
@example("x" * 70 + "\n" + "1" * 70)
@example("邮箱chen\nzy@exa\nmple.c\nom")
@example("Tel 139 0600 1234")
@example("借款人民币年利率" * 6)  # one run past MAX_CACHED_RUN: made, not cached
@example("借款人，借款人，人民币借款人")  # the same run again: from the run cache
def test_index_streams_equal_the_standard_analyzer(text: str) -> None:
    streams = index_streams(text)
    assert set(streams) == set(FIELDS)
    assert streams == pipeline_streams(text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_TEXT, _ID_TEXT))
@example("张")
@example("中国某某银行")
@example("JK2026-000123")
@example("借款人张三11010519491231002X")
@example("x" * 70 + "İ")
def test_query_plans_hold_the_standard_analyzer_tokens(text: str) -> None:
    """The query path (query_plan, fused like index_streams) asks for the pipeline's tokens of the query."""
    plans = query_plan(text)
    bi = tuple(tokens(standard_analyzer(BI), text))
    uni = tuple(tokens(standard_analyzer(UNI), text))
    assert bool(plans) == bool(bi)
    for plan in plans:
        if plan.field == COMMON:
            assert plan.tokens == tuple(tokens(standard_analyzer(COMMON), text))
        elif plan.field == UNI:
            assert plan.tokens == uni
        elif plan.field == BI and len(uni) > 1 and all(is_cjk(t[0]) for t in uni):
            assert plan.tokens == bi[:-1]  # one CJK run: its bigrams, without the run-end mark
        else:
            assert plan.tokens == bi, plan  # word runs: the same tokens on bi and joined


@settings(max_examples=400, deadline=None)
@given(_TEXT)
@example("e\u0301\u0323ｶﾞ Å")
def test_normalization_agrees_with_unicodedata_and_maps_to_the_original(text: str) -> None:
    mapped = normalize_mapped(text)
    assert mapped.text.lower() == normalize_text(text) == reference_normalize(text)
    for i, char in enumerate(mapped.text):
        start, end = mapped.span(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert char in unicodedata.normalize("NFKC", text[start:end])


@settings(max_examples=300, deadline=None)
@given(st.one_of(_TEXT, _ID_TEXT), st.data())
@example("中 国\n银 行", None)
def test_the_compact_map_spans_as_the_full_map(text: str, data: st.DataObject | None) -> None:
    """normalize_spans (a GapMap when it can) maps every span as normalize_mapped does, one span at a time
    and in one ``spans`` call (what snippets use)."""
    full, compact = normalize_mapped(text), normalize_spans(text)
    assert compact.text == full.text
    n = len(full.text)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n + 1)]
    if data is not None and pairs:
        pairs = data.draw(st.lists(st.sampled_from(pairs), max_size=30))
    expected = [full.span(i, j) for i, j in pairs]
    assert [compact.span(i, j) for i, j in pairs] == expected
    assert compact.spans(pairs) == full.spans(pairs) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(_TEXT, _ID_TEXT))
def test_tokens_are_whitespace_free_short_and_map_to_the_original(text: str) -> None:
    for field in FIELDS:
        for token in standard_analyzer(field)(text):
            assert token.text and token.text == "".join(token.text.split())
            assert len(token.text.strip(SPLIT_MARK)) <= MAX_WORD
            assert 0 <= token.start < token.end <= len(text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_TEXT, _ID_TEXT))
def test_any_text_finds_itself(text: str) -> None:
    """Query plans and index streams agree on every input, whatever its script or oddities."""
    assume(query_plan(text))
    assert PhraseIndex(text).finds(text)


def test_stable_characters_never_change_or_combine() -> None:
    """The characters NFKC may be cut before (analysis._STABLE_CLASS) are stable starters."""
    stable = re.compile(f"[{analysis._STABLE_CLASS}]")
    second_elements = set()
    for cp in range(0x30000):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            second_elements.update(int(h, 16) for h in decomposition.split()[1:])
    second_elements.update(range(0x1161, 0x1176))  # Hangul V and T jamo compose algorithmically
    second_elements.update(range(0x11A8, 0x11C3))
    for cp in range(0x30000):
        char = chr(cp)
        if stable.match(char):
            assert unicodedata.normalize("NFKC", char) == char, hex(cp)
            assert unicodedata.combining(char) == 0, hex(cp)
            assert cp not in second_elements, hex(cp)


# --- recall: every substring of a document finds the document --------------------------------------------

_CJK_ALPHABET = (
    "中国某银行股份有限公司借款人张三李四王五合同约定担保抵押利率年月日元整"
    "壹贰叁肆伍陆柒捌玖拾佰仟万亿〇的發展豈𠀀㐀カナ한"
)
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def _full_width(text: str) -> str:
    return "".join(_FULL_WIDTH.get(c, c) for c in text)


_segment = st.one_of(
    st.text(alphabet=_CJK_ALPHABET, min_size=1, max_size=30),
    st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z"),  # resident ID
    st.text(alphabet=_CREDIT_ALPHABET, min_size=18, max_size=18),  # credit code
    st.from_regex(r"\A[A-Z]{2}20[0-9]{2}-[0-9]{6}\Z"),  # contract number
    st.from_regex(r"\A[1-9][0-9]{0,2}(,[0-9]{3}){0,3}\.[0-9]{2}\Z"),  # amount
    st.sampled_from(["人民币壹佰万元整", "Bank", "ABC", "x" * 70 + "Y" * 70]),
    st.sampled_from([" ", "\n", "\u3000", "  ", "，", "。", "、", "（", "）", "-", "/", "：", "_", "“", "”"]),
)


@st.composite
def document_and_query(draw: st.DrawFn) -> tuple[str, str]:
    parts = draw(st.lists(_segment, min_size=1, max_size=12))
    parts = [_full_width(p) if draw(st.integers(0, 3)) == 0 else p for p in parts]
    if draw(st.booleans()):  # OCR-style spaces between CJK characters
        parts = [re.sub(f"(?<=[{_CJK_ALPHABET}])(?=[{_CJK_ALPHABET}])", " ", p) for p in parts]
    document = "".join(parts)
    word = re.compile(analysis.WORD_CLASS)
    # a query may start or end anywhere except inside a word run (whole IDs), anywhere inside CJK runs
    cuts = [
        i
        for i in range(len(document) + 1)
        if i in (0, len(document)) or not (word.match(document[i - 1]) and word.match(document[i]))
    ]
    start = draw(st.sampled_from(cuts[:-1]))
    end = draw(st.sampled_from([c for c in cuts if start < c <= start + 40] or [cuts[-1]]))
    return document, document[start:end]


@settings(max_examples=1000, deadline=None)
@given(document_and_query())
@example(("借款人张三JK2026", "三JK2026"))
@example(("合同约定借款人张三JK2026-000123号", "张三JK2026"))
@example(("中 国 某 某 银行", "国某某"))
def test_every_substring_finds_its_document(case: tuple[str, str]) -> None:
    document, query = case
    assume(reference_normalize(query).strip())  # a cut of only spaces or punctuation asks for nothing
    assume(query_plan(query))
    assert reference_contains(document, query)
    assert PhraseIndex(document).finds(query), (document, query, query_plan(query))


@settings(max_examples=300, deadline=None)
@given(document_and_query(), st.text(alphabet=_CJK_ALPHABET[:12], min_size=2, max_size=5))
def test_cjk_phrases_match_exactly_where_the_text_contains_them(case: tuple[str, str], query: str) -> None:
    """For a pure CJK query of ≥ 2 characters the bigram phrase is exact: no hit without the substring."""
    document, _ = case
    assert PhraseIndex(document).finds(query) == reference_contains(document, query)


# --- recall and precision of split identifiers -----------------------------------------------------------

_IDENTIFIERS = st.one_of(
    st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z"),  # resident ID
    # credit code (GB 32100): department and type, a six-digit region code, organization code and check
    st.from_regex(r"\A[159Y][1-9][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}\Z"),
    st.from_regex(r"\A[A-Z]{2}20[0-9]{2}-[0-9]{6}\Z"),  # contract number
    st.from_regex(r"\A1[3-9][0-9]{9}\Z"),  # mobile
    st.from_regex(r"\A62[0-9]{14,17}\Z"),  # account number
    st.from_regex(r"\A[a-z]{1,8}[0-9]?@[a-z]{2,8}\.(com|cn)\Z"),  # e-mail
)
_SOFT_BREAKS = st.sampled_from(["\n", "\r\n", " ", "  ", "\f", "\r\n\f", " \n", "\u3000", "\u200b"])


@st.composite
def split_identifier(draw: st.DrawFn) -> tuple[str, str]:
    """(document, identifier): the identifier split by up to MAX_JOINS soft breaks inside its word runs,
    amid CJK text, other identifiers and punctuation."""
    identifier = draw(_IDENTIFIERS)
    word = re.compile(analysis.WORD_CLASS)
    inside = [
        i for i in range(1, len(identifier)) if word.match(identifier[i - 1]) and word.match(identifier[i])
    ]
    cuts = sorted(draw(st.sets(st.sampled_from(inside), max_size=MAX_JOINS)))
    pieces = [identifier[a:b] for a, b in zip([0, *cuts], [*cuts, len(identifier)], strict=True)]
    shown = "".join(p + (draw(_SOFT_BREAKS) if k < len(cuts) else "") for k, p in enumerate(pieces))
    if draw(st.booleans()):
        shown = _full_width(shown)
    before = "".join(draw(st.lists(_segment, max_size=4)))
    after = "".join(draw(st.lists(_segment, max_size=4)))
    # the identifier is a whole word: glued only to CJK text
    left = draw(st.sampled_from([" ", "\n", "：", "（"])) if before and word.match(before[-1]) else ""
    right = draw(st.sampled_from([" ", "\n", "，", "）"])) if after and word.match(after[0]) else ""
    return before + left + shown + right + after, identifier


@settings(max_examples=400, deadline=None)
@given(split_identifier())
@example(("91350205MA2X\nK7Q396", "91350205MA2XK7Q396"))
@example(("合同J\r\nK2026-000318号", "JK2026-000318"))
@example(("chen\fzy@example.com", "chenzy@example.com"))
def test_a_split_identifier_finds_its_document(case: tuple[str, str]) -> None:
    document, identifier = case
    index = PhraseIndex(document)
    assert index.finds(identifier), (document, identifier, index_streams(document)[JOINED])
    assert index.finds(f"{identifier}".upper()) and index.finds(_full_width(identifier))


@settings(max_examples=300, deadline=None)
@given(st.one_of(split_identifier(), document_and_query()), st.integers(0, 4))
# A joined token longer than MAX_WORD (a 60- or 124-character run joined to the identifier after it) is cut
# in pieces; the last is 14 zeros, a query that no whole word of the text is.
@example(("0" * 36 + "x" * 12 + "Y" * 12 + " 100000000000000000", "0" * 14), 0)
@example(("0" * 36 + "x" * 44 + "Y" * 44 + " 100000000000000000", "0" * 14), 0)
def test_a_joined_match_is_where_the_pieces_touch(case: tuple[str, str], drop: int) -> None:
    """Precision: the ``joined`` plan of a word query matches only where the text holds the query with
    joinable soft breaks inside its runs (what the highlighter marks, a regex over the text)."""
    document, query = case
    if drop and len(query) > drop:
        query = query[drop:]  # a shorter query, often a part of an identifier: found or not, never wrongly
    plans = query_plan(query)
    joined = [p for p in plans if p.field == JOINED]
    assume(joined)
    if PhraseIndex(document).phrase(joined[0]):
        assert match_spans(document, [query]), (document, query)


@settings(max_examples=200, deadline=None)
@given(st.one_of(split_identifier(), document_and_query()).map(lambda case: case[0]))
def test_index_streams_equal_the_standard_analyzer_on_documents(text: str) -> None:
    """index_streams equals the pipeline on document-like text too: identifiers split by soft breaks amid
    CJK text, other identifiers and punctuation, where ``joined`` is busiest."""
    assert index_streams(text) == pipeline_streams(text)
