"""Chinese-aware text analysis shared by indexing, queries and highlighting.

The analyzer is specified Whoosh-style, as small pieces joined with ``|``::

    NormalizeNFKC() | CjkJoin() | ScriptRuns() | LowerCase() | SplitLong(64) | CjkBigrams()

That composed pipeline (:func:`standard_analyzer`, one per field) is the ORACLE: it defines every token
and its offsets into the original text. Production does not run it to index or to query: indexing runs
the fused :func:`index_streams` (one pass of whole-text ``str``/``re`` operations, no offsets; 19 times
the pipeline's rate on the search bench's documents) and queries run :func:`query_plan`. Property tests
(tests/indexer/test_analyzer.py) hold both to the pipeline on arbitrary and identifier-heavy text, every
field (``bi``, ``uni`` and ``joined``) token for token. Highlighting, which needs offsets, runs the
pipeline's own character filters (:func:`normalize_mapped`). A change to the analyzer is made in the
pipeline first, then in the fused path until the tests agree.

Character filters (``NormalizeNFKC``, ``CjkJoin``) rewrite the text while keeping a map from every
character back to the ORIGINAL text, the tokenizer (``ScriptRuns``) cuts it into script runs, and token
filters (``LowerCase``, ``SplitLong``, ``CjkBigrams``/``CjkUnigrams``) turn runs into tokens. Every token
carries ``start``/``end`` offsets into the original text, even where NFKC changed lengths (``㍻`` → ``平成``,
``ＪＫ`` → ``JK``) or joined characters across dropped white space.

Normalization (the same for documents and queries):

* Unicode NFKC: full-width ``ＪＫ２０２６`` is ``JK2026``, full-width punctuation is ASCII punctuation.
* White space (and zero-width spaces, soft hyphens, BOMs) between two CJK characters is dropped, whatever its
  source: PDF extractors and OCR write ``中 国 某 某 银行``.
* Lower case, applied per token.
* CJK characters are never folded or dropped: no traditional→simplified folding, no stop words.

Tokens. The normalized text is cut into maximal runs of CJK characters (Han ideographs of every block incl.
extensions and compatibility ideographs, radicals, ``〇``, ``々``, kana and Hangul) and maximal runs of other
letters/digits (called *word runs*: ``jk2026``, ``11010519491231002x``, an 18-character credit code).
Everything else (punctuation, white space, ``_``) only separates runs. Word runs are lower-cased and, when
longer than ``MAX_WORD`` (64) characters, split into consecutive 64-character pieces (deterministic, so the
query side splits the same way; no engine-side limit is ever reached). Each piece but the first starts with
``SPLIT_MARK`` and each but the last ends with it, so the pieces of a query's run match, as a phrase, only a
whole word run of the text, cut the same way: a query of 14 zeros must not match the last piece of
``…x00000000000000``, nor a query of a long run's first 128 characters its first two pieces.

Three positional index fields, each a stream of tokens with consecutive positions, which engines index with a
plain WHITESPACE tokenizer (no engine-side analysis at all: tantivy's ngram tokenizer puts every gram at
position 0 and its default tokenizer drops long tokens):

* ``bi``  — each CJK run as overlapping bigrams, then its last character as a run-end mark (a run of one
  character is just that character), word runs whole.
  ``借款人张三JK2026-000123`` → ``借款 款人 人张 张三 三 jk2026 000123``
  The run-end mark keeps a bigram phrase inside one run: without it ``中国，国家`` would index ``中国 国家``
  at consecutive positions and match the query ``中国家``. With it, a bigram phrase matches exactly where
  the normalized text contains the query (a test holds this both ways).
* ``uni`` — each CJK character as its own token, word runs whole.
  ``借款人张三JK2026-000123`` → ``借 款 人 张 三 jk2026 000123``
* ``joined`` — identifiers that the text splits with a *soft break* (a line break, a page break, or the one
  or two spaces a justified or OCR'd line inserts), joined again. Supporting documents come from outside
  (scans, other banks' PDFs, OCR text) and break ``91350205MA2X⏎K7Q396`` wherever the line ends; ``bi``
  holds ``91350205ma2x k7q396`` and would never match the whole form. See *Soft-break joins* below.

Soft-break joins. Two neighbouring word runs are linked by the gap between them:

* a *punctuation* link: the gap is 1–3 of ``-@._``, a soft break allowed on either side (inside
  ``JK2026-000318``, ``chenzy@example.com``); runs linked by punctuation form a *compound*;
* a *soft* link: the gap is a soft break (``SOFT_BREAK``: 1–2 spaces or tabs, or 1–3 line breaks — ``\n``,
  ``\r\n``, form feed — with up to 2 spaces around each; invisible separators anywhere) between two ASCII
  letters or digits (identifiers are ASCII once NFKC has folded full-width forms), and the two runs
  look like pieces of one identifier: the runs around, linked either way, hold an ``@`` (an e-mail), or both
  are *pieces* — an ASCII digit, or letters at most ``MAX_LETTER_PIECE`` long (``J⏎K2026``,
  ``11010519491231002⏎X``) or upper case (``91350205MAXKQ⏎PWY96``) — and one has a digit or both are upper
  case (``A⏎B⏎2026``). Ordinary words (``the bank``, ``invoice 2024 total``) never join;
* any other gap (other punctuation, more white space, a CJK character) links nothing.

A *stretch* is a maximal chain of runs linked by soft and punctuation links, with at least one soft link;
its soft links cut it into segments. For every two cuts at most ``MAX_JOINS`` soft links apart (a stretch's
ends count as cuts) the field holds one *variant*: the runs between the two cuts with the soft links inside
removed and each punctuation link a token boundary, lower-cased and split like word runs (``SplitLong``),
if it has an ASCII digit or an ``@`` (``THE⏎BANK`` is no identifier). Variants are separated by
``JOIN_BARRIER`` (``|``), a token no query has, so no phrase spans two variants.
``Tel 139 0600 1234`` → ``tel139 | tel1390600 | tel13906001234 | 1390600 | 13906001234 | 06001234``; the
unjoined tokens stay in ``bi``/``uni``, so ``0600`` is still found. Bounds: an edge segment contributes at
most ``MAX_EDGE_RUNS`` runs next to its cut, and a variant of more than ``MAX_VARIANT_RUNS`` runs is left
out, so the field grows linearly with the text (a column of numbers is the worst case: about eight tokens
a number).

Query plans (``query_plan``): the query text goes through the same analyzer; the engine must match
``plan.tokens`` as an exact phrase (consecutive positions) on ``plan.field`` of ANY of the plans:

* one CJK run of 1 character → ``uni``, that character (a surname such as ``张``);
* one CJK run of ≥ 2 characters → ``bi``, its bigrams. The run is a substring of one CJK run in any
  document containing it, and the bigrams of a substring are consecutive bigrams of the enclosing run;
* only word runs (``JK2026-000123`` → ``jk2026 000123``) → ``bi``, word tokens are identical in both fields;
  and when they are identifier-like (``joins_apply``: a digit or an ``@``) the same tokens on ``joined``
  too, so a split identifier is found by its whole form. A joined token is the concatenation of runs that
  stand next to each other in the text, apart only by a soft break: a query for ``91350205MA2XK7Q396``
  never matches ``91350205`` and, elsewhere, ``MA2XK7Q396``;
* anything else — CJK next to a word run (``借款人张三11010519491231002X``) or several CJK runs separated by
  punctuation — → ``uni``, one token per CJK character. Only here can a CJK run of the query be a *partial*
  run at an edge (``张三JK2026`` against ``借款人张三JK2026``: the query's run ``张三`` is a suffix of the
  document's run ``借款人张三``, and a one-character edge run such as ``三JK2026`` has no bigram of its own);
  per-character tokens make the partial edge irrelevant.

Recall guarantee (property-tested here and against both engines): if the normalized text of a document
contains the normalized query text as a substring — CJK substrings of any length and position, word runs
whole — the phrase match finds the document. Separators between runs are not indexed, so a phrase also
matches across different punctuation (``JK2026/000123`` for ``JK2026-000123``); that only ever adds hits.
And for an identifier-like query of word runs: if the text contains it with up to ``MAX_JOINS`` soft links
inside its runs (``JK20⏎26-00 0318``), the ``joined`` plan finds the document.

``index_streams`` produces exactly the tokens of ``standard_analyzer(field)`` for every field, and each
plan of ``query_plan`` holds the pipeline's tokens of the query on ``bi`` or ``uni`` (a single CJK run
without its run-end mark; the ``joined`` plan repeats the ``bi`` tokens); tests hold both. The joins of
pipeline and fast path come from one function (``_join_variants``), which ``index_streams`` calls only
when its pass over the runs saw white space after a word run: most Chinese texts have none. Bump
``ANALYZER_VERSION`` whenever the token output changes: indexes built with another version must be
rebuilt.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "ANALYZER_VERSION",
    "BI",
    "COMMON",
    "COMMON_TRIGRAMS",
    "FIELDS",
    "FREQUENT_BIGRAMS",
    "JOINED",
    "JOIN_BARRIER",
    "MAX_JOINS",
    "MAX_LETTER_PIECE",
    "MAX_WORD",
    "SOFT_BREAK",
    "SPLIT_MARK",
    "UNI",
    "WORD_CLASS",
    "Analyzer",
    "CharFilter",
    "CjkBigrams",
    "CjkJoin",
    "CjkUnigrams",
    "CommonTrigrams",
    "LowerCase",
    "MappedText",
    "NormalizeNFKC",
    "PhrasePlan",
    "Piece",
    "ScriptRuns",
    "SoftBreakJoins",
    "SplitLong",
    "Token",
    "TokenFilter",
    "Tokenizer",
    "index_streams",
    "is_cjk",
    "joined_breaks",
    "joins_apply",
    "normalize_mapped",
    "normalize_text",
    "query_plan",
    "script_runs",
    "soft_breaks",
    "standard_analyzer",
]

ANALYZER_VERSION = 5
BI = "bi"
UNI = "uni"
JOINED = "joined"
COMMON = "common"
FIELDS = (BI, UNI, JOINED, COMMON)
# The bigrams nearly every Chinese credit document repeats (boilerplate of contracts, notices, reports).
# A three-character phrase made of two of them ("借款人", "年利率", "人民币") is in almost every document,
# and matching it as a phrase of two bigrams checks token positions in all of them (44 ms at 100,000
# documents); the ``common`` field indexes each such trigram whole, so it is one term. Changing the list
# changes the analyzer's output: indexes are rebuilt (the schema marker holds the analyzer fingerprint).
FREQUENT_BIGRAMS = frozenset(
    """
    借款 款人 贷款 贷人 出借 借人 保证 证人 担保 保人 抵押 押人 押物 质押 押权 年利 利率 月利 日利
    人民 民币 合同 同号 编号 金额 期限 还款 款日 利息 息日 逾期 期利 罚息 违约 约金 约定 定的 用途
    银行 行股 股份 份有 有限 限公 公司 分行 支行 身份 份证 证号 号码 住所 所地 地址 法定 定代 代表
    表人 签订 订日 日期 债权 权人 债务 务人 授信 信额 额度 放款 款项 本金 息按 按月 按季 资金 流水
