"""Snippets of a document's stored text with the query's matches marked.

Matching follows the search itself: each query text (``query.terms_for_highlight``) is cut into script runs
by the analyzer and looked for in the document's normalized text (NFKC, white space between CJK characters
dropped, case ignored); runs may be separated by any punctuation or space, as in the index, and a word run
only matches a whole word run. Every occurrence is found (overlapping ones too) and mapped back to the
original text through the analyzer's offset map, so ``ＪＫ２０２６`` is marked for ``JK2026`` and ``中 国``
for ``中国``. An identifier (a query the analyzer also matches joined, ``analysis.joins_apply``: word runs
with a digit or an ``@``) is also looked for in the text with the soft breaks that the ``joined`` field
joins removed (``analysis.joined_breaks``), where a removed break also counts as a word boundary; the
mark covers the whole identifier with its breaks: ``91350205MA2X⏎K7Q396`` for ``91350205MA2XK7Q396``.

Snippets: windows of about ``width`` characters of the original text; the window holding the most matches is
chosen first, then the next best among the matches left, up to ``max_snippets``; windows that overlap or touch
are merged. Snippets come in document order, white space collapsed to one space, with ``…`` where the text
is cut. When nothing matches (a filter-only query) the opening of the text is returned unmarked.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice, repeat
from operator import add, itemgetter, lt, sub

from indexer.analysis import (
    CJK_CLASS,
    WORD_CLASS,
    GapMap,
    MappedText,
    joined_breaks,
    joins_apply,
    normalize_spans,
    script_runs,
)
from indexer.lru import LruCache
from indexer.query import Query, terms_for_highlight

__all__ = ["ELLIPSIS", "Highlighter", "Segment", "Snippet", "match_spans", "snippets"]

Segment = tuple[str, bool]  # (text, is_match)
Snippet = tuple[Segment, ...]

ELLIPSIS = "…"
NORMALIZED_CACHE_SIZE = 256
"""Hit texts whose normalization (with its map back) is kept per process. Normalizing is about half of a
snippet's cost, and a search's hits are often the same documents again: the next page, a narrowed query,
a phrase every document shares. Keyed by the text itself, so an entry is never stale."""
MAX_CACHED_TEXT = 16_384
"""Longer texts are normalized each time. Only a compact map is kept (a GapMap: the normalized text and its
dropped gaps), never a per-character map (a text NFKC really changes, ① or ㎡: two tuples of ints per
character, about 60 bytes each), so the cache holds at most about 32 MB, typically a few."""
_SEP = f"(?:[^\\w{CJK_CLASS}]|_)"  # characters that only separate runs
_WORD_RE = re.compile(WORD_CLASS)
_SPAN = re.Match.span
_START, _END = itemgetter(0), itemgetter(1)


@dataclass(frozen=True, slots=True)
class _Term:
    pattern: re.Pattern[str]  # the term in the normalized text, its edges not checked
    whole_start: bool  # a word run at its start: no letter or digit may come right before
    whole_end: bool  # likewise after its end
    joined: bool  # an identifier (analysis.joins_apply): also looked for in the collapsed text
    apart: bool  # one run that cannot overlap itself: its occurrences never overlap (a plain finditer)

    def bounded(self, text: str, start: int, end: int) -> bool:
        """Whether a match at ``text[start:end]`` keeps a word run whole."""
        if self.whole_start and start > 0 and _WORD_RE.match(text, start - 1):
            return False
        return not (self.whole_end and end < len(text) and _WORD_RE.match(text, end))


@functools.lru_cache(maxsize=256)
def _term(term: str) -> _Term | None:
    runs = script_runs(term)
    if not runs:
        return None
    parts: list[str] = []
    previous: bool | None = None
    for run, cjk in runs:
        if previous is not None:
            parts.append(f"{_SEP}+" if previous == cjk else f"{_SEP}*")
        # Case is ignored in the word runs only, and the word edges are checked after a match (_Term.bounded)
        # rather than by lookarounds: compiling the word class under IGNORECASE took 7 ms per new term.
        parts.append(re.escape(run) if cjk else f"(?i:{re.escape(run)})")
        previous = cjk
    apart = len(runs) == 1 and not _overlaps(runs[0][0] if runs[0][1] else runs[0][0].lower())
    return _Term(re.compile("".join(parts)), not runs[0][1], not runs[-1][1], joins_apply(term), apart)


def _overlaps(run: str) -> bool:
    """Whether two occurrences of ``run`` can overlap: some proper prefix of it is also its suffix."""
    return any(run.startswith(run[-k:]) for k in range(1, len(run)))


@dataclass(frozen=True, slots=True)
class _Collapsed:
    """The normalized text with the soft breaks the ``joined`` field joins removed, and where:
    ``cuts[k]`` is the position in ``text`` where the k-th break was, ``shifts[k]`` the characters removed
    up to and including it."""

    text: str
    cuts: list[int]
    shifts: list[int]

    @classmethod
    def of(cls, norm: str) -> _Collapsed:
        parts: list[str] = []
        cuts: list[int] = []
        shifts: list[int] = []
        last = removed = 0
        for a, b in joined_breaks(norm):
            parts.append(norm[last:a])
            cuts.append(a - removed)
            removed += b - a
            shifts.append(removed)
            last = b
        parts.append(norm[last:])
        return cls("".join(parts), cuts, shifts)

    def position(self, i: int) -> int:
        """The position in the normalized text of character ``i`` of ``text``."""
        k = bisect.bisect_right(self.cuts, i)
        return i + (self.shifts[k - 1] if k else 0)

    def bounded(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is whole words: a letter or digit next to it is apart by a break."""
        text = self.text
        before = start == 0 or not _WORD_RE.match(text, start - 1) or _has(self.cuts, start)
        return before and (end == len(text) or not _WORD_RE.match(text, end) or _has(self.cuts, end))