""".split()
)
COMMON_TRIGRAMS = frozenset(a + b[1] for a in FREQUENT_BIGRAMS for b in FREQUENT_BIGRAMS if a[1] == b[0])
MAX_WORD = 64
# Marks where SplitLong cut a long word run (module docstring); not a word character, so no query text has it.
SPLIT_MARK = "~"
# The analyzer's cache of CJK runs' tokens (index_streams): entries (about 12 MB when full), and the
# longest run kept (a run is most often a clause between two punctuation marks; long ones rarely come back
# and would fill memory).
RUN_CACHE_SIZE = 16_384
MAX_CACHED_RUN = 40
# Soft-break joins (see the module docstring): joins per variant (a 19-digit account number written in
# groups of four has four), runs an edge segment contributes, runs per variant.
MAX_JOINS = 4
MAX_EDGE_RUNS = 8
# A piece without a digit joins a digit-bearing neighbour if this short (J⏎K2026, …002⏎X) or upper case.
MAX_LETTER_PIECE = 4
MAX_VARIANT_RUNS = 24
JOIN_BARRIER = "|"

# CJK-like characters, as they stand AFTER NFKC (compatibility ideographs, Kangxi radicals and half-width
# kana are mapped by NFKC; they are listed so the class also holds on unnormalized text).
CJK_CLASS = (
    "\u4e00-\u9fff\u3400-\u4dbf"  # ideographs: unified, extension A (first: regex sets test in order)
    "\u1100-\u11ff"  # Hangul jamo
    "\u2e80-\u2eff\u2f00-\u2fdf"  # CJK radicals supplement, Kangxi radicals
    "\u3005-\u3007"  # 々 〆 〇
    "\u3021-\u3029\u3038-\u303b"  # Hangzhou numerals, 〸〹〺〻
    "\u3041-\u3096\u3099-\u309f"  # hiragana (with voicing marks)
    "\u30a0-\u30fa\u30fc-\u30ff"  # katakana (not the middle dot ・)
    "\u3100-\u312f\u3131-\u318e\u31a0-\u31bf"  # bopomofo, Hangul compatibility jamo, bopomofo ext.
    "\u31c0-\u31e3\u31f0-\u31ff"  # CJK strokes, katakana phonetic extensions
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul
    "\uf900-\ufaff"  # compatibility ideographs
    "\uff66-\uff9f\uffa0-\uffdc"  # half-width katakana and Hangul
    "\U0001b000-\U0001b16f"  # kana supplement and extensions
    "\U00020000-\U0003ffff"  # ideographs: extensions B-I, compatibility supplement
)
# What is dropped between two CJK characters: white space and invisible separators.
_GAP_CLASS = r"\s\u00ad\u200b-\u200d\u2060\ufeff"

_CJK_CHAR_RE = re.compile(f"[{CJK_CLASS}]")
# Candidates for a common trigram, overlapping ones too: a character that can start one, followed by two
# that can continue it (a character class scan: ten times cheaper than a lookahead alternation of them all).
_COMMON_RE = re.compile(
    "([{}])(?=([{}][{}]))".format(*("".join(sorted({t[k] for t in COMMON_TRIGRAMS})) for k in range(3)))
)
# Gap candidates; the character before must be CJK too (checked in Python: a leading lookbehind would be
# tried at every position, the gap class first lets the regex engine skip ahead fast).
_GAP_RE = re.compile(f"[{_GAP_CLASS}]+(?=[{CJK_CLASS}])")
_RUN_RE = re.compile(f"([{CJK_CLASS}]+)|([^\\W_{CJK_CLASS}]+)")

# Word-run characters (letters and digits that are not CJK), for patterns built elsewhere (highlighting).
WORD_CLASS = f"[^\\W_{CJK_CLASS}]"

# A soft break: what a line end, a page end (form feed, as extraction joins pages) or a justified / OCR'd line
# puts inside an identifier. White space after NFKC (ideographic and no-break spaces are plain spaces then).
_INVISIBLE = "\u00ad\u200b-\u200d\u2060\ufeff"
_LINE_BREAK = "\n\r\f\v\x85\u2028\u2029"
_SPACE = f"[ \t][{_INVISIBLE}]*"
_BREAK = f"(?:\r\n|[{_LINE_BREAK}])[{_INVISIBLE}]*"
SOFT_BREAK = (
    f"[{_INVISIBLE}]*(?:(?:{_SPACE}){{1,2}}|(?:{_SPACE}){{0,2}}(?:{_BREAK}(?:{_SPACE}){{0,2}}){{1,3}})?"
)
_SOFT_RE = re.compile(SOFT_BREAK)
# Candidates: white space (or invisible separators) between two ASCII letters or digits (identifiers are
# ASCII after NFKC; an ASCII class first lets the regex engine skip over Chinese text fast).
_SOFT_CANDIDATE_RE = re.compile(f"[0-9A-Za-z]([ \t{_LINE_BREAK}{_INVISIBLE}]+)(?=[0-9A-Za-z])")
# Script runs as _RUN_RE, a word run with the white space after it: index_streams learns in its one pass over
# the runs whether a soft break can be anywhere.
_RUN_BLANK_RE = re.compile(f"([{CJK_CLASS}]+)|([^\\W_{CJK_CLASS}]+)([ \t{_LINE_BREAK}{_INVISIBLE}]*)")
# Punctuation inside an identifier (JK2026-000318, chenzy@example.com), a soft break allowed on either side.
_PUNCT_LINK_RE = re.compile(f"(?:{SOFT_BREAK})[-@._]{{1,3}}(?:{SOFT_BREAK})")
# What makes text identifier-like: an ASCII digit or an @.
_ID_MARK_RE = re.compile("[0-9@]")
_ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGIT_RE = re.compile("[0-9]")
_WORD_RUN_RE = re.compile(f"{WORD_CLASS}+")
# Where joins can happen: word runs, identifier punctuation and soft-break characters, nothing else.
_ZONE_RE = re.compile(f"(?:{WORD_CLASS}|[-@._ \t{_LINE_BREAK}{_INVISIBLE}])+")

# Characters that NFKC leaves alone and that never combine with the character before them: NFKC of a text
# is the concatenation of NFKC of its pieces cut just before such characters. Checked by a test.
_STABLE_CLASS = (
    "\x00-\x7f"
    "\u3001-\u3002\u3005-\u3007\u3008-\u3011\u3014-\u301b"
    "\u3041-\u3096\u30a1-\u30fa\u30fc-\u30fe"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
    "\u2014\u2018-\u2019\u201c-\u201d"
)
_FULL_WIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")
_UNSTABLE_RE = re.compile(f"[{_STABLE_CLASS}]?[^{_STABLE_CLASS}]+")


def is_cjk(char: str) -> bool:
    """True for a CJK-like character (ideograph, 〇, radical, kana, Hangul)."""
    return _CJK_CHAR_RE.match(char) is not None


@dataclass(frozen=True, slots=True)
class Token:
    """One analyzed token; start/end are character offsets into the ORIGINAL text."""

    text: str
    pos: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PhrasePlan:
    """Match ``tokens`` as an exact phrase (consecutive positions) on index field ``field``."""

    field: str
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MappedText:
    """A rewritten text and, per character, the span of the original text it came from.

    ``starts``/``ends`` are None while the text is the original itself (identity map).
    """

    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original span of characters ``[i, j)`` of ``text`` (``j > i``)."""
        if self.starts is None or self.ends is None:
            return i, j
        return self.starts[i], self.ends[j - 1]

    def spans(self, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """:meth:`span` of each pair."""
        starts, ends = self.starts, self.ends
        if starts is None or ends is None:
            return pairs
        return [(starts[i], ends[j - 1]) for i, j in pairs]

    def char_spans(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if self.starts is None or self.ends is None:
            n = len(self.text)
            return tuple(range(n)), tuple(range(1, n + 1))
        return self.starts, self.ends


@dataclass(frozen=True, slots=True)
class Piece:
    """A token in flight through the filters, with the original span of each of its characters."""

    text: str
    cjk: bool
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def token(self, pos: int) -> Token:
        return Token(self.text, pos, self.starts[0], self.ends[-1])


class _Stage:
    """Anything that can be piped into an analyzer with ``|``."""

    def __or__(self, other: _Stage | Analyzer) -> Analyzer:
        return Analyzer((self,)) | other


class CharFilter(_Stage, ABC):
    """Rewrites the whole text before tokenizing, keeping the offset map."""

    @abstractmethod
    def __call__(self, text: MappedText) -> MappedText: ...


class Tokenizer(_Stage, ABC):
    @abstractmethod
    def __call__(self, text: MappedText) -> Iterator[Piece]: ...


class TokenFilter(_Stage, ABC):
    @abstractmethod
    def __call__(self, pieces: Iterable[Piece]) -> Iterator[Piece]: ...


class Analyzer:
    """char filters | one tokenizer | token filters; calling it yields Tokens with consecutive positions."""

    __slots__ = ("_stages",)

    def __init__(self, stages: tuple[_Stage, ...]) -> None:
        _check_order(stages)
        self._stages = stages

    def __or__(self, other: _Stage | Analyzer) -> Analyzer:
        extra = other._stages if isinstance(other, Analyzer) else (other,)
        return Analyzer(self._stages + extra)

    @property
    def stages(self) -> tuple[_Stage, ...]:
        return self._stages

    def normalize(self, text: str) -> MappedText:
        """Apply only the character filters."""
        mapped = MappedText(text)
        for stage in self._stages:
            if not isinstance(stage, CharFilter):
                break
            mapped = stage(mapped)
        return mapped

    def pieces(self, text: str) -> Iterator[Piece]:
        mapped = self.normalize(text)
        stream: Iterable[Piece] | None = None
        for stage in self._stages:
            if isinstance(stage, Tokenizer):
                stream = stage(mapped)
            elif isinstance(stage, TokenFilter) and stream is not None:
                stream = stage(stream)
        if stream is None:
            raise TypeError("analyzer has no tokenizer (分析器缺少分词器)")
        yield from stream

    def __call__(self, text: str) -> Iterator[Token]:
        for pos, piece in enumerate(self.pieces(text)):
            yield piece.token(pos)


def _check_order(stages: tuple[_Stage, ...]) -> None:
    # 0 = char filters, 1 = tokenizer, 2 = token filters; one tokenizer at most, in that order.
    rank = {CharFilter: 0, Tokenizer: 1, TokenFilter: 2}
    last = -1
    for stage in stages:
        kind = next((r for cls, r in rank.items() if isinstance(stage, cls)), None)
        if kind is None:
            raise TypeError(f"not an analyzer stage: {stage!r} (不是分析器组件)")
        if kind < last or (kind == 1 and last == 1) or (kind == 2 and last < 1):
            raise TypeError(
                "analyzer stages must be char filters | one tokenizer | token filters "
                "(分析器组件顺序应为：字符过滤器 | 一个分词器 | 词元过滤器)"
            )
        last = kind


# --- character filters ---------------------------------------------------------------------------------


class NormalizeNFKC(CharFilter):
    """Unicode NFKC, with each output character mapped to the original character(s) it came from."""

    def __call__(self, text: MappedText) -> MappedText:
        src = text.text
        if unicodedata.is_normalized("NFKC", src):
            return text
        # Full-width ASCII and the ideographic space map one character to one: the map is unchanged.
        src = _replace_full_width(src)
        if unicodedata.is_normalized("NFKC", src):
            return MappedText(src, text.starts, text.ends)
        base_starts, base_ends = text.char_spans()
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        last = 0
        for m in _UNSTABLE_RE.finditer(src):
            a, b = m.span()
            if a > last:
                parts.append(src[last:a])
                starts.extend(base_starts[last:a])
                ends.extend(base_ends[last:a])
            for out, i, j in _normalize_segment(src, a, b):
                parts.append(out)
                starts.extend([base_starts[i]] * len(out))
                ends.extend([base_ends[j - 1]] * len(out))
            last = b
        if last < len(src):
            parts.append(src[last:])
            starts.extend(base_starts[last:])
            ends.extend(base_ends[last:])
        return MappedText("".join(parts), tuple(starts), tuple(ends))


def _normalize_segment(src: str, a: int, b: int) -> Iterator[tuple[str, int, int]]:
    """NFKC of ``src[a:b]`` as (output, i, j) pieces, each from source characters ``[i, j)``.

    A character joins the cluster before it when NFKC treats them together (a combining mark, ﾞ after ｶ,
    Hangul jamo); the clusters' outputs must add up to NFKC of the whole segment, or the whole segment maps
    to its whole span (coarser offsets, never wrong text).
    """
    nfkc = unicodedata.normalize
    whole = nfkc("NFKC", src[a:b])
    clusters: list[tuple[int, int]] = []
    outs: list[str] = []
    for k in range(a, b):
        char = nfkc("NFKC", src[k])
        if clusters:
            i = clusters[-1][0]
            joined = nfkc("NFKC", src[i : k + 1])
            if unicodedata.combining(src[k]) or joined != outs[-1] + char:
                clusters[-1] = (i, k + 1)
                outs[-1] = joined
                continue
        clusters.append((k, k + 1))
        outs.append(char)
    if "".join(outs) == whole:
        for out, (i, j) in zip(outs, clusters, strict=True):
            if out:
                yield out, i, j
    elif whole:
        yield whole, a, b


class CjkJoin(CharFilter):
    """Drop white space (and invisible separators) between two CJK characters."""

    def __call__(self, text: MappedText) -> MappedText:
        src = text.text
        gaps = _gaps(src)
        if not gaps:
            return text
        base_starts, base_ends = text.char_spans()
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        last = 0
        for a, b in [*gaps, (len(src), len(src))]:
            parts.append(src[last:a])
            starts.extend(base_starts[last:a])
            ends.extend(base_ends[last:a])
            last = b
        return MappedText("".join(parts), tuple(starts), tuple(ends))


# --- tokenizer -------------------------------------------------------------------------------------------


class ScriptRuns(Tokenizer):
    """Maximal CJK runs and maximal letter/digit runs; everything else separates."""

    def __call__(self, text: MappedText) -> Iterator[Piece]:
        starts, ends = text.char_spans()
        for m in _RUN_RE.finditer(text.text):
            a, b = m.span()
            yield Piece(m.group(), m.group(1) is not None, starts[a:b], ends[a:b])


class SoftBreakJoins(Tokenizer):
    """The ``joined`` field: identifiers split by soft breaks, joined again (module docstring), each variant
    a run of pieces, variants separated by a ``JOIN_BARRIER`` piece."""

    def __call__(self, text: MappedText) -> Iterator[Piece]:
        variants = _join_variants(text.text)
        if not variants:
            return
        starts, ends = text.char_spans()
        norm = text.text
        for n, variant in enumerate(variants):
            if n:  # the barrier maps to the first character of the variant after it
                first = variant[0][0][0]
                yield Piece(JOIN_BARRIER, False, starts[first : first + 1], ends[first : first + 1])
            for spans in variant:
                yield Piece(
                    "".join(norm[a:b] for a, b in spans),
                    False,
                    tuple(i for a, b in spans for i in starts[a:b]),
                    tuple(i for a, b in spans for i in ends[a:b]),
                )


# --- token filters ---------------------------------------------------------------------------------------


class LowerCase(TokenFilter):
    def __call__(self, pieces: Iterable[Piece]) -> Iterator[Piece]:
        for p in pieces:
            if p.cjk:
                yield p
                continue
            low = p.text.lower()
            if len(low) == len(p.text):
                yield Piece(low, False, p.starts, p.ends)
            else:  # e.g. "İ" lowers to two characters: every character spans the whole token
                n = len(low)
                yield Piece(low, False, (p.starts[0],) * n, (p.ends[-1],) * n)


class SplitLong(TokenFilter):
    """Cut word runs longer than ``limit`` into consecutive ``limit``-character pieces, marked where they
    were cut (``SPLIT_MARK``: before every piece but the first, after every piece but the last)."""

    def __init__(self, limit: int = MAX_WORD) -> None:
        if limit < 1:
            raise ValueError("limit must be positive (长度上限必须为正数)")
        self.limit = limit

    def __call__(self, pieces: Iterable[Piece]) -> Iterator[Piece]:
        n = self.limit
        for p in pieces:
            if p.cjk or len(p.text) <= n:
                yield p
                continue
            for k in range(0, len(p.text), n):
                text, starts, ends = p.text[k : k + n], p.starts[k : k + n], p.ends[k : k + n]
                if k:  # the mark spans the character next to it
                    text, starts, ends = SPLIT_MARK + text, starts[:1] + starts, ends[:1] + ends
                if k + n < len(p.text):
                    text, starts, ends = text + SPLIT_MARK, starts + starts[-1:], ends + ends[-1:]
                yield Piece(text, False, starts, ends)


class CjkBigrams(TokenFilter):
    """CJK runs → overlapping bigrams and the run's last character (run-end mark); one character stays."""

    def __call__(self, pieces: Iterable[Piece]) -> Iterator[Piece]:
        for p in pieces:
            if not p.cjk or len(p.text) == 1:
                yield p
                continue
            t = p.text
            for k in range(len(t) - 1):
                yield Piece(t[k : k + 2], True, p.starts[k : k + 2], p.ends[k : k + 2])
            yield Piece(t[-1], True, p.starts[-1:], p.ends[-1:])


class CommonTrigrams(TokenFilter):
    """CJK runs → only their common trigrams (three characters whose two bigrams are both in
    ``FREQUENT_BIGRAMS``), in order; everything else is left out."""

    def __call__(self, pieces: Iterable[Piece]) -> Iterator[Piece]:
        for p in pieces:
            if not p.cjk:
                continue
            t = p.text
            for k in range(len(t) - 2):
                if t[k : k + 3] in COMMON_TRIGRAMS:
                    yield Piece(t[k : k + 3], True, p.starts[k : k + 3], p.ends[k : k + 3])


class CjkUnigrams(TokenFilter):
    """CJK runs → one token per character."""

    def __call__(self, pieces: Iterable[Piece]) -> Iterator[Piece]:
        for p in pieces:
            if not p.cjk:
                yield p
                continue
            for k, ch in enumerate(p.text):
                yield Piece(ch, True, p.starts[k : k + 1], p.ends[k : k + 1])


# --- the standard analyzer -------------------------------------------------------------------------------


def standard_analyzer(field: str = BI) -> Analyzer:
    """The analyzer's specification for index field ``field`` (the oracle that :func:`index_streams` and
    :func:`query_plan` are held to; module docstring). BI ends in bigrams, UNI in characters, JOINED joins
    identifiers across soft breaks."""
    if field not in FIELDS:
        raise ValueError(f"unknown index field {field!r}, expected one of {FIELDS} (未知索引字段)")
    if field == JOINED:
        return NormalizeNFKC() | CjkJoin() | SoftBreakJoins() | LowerCase() | SplitLong(MAX_WORD)
    kinds: dict[str, type[CjkBigrams] | type[CjkUnigrams] | type[CommonTrigrams]] = {
        BI: CjkBigrams,
        UNI: CjkUnigrams,
        COMMON: CommonTrigrams,
    }
    grams = kinds[field]()
    return NormalizeNFKC() | CjkJoin() | ScriptRuns() | LowerCase() | SplitLong(MAX_WORD) | grams


def normalize_mapped(text: str) -> MappedText:
    """The standard character filters (NFKC, CJK white space dropped), with the map to the original."""
    return CjkJoin()(NormalizeNFKC()(MappedText(text)))


@dataclass(frozen=True, slots=True)
class GapMap:
    """The normalized text of a text whose normalization only replaces characters one for one and drops
    CJK white space: the map back to the original is kept as the dropped gaps, not per character.

    ``cuts[k]`` is where, in ``text``, the k-th dropped gap was, ``shifts[k]`` how many characters were
    dropped up to and including it. Same ``text`` and ``span`` as :func:`normalize_mapped`, at a fraction
    of its cost (snippets normalize every hit's whole text).
    """

    text: str
    cuts: tuple[int, ...] = ()
    shifts: tuple[int, ...] = ()

    def _original(self, i: int) -> int:
        k = bisect.bisect_right(self.cuts, i)
        return i + (self.shifts[k - 1] if k else 0)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original span of characters ``[i, j)`` of ``text`` (``j > i``)."""
        if not self.cuts:
            return i, j
        return self._original(i), self._original(j - 1) + 1

    def spans(self, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """:meth:`span` of each pair, in one loop (a snippet maps every match of its text)."""
        cuts, shifts = self.cuts, self.shifts
        if not cuts:
            return pairs
        out = []
        for i, j in pairs:
            k, m = bisect.bisect_right(cuts, i), bisect.bisect_right(cuts, j - 1)
            out.append((i + (shifts[k - 1] if k else 0), j + (shifts[m - 1] if m else 0)))
        return out


def normalize_spans(text: str) -> GapMap | MappedText:
    """:func:`normalize_mapped`, as a :class:`GapMap` when the text allows it (full-width ASCII, the
    ideographic space and CJK gaps are all Chinese text usually needs); else the full per-character map."""
    if not unicodedata.is_normalized("NFKC", text):
        text = _replace_full_width(text)
        if not unicodedata.is_normalized("NFKC", text):
            return normalize_mapped(text)
    gaps = _gaps(text)
    if not gaps:
        return GapMap(text)
    parts: list[str] = []
    cuts: list[int] = []
    shifts: list[int] = []
    last = removed = 0
    for a, b in gaps:
        parts.append(text[last:a])
        cuts.append(a - removed)
        removed += b - a
        shifts.append(removed)
        last = b
    parts.append(text[last:])
    return GapMap("".join(parts), tuple(cuts), tuple(shifts))


def normalize_text(text: str) -> str:
    """Normalized text as the analyzer sees it: NFKC, CJK white space dropped, lower case."""
    return _fast_normalize(text).lower()


def _gaps(text: str) -> list[tuple[int, int]]:
    """Spans of white space between two CJK characters."""
    return [m.span() for m in _GAP_RE.finditer(text) if m.start() > 0 and is_cjk(text[m.start() - 1])]


def _replace_full_width(text: str) -> str:
    """Full-width ASCII and the ideographic space replaced by their NFKC images, one character each.

    They are most of what Chinese text needs from NFKC, and str.replace per distinct character is much
    cheaper than NFKC. Replacing a character by its own NFKC image (ASCII, which never combines with a
    neighbour) leaves the NFKC of the whole text unchanged.
    """
    for char in set(_FULL_WIDTH_RE.findall(text)):
        text = text.replace(char, unicodedata.normalize("NFKC", char))
    return text


def _nfkc_segment(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group())


def _fast_normalize(text: str) -> str:
    """NFKC and CJK gaps dropped, without an offset map.

    NFKC runs only on the segments that need it (cut before stable characters, see _STABLE_CLASS): on
    Chinese text with full-width punctuation that is twice as fast as NFKC of the whole text.
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = _replace_full_width(text)
        if not unicodedata.is_normalized("NFKC", text):
            text = _UNSTABLE_RE.sub(_nfkc_segment, text)
    gaps = _gaps(text)
    if not gaps:
        return text
    parts: list[str] = []
    last = 0
    for a, b in gaps:
        parts.append(text[last:a])
        last = b
    parts.append(text[last:])
    return "".join(parts)


def _word_tokens(run: str) -> list[str]:
    low = run.lower()
    if len(low) <= MAX_WORD:
        return [low]
    last = len(low) - MAX_WORD  # the start of a piece that is not the last is below this
    return [
        f"{SPLIT_MARK if k else ''}{low[k : k + MAX_WORD]}{SPLIT_MARK if k < last else ''}"
        for k in range(0, len(low), MAX_WORD)
    ]


def script_runs(text: str) -> list[tuple[str, bool]]:
    """(run, is_cjk) for each script run of the normalized text (NFKC, CJK gaps dropped; case kept)."""
    return [
        (m.group(1), True) if m.group(1) is not None else (m.group(2), False)
        for m in _RUN_RE.finditer(_fast_normalize(text))
    ]


# --- soft-break joins ------------------------------------------------------------------------------------

# Link kinds between two neighbouring word runs.
_NO_LINK, _PUNCT_LINK, _SOFT_LINK = 0, 1, 2

Variant = list[list[tuple[int, int]]]  # tokens, each the spans of the runs it joins (normalized text)


def soft_breaks(norm: str) -> Iterator[tuple[int, int]]:
    """Spans of the soft breaks between two ASCII letters or digits of a normalized text, in order."""
    for m in _SOFT_CANDIDATE_RE.finditer(norm):
        if _SOFT_RE.fullmatch(m.group(1)):
            yield m.span(1)


def _zones(norm: str) -> Iterator[tuple[int, int]]:
    """Spans of the zones (word runs, identifier punctuation, soft-break characters) that hold a soft break
    and an ASCII digit or @: the only places where anything joins."""
    reverse = ""
    done = 0  # end of the last zone looked at
    for a, _ in soft_breaks(norm):
        if a < done:
            continue  # in that zone
        # zone characters before the break (matched in the reversed text), and from it on
        reverse = reverse or norm[::-1]
        before = _ZONE_RE.match(reverse, len(norm) - a)
        start = len(norm) - before.end()  # type: ignore[union-attr]  # the break is a zone character
        done = _ZONE_RE.match(norm, a).end()  # type: ignore[union-attr]  # white space is a zone character
        if _ID_MARK_RE.search(norm, start, done) is not None:
            yield start, done


def _zone_links(norm: str, start: int, end: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The word runs of a zone and the link between each two (module docstring, *Soft-break joins*)."""
    runs = [m.span() for m in _WORD_RUN_RE.finditer(norm, start, end)]
    kinds = []
    for (_, a_end), (b_start, _) in itertools.pairwise(runs):
        if (
            norm[a_end - 1] in _ASCII_ALNUM
            and norm[b_start] in _ASCII_ALNUM
            and _SOFT_RE.fullmatch(norm, a_end, b_start)
        ):
            kinds.append(_SOFT_LINK)
        elif _PUNCT_LINK_RE.fullmatch(norm, a_end, b_start):
            kinds.append(_PUNCT_LINK)
        else:
            kinds.append(_NO_LINK)
    # chains of runs (linked by punctuation or soft breaks) with an @: an e-mail address, whose pieces join
    # whatever they are (a variant without the @ is left out below)
    at = [False] * len(runs)
    k = 0
    while k < len(runs):
        j = k
        while j < len(kinds) and kinds[j] != _NO_LINK:
            j += 1
        at[k : j + 1] = [norm.find("@", runs[k][1], runs[j][0]) >= 0] * (j + 1 - k)
        k = j + 1
    digit = [_DIGIT_RE.search(norm, a, b) is not None for a, b in runs]
    upper = [norm[a:b].isupper() for a, b in runs]
    # a piece of an identifier: digits, or letters short (J⏎K2026, …002⏎X) or upper case (…MAXKQ⏎PWY96)
    piece = [d or u or b - a <= MAX_LETTER_PIECE for d, u, (a, b) in zip(digit, upper, runs, strict=True)]
    for k, kind in enumerate(kinds):
        if kind != _SOFT_LINK or at[k] or at[k + 1]:
            continue
        # two pieces, one with a digit (or both upper case: A⏎A⏎0000, the variant still needs a digit)
        if not (piece[k] and piece[k + 1] and (digit[k] or digit[k + 1] or (upper[k] and upper[k + 1]))):
            kinds[k] = _NO_LINK
    return runs, kinds


def joined_breaks(norm: str) -> list[tuple[int, int]]:
    """Spans of the soft breaks of a normalized text that the ``joined`` field joins, in order."""
    spans: list[tuple[int, int]] = []
    for start, end in _zones(norm):
        runs, kinds = _zone_links(norm, start, end)
        spans.extend((runs[k][1], runs[k + 1][0]) for k, kind in enumerate(kinds) if kind == _SOFT_LINK)
    return spans


def _join_variants(norm: str) -> list[Variant]:
    """The variants of the ``joined`` field, in text order (module docstring, *Soft-break joins*)."""
    variants: list[Variant] = []
    for start, end in _zones(norm):
        variants.extend(_zone_variants(norm, *_zone_links(norm, start, end)))
    return variants


def _zone_variants(norm: str, runs: list[tuple[int, int]], kinds: list[int]) -> Iterator[Variant]:
    k = 0
    while k < len(kinds):
        if kinds[k] == _NO_LINK:
            k += 1
            continue
        first = k  # a stretch: runs first … last, linked by soft breaks and punctuation
        while k < len(kinds) and kinds[k] != _NO_LINK:
            k += 1
        last = k
        segments: list[tuple[int, int]] = []  # [start, end] run indexes between soft links
        seg_start = first
        for j in range(first, last):
            if kinds[j] == _SOFT_LINK:
                segments.append((seg_start, j))
                seg_start = j + 1
        segments.append((seg_start, last))
        for i in range(len(segments) - 1):
            lo = max(segments[i][0], segments[i][1] - MAX_EDGE_RUNS + 1)
            for j in range(i + 1, min(len(segments), i + 1 + MAX_JOINS)):
                hi = min(segments[j][1], segments[j][0] + MAX_EDGE_RUNS - 1)
                if hi - lo + 1 > MAX_VARIANT_RUNS:
                    break
                if _ID_MARK_RE.search(norm, runs[lo][0], runs[hi][1]) is None:
                    continue  # upper-case words only (THE⏎BANK): not an identifier
                tokens: Variant = [[runs[lo]]]
                for r in range(lo + 1, hi + 1):
                    if kinds[r - 1] == _SOFT_LINK:
                        tokens[-1].append(runs[r])
                    else:
                        tokens.append([runs[r]])
                yield tokens


def joins_apply(text: str) -> bool:
    """Whether a query text is also matched joined across soft breaks (word runs only, a digit or @)."""
    norm = _fast_normalize(text)
    return _ID_MARK_RE.search(norm) is not None and _CJK_CHAR_RE.search(norm) is None


def _joined_stream(norm: str) -> str:
    variants = _join_variants(norm)
    if not variants:
        return ""
    out: list[str] = []
    for variant in variants:
        if out:
            out.append(JOIN_BARRIER)
        for spans in variant:
            out.extend(_word_tokens("".join(norm[a:b] for a, b in spans)))
    return " ".join(out)


_join_pair: Callable[[str, str], str] = operator.add


@functools.lru_cache(maxsize=RUN_CACHE_SIZE)
def _cjk_run(run: str) -> tuple[str, str, str]:
    """A CJK run's ``bi`` tokens (its bigrams, then its last character), ``uni`` tokens and ``common``
    tokens, each space-joined.

    Cached: making a run's tokens is most of the analyzer's time (a new string per token), and credit
    documents repeat the same runs (template clauses, labels, the borrower's name).
    """
    bi = f"{' '.join(map(_join_pair, run, run[1:]))} {run[-1]}" if len(run) > 1 else run
    # A space between every two characters: str.replace inserts it in C, without the one-character
    # strings that " ".join(run) makes.
    uni = run.replace("", " ")[1:-1]
    # Every character of a common trigram is CJK: its occurrences lie within runs. Overlapping ones too
    # (a lookahead): 借款人民币 holds 借款人 and 人民币.
    common = " ".join([a + bc for a, bc in _COMMON_RE.findall(run) if a + bc in COMMON_TRIGRAMS])
    return bi, uni, common


def index_streams(text: str) -> dict[str, str]:
    """Tokens of every index field, space-joined: exactly what engines index with a whitespace tokenizer."""
    bi: list[str] = []
    uni: list[str] = []
    common: list[str] = []
    add_bi, add_uni = bi.append, uni.append  # the hot loop of indexing: one iteration per run
    norm = _fast_normalize(text)
    blank_after_word = ""  # soft breaks need white space after a word run: most Chinese texts have none
    for cjk, word, blank in _RUN_BLANK_RE.findall(norm):
        if cjk:
            run_bi, run_uni, run_common = (
                _cjk_run(cjk) if len(cjk) <= MAX_CACHED_RUN else _cjk_run.__wrapped__(cjk)
            )
            add_bi(run_bi)
            add_uni(run_uni)
            if run_common:
                common.append(run_common)
        else:
            blank_after_word = blank_after_word or blank
            low = word.lower()
            if len(low) <= MAX_WORD:
                add_bi(low)
                add_uni(low)
            else:
                words = _word_tokens(word)
                bi.extend(words)
                uni.extend(words)
    return {
        BI: " ".join(bi),
        UNI: " ".join(uni),
        JOINED: _joined_stream(norm) if blank_after_word else "",
        COMMON: " ".join(common),
    }


def query_plan(text: str) -> list[PhrasePlan]:
    """How an engine finds ``text`` (a query word or phrase): match the tokens of ANY plan as a phrase.

    Returns one plan (two for a text of word runs only: ``bi`` and ``joined``), or an empty list when the
    text has no searchable characters (only punctuation or space) — such a text constrains nothing; the
    query parser drops it before it reaches an engine.
    """
    runs = script_runs(text)
    if not runs:
        return []
    cjk_runs = [r for r, c in runs if c]
    if len(runs) == 1 and cjk_runs:
        run = cjk_runs[0]
        if len(run) == 1:
            return [PhrasePlan(UNI, (run,))]
        if run in COMMON_TRIGRAMS:
            # One term instead of a phrase of two bigrams found in nearly every document.
            return [PhrasePlan(COMMON, (run,))]
        return [PhrasePlan(BI, tuple(map(_join_pair, run, run[1:])))]
    tokens: list[str] = []
    for run, cjk in runs:
        tokens.extend(run if cjk else _word_tokens(run))
    if cjk_runs:
        return [PhrasePlan(UNI, tuple(tokens))]
    if not joins_apply(text):
        return [PhrasePlan(BI, tuple(tokens))]
    return [PhrasePlan(BI, tuple(tokens)), PhrasePlan(JOINED, tuple(tokens))]