def _has(ordered: list[int], value: int) -> bool:
    k = bisect.bisect_left(ordered, value)
    return k < len(ordered) and ordered[k] == value


class _NormalizedTexts:
    """The LRU cache of hit texts' compact normalizations (NORMALIZED_CACHE_SIZE, MAX_CACHED_TEXT)."""

    def __init__(self, size: int) -> None:
        self._kept: LruCache[str, GapMap] = LruCache(size)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def hits(self) -> int:
        return self._kept.hits

    @property
    def misses(self) -> int:
        return self._kept.misses

    def __call__(self, text: str) -> GapMap | MappedText:
        if len(text) > MAX_CACHED_TEXT:
            return normalize_spans(text)
        kept = self._kept.get(text)
        if kept is not None:
            return kept
        mapped = normalize_spans(text)  # outside the cache's lock: other threads' hits need not wait for it
        if isinstance(mapped, GapMap):
            self._kept.put(text, mapped)
        return mapped


_normalized = _NormalizedTexts(NORMALIZED_CACHE_SIZE)


def _occurrences(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, overlapping ones too (哈哈 in 哈哈哈)."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


def match_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of the original text matching any of ``terms``, sorted, overlapping ones merged."""
    return _spans(text, _compiled(terms))


def _compiled(terms: Iterable[str]) -> tuple[_Term, ...]:
    return tuple(t for t in map(_term, terms) if t is not None)


def _spans(text: str, compiled: tuple[_Term, ...]) -> list[tuple[int, int]]:
    if not compiled or not text:
        return []
    mapped = _normalized(text)
    norm = mapped.text
    collapsed: _Collapsed | None = None
    spans: list[tuple[int, int]] = []
    for term in compiled:
        found = term.pattern.finditer(norm) if term.apart else _occurrences(term.pattern, norm)
        if term.whole_start or term.whole_end:
            spans.extend(mapped.spans([m.span() for m in found if term.bounded(norm, m.start(), m.end())]))
        else:  # a CJK run at each edge: nothing to check there
            spans.extend(mapped.spans(list(map(_SPAN, found))))
        if term.joined:
            collapsed = collapsed or _Collapsed.of(norm)
            if collapsed.cuts:  # an identifier, and the text has soft breaks: also match it joined
                for m in _occurrences(term.pattern, collapsed.text):
                    if collapsed.bounded(m.start(), m.end()):
                        first, last = collapsed.position(m.start()), collapsed.position(m.end() - 1)
                        spans.append(mapped.span(first, last + 1))
    # One term's matches come in the order of their starts (the map back keeps it): only several terms,
    # or an identifier also matched joined, need sorting.
    return _merged(spans if len(compiled) == 1 and collapsed is None else sorted(spans))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with those that overlap or touch made one."""
    # Mostly each ends before the next starts (one term's matches): that check is made in C.
    if all(map(lt, map(_END, spans), map(_START, islice(spans, 1, None)))):
        return spans
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _pad(start: int, end: int, width: int, length: int) -> tuple[int, int]:
    """Grow [start, end) to ``width`` characters around its middle, within [0, length)."""
    extra = width - (end - start)
    if extra <= 0:
        return start, end
    left = start - extra // 2
    right = end + (extra - extra // 2)
    if left < 0:
        right, left = min(length, right - left), 0
    if right > length:
        left, right = max(0, left - (right - length)), length
    return left, right


def _windows(
    starts: list[int], ends: list[int], length: int, max_snippets: int, width: int
) -> list[tuple[int, int]]:
    # Spans are sorted and apart (match_spans merged those that touch), so their ends increase too: how
    # many spans a window starting at span i holds is one bisection (``gain[i]``, made for every i by
    # map, in C). A chosen window is at least ``width`` wide (or the whole text), so no later window
    # reaches across it: the spans it takes count for nothing after it, and a window starting before it
    # holds at most the spans up to it.
    n = len(starts)
    gain = list(
        map(
            sub,
            map(bisect.bisect_right, repeat(ends, n), map(add, starts, repeat(width, n)), range(1, n + 1)),
            range(n),
        )
    )
    chosen: list[tuple[int, int]] = []
    while len(chosen) < max_snippets and n:
        count = max(gain)
        if count <= 0:
            break
        best = gain.index(count)  # the most spans, the earliest on ties
        start, end = _pad(starts[best], ends[best + count - 1], width, length)
        # never cut a match at the window's edge: take in whole any span the window touches
        first, after = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)
        if first < after:
            start, end = min(start, starts[first]), max(end, ends[after - 1])
        chosen.append((start, end))
        # the spans it holds are taken; a window before it stops at it
        gain[first:after] = repeat(0, after - first)
        i = first - 1
        while i >= 0 and i + gain[i] > first:
            gain[i] = first - i
            i -= 1
    return chosen if len(chosen) == 1 else _merged(sorted(chosen))


def _render(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Snippet:
    """The window [start, end) with ``spans``, the matches inside it (a window never cuts one)."""
    # Spans are sorted and apart (match_spans merged those that touch), so the window's pieces alternate:
    # plain text, a match, plain text, … and no two matches are adjacent.
    # With its line breaks as spaces, a window whose only white space was single spaces and line breaks
    # (every other white space character is not printable) is cut into the pieces _collapse would make:
    # no pass per piece. Any other window is cut from the text and each piece collapsed.
    flat = text[start:end].replace("\n", " ")
    as_is = flat.isprintable() and "  " not in flat
    source, base = (flat, start) if as_is else (text, 0)
    segments: list[Segment] = []
    pos = start
    for a, b in spans:
        if a > pos:
            segments.append((source[pos - base : a - base], False))
        segments.append((source[a - base : b - base], True))
        pos = b
    if end > pos:
        segments.append((source[pos - base : end - base], False))
    if not as_is:
        segments = [(_collapse(piece), match) for piece, match in segments]
    # An ellipsis where the text is cut, and no blank at the snippet's edges (nor after an ellipsis).
    # Where the text itself begins or ends, _trim_edge keeps an ellipsis of the text's own there and
    # trims beside it, as it trims beside one of ours.
    if start > 0:
        if segments and not segments[0][1]:
            segments[0] = (ELLIPSIS + segments[0][0].lstrip(), False)
        else:
            segments.insert(0, (ELLIPSIS, False))
    elif segments and not segments[0][1]:
        segments[0] = (_trim_edge(segments[0][0], front=True), False)
    if end < len(text):
        if segments and not segments[-1][1]:
            segments[-1] = (segments[-1][0].rstrip() + ELLIPSIS, False)
        else:
            segments.append((ELLIPSIS, False))
    elif segments and not segments[-1][1]:
        segments[-1] = (_trim_edge(segments[-1][0], front=False), False)
    if segments and not segments[0][0]:
        del segments[0]
    if segments and not segments[-1][0]:
        del segments[-1]
    return tuple(segments)


def _collapse(piece: str) -> str:
    """White space runs as one space. A printable piece holds no white space but the plain space (every
    other white space character is a control or a separator), so without two spaces in a row it is left
    as it is, with no regex pass: most pieces of a snippet are such."""
    if piece.isprintable() and "  " not in piece:
        return piece
    # str.split() splits on the same white space as the regex \s (both are str.isspace), several times
    # faster than a regex pass; the edges keep one space as the regex would.
    words = piece.split()
    if not words:
        return " "
    core = " ".join(words)
    if piece[0].isspace():
        core = " " + core
    return core + " " if piece[-1].isspace() else core


def _trim_edge(piece: str, *, front: bool) -> str:
    if front:
        body = piece.removeprefix(ELLIPSIS).lstrip()
        return (ELLIPSIS if piece.startswith(ELLIPSIS) else "") + body
    body = piece.removesuffix(ELLIPSIS).rstrip()
    return body + (ELLIPSIS if piece.endswith(ELLIPSIS) else "")


class Highlighter:
    """Snippets of texts with one query's matches marked: made once per search, so a page of hits
    compiles the query's terms once. ``highlighter(text)`` is :func:`snippets` of ``text``."""

    __slots__ = ("_max", "_terms", "_width", "key")

    def __init__(self, query: Query, *, max_snippets: int = 3, width: int = 80) -> None:
        terms = tuple(terms_for_highlight(query))
        self._terms = _compiled(terms)
        self._max = max_snippets
        self._width = max(width, 1)
        self.key: Hashable = (terms, self._max, self._width)
        """Equal for two highlighters that make the same snippets of every text."""

    def __call__(self, text: str) -> list[Snippet]:
        if not text or text.isspace() or self._max < 1:
            return []
        width = self._width
        spans = _spans(text, self._terms)
        if not spans:
            return [_render(text, 0, min(len(text), width), [])]
        starts = list(map(_START, spans))
        ends = list(map(_END, spans))
        return [
            _render(text, a, b, spans[bisect.bisect_left(starts, a) : bisect.bisect_left(starts, b)])
            for a, b in _windows(starts, ends, len(text), self._max, width)
        ]


def snippets(text: str, query: Query, *, max_snippets: int = 3, width: int = 80) -> list[Snippet]:
    """Up to ``max_snippets`` snippets of ``text`` with the matches of ``query`` marked."""
    return Highlighter(query, max_snippets=max_snippets, width=width)(text)
