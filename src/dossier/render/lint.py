"""Template checks behind ``dossier templates check``.

Reports what would make a DOCX template fail or print the wrong thing, in the paragraph where it is:
Jinja syntax errors; tags typed with a Chinese input method (``｛｛ … ｝｝`` is printed as text,
full-width ``（）｜，`` inside a tag is a syntax error, curly quotes are converted but fragile); filters
the engine does not have; data paths the document kind does not provide; required fields the
document never shows.

Field paths are dotted, with ``[]`` for list elements: ``borrower.name``, ``schedule[].principal``.
A path used in a template is known when ``known_fields`` lists it, lists something under it
(``borrower`` is known when ``borrower.name`` is), or lists a wildcard above it (``extra.*`` covers
``extra.anything``). :func:`schema_fields` builds such a set from a pydantic model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import re
import types
import typing
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import nodes
from pydantic import BaseModel

from dossier.render.engine import (
    FieldUse,
    TemplateEngine,
    TemplateError,
    TemplatePart,
    field_uses,
    read_parts,
)
from dossier.render.sandbox import make_environment

Severity = Literal["error", "warning"]

# An opening or closing tag with at least one full-width brace or percent sign.
_FULLWIDTH_TAG = re.compile(r"｛[{｛%％]|\{[｛％]|｝[}｝]|\}｝|％[}｝]|%｝")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_CURLY_QUOTES = re.compile("[“”‘’]")
_STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
# Punctuation a Chinese input method types instead of the ASCII a Jinja expression needs.
_FULLWIDTH_IN_TAG = re.compile("[（）｜，．。：；＂＇＝！＜＞［］＋－＊／\u3000]")
_PATH_PREFIX = re.compile(r"\.|\[\]")
_XML_OFFSET = re.compile(r" at \d+$")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class LintProblem:
    """One finding. ``location`` names the part and paragraph, with the paragraph's text."""

    severity: Severity
    code: str
    message: str
    location: str
    part: str | None = None
    #: paragraph number within the part, from 0, when it can be pinned down
    paragraph_index: int | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.location}: {self.message} [{self.code}]"


def lint_template(
    path: Path,
    *,
    known_fields: set[str] | None = None,
    required_fields: set[str] | None = None,
    engine: TemplateEngine | None = None,
) -> list[LintProblem]:
    """Every problem found in the template at ``path``; an empty list means it is fine.

    ``engine`` supplies the registered filters; without it, filters other than Jinja's safe
    builtins are reported as warnings (the document kind may register them). Jinja stops at the
    first syntax error of a part (body, each header...), so fields of that part are checked once
    it parses. Problems come in document order; template-wide ones last.
    """
    path = Path(path)
    try:
        parts = read_parts(path.read_bytes(), str(path))
    except OSError as exc:
        return [
            _problem("error", "unreadable", f"cannot read the file ({exc.strerror})", "无法读取文件", "file")
        ]
    except TemplateError as exc:
        return [_problem("error", "not-docx", exc.reason, exc.reason_zh, "file")]

    environment = engine.environment if engine is not None else make_environment()
    problems: list[LintProblem] = []
    uses: list[FieldUse] = []
    by_label = {part.label: part for part in parts}
    for part in parts:
        problems += _typography(part)
        try:
            ast = environment.parse(part.source)
        except jinja2.TemplateSyntaxError as exc:
            # Jinja stops at the first error; the position it gives is an offset into the XML.
            message = _XML_OFFSET.sub("", exc.message or "")
            problems.append(
                _at(part, exc.lineno, "error", "syntax", f"syntax error: {message}", "模板语法错误")
            )
            continue
        problems += _unknown_filters(part, ast, environment, strict=engine is not None)
        uses += field_uses(ast, part.label, frozenset(environment.globals))

    if known_fields is not None:
        problems += _unknown_fields(uses, known_fields, by_label)
    if required_fields is not None:
        problems += _missing_required(uses, required_fields)
    order = {label: i for i, label in enumerate(by_label)}
    return sorted(
        problems,
        key=lambda p: (
            order.get(p.part or "", len(order)),
            -1 if p.paragraph_index is None else p.paragraph_index,
        ),
    )


def _problem(
    severity: Severity, code: str, message: str, message_zh: str, location: str, **where: Any
) -> LintProblem:
    return LintProblem(severity, code, f"{message} ({message_zh})", location, **where)


def _at(
    part: TemplatePart,
    lineno: int | None,
    severity: Severity,
    code: str,
    message: str,
    message_zh: str,
    hint: str | None = None,
) -> LintProblem:
    """A problem located at a line of the part's Jinja source (one paragraph per line).

    ``hint`` is a word the paragraph must contain; a ``{%p ...%}`` paragraph's tag ends up on the
    previous paragraph's line, so the paragraph found by line may be one too early.
    """
    text = part.line_text(lineno) if lineno else ""
    index = _paragraph_index(part, text)
    if hint and (index is None or hint not in part.paragraphs[index]):
        start = index or 0
        order = [*range(start, len(part.paragraphs)), *range(start)]
        index = next((i for i in order if hint in part.paragraphs[i]), index)
    if index is not None:
        text = _short(part.paragraphs[index])
    return _problem(
        severity,
        code,
        message,
        message_zh,
        _location(part, index, text),
        part=part.label,
        paragraph_index=index,
    )


def _location(part: TemplatePart, index: int | None, text: str) -> str:
    where = part.label if index is None else f"{part.label} ¶{index + 1}"
    return f"{where}: «{text}»" if text else where


def _paragraph_index(part: TemplatePart, line_text: str) -> int | None:
    """The paragraph a source line comes from. docxtpl's clean-up may drop paragraphs (``{%p``) or
    merge the ones an unclosed tag runs into, so match by text: equal, contained, or a prefix."""
    line = _squeeze(line_text.rstrip("…"))
    if not line:
        return None
    paragraphs = [_squeeze(p) for p in part.paragraphs]
    for index, paragraph in enumerate(paragraphs):
        if paragraph == line:
            return index
    for index, paragraph in enumerate(paragraphs):
        if line in paragraph:
            return index
    prefixes = [(len(p), i) for i, p in enumerate(paragraphs) if p and line.startswith(p)]
    return max(prefixes)[1] if prefixes else None


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _typography(part: TemplatePart) -> list[LintProblem]:
    problems = []
    for index, text in enumerate(part.paragraphs):
        location = _location(part, index, _short(text))
        where = {"part": part.label, "paragraph_index": index}
        for match in _FULLWIDTH_TAG.finditer(text):
            problems.append(
                _problem(
                    "error",
                    "fullwidth-brace",
                    f"tag typed with full-width characters {match.group()!r}: it is printed as text,"
                    " not filled in; retype it with half-width { } %",
                    "标签使用了全角符号，不会被识别；请用半角 { } % 重新输入",
                    location,
                    **where,
                )
            )
        for tag in _TAG.findall(text):
            inner = tag[2:-2]
            if _CURLY_QUOTES.search(inner):
                problems.append(
                    _problem(
                        "warning",
                        "curly-quote",
                        f"curly quotes in {tag!r}: they are converted to straight quotes, but type ' or \"",
                        "标签中有中文引号，请改用英文引号",
                        location,
                        **where,
                    )
                )
            code = _STRING_LITERAL.sub("''", _CURLY_QUOTES.sub('"', inner))
            wrong = sorted(set(_FULLWIDTH_IN_TAG.findall(code)))
            if wrong:
                problems.append(
                    _problem(
                        "error",
                        "fullwidth-char",
                        f"full-width {' '.join(wrong)!r} in {tag!r}: tags need half-width punctuation",
                        "标签中有全角标点，请改用半角",
                        location,
                        **where,
                    )
                )
    return problems


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unknown_filters(
    part: TemplatePart, ast: nodes.Template, environment: jinja2.Environment, *, strict: bool
) -> list[LintProblem]:
    problems = []
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        is_filter = isinstance(node, nodes.Filter)
        registry = environment.filters if is_filter else environment.tests
        if node.name in registry:
            continue
        kind, kind_zh = ("filter", "过滤器") if is_filter else ("test", "测试")
        if strict:
            problems.append(
                _at(
                    part,
                    node.lineno,
                    "error",
                    f"unknown-{kind}",
                    f"no {kind} named {node.name!r}",
                    f"没有名为 {node.name} 的{kind_zh}",
                )
            )
        else:
            problems.append(
                _at(
                    part,
                    node.lineno,
                    "warning",
                    f"unknown-{kind}",
                    f"{node.name!r} is not a builtin {kind}; the document kind must register it",
                    f"{node.name} 不是内置{kind_zh}，需由文书类型注册",
                )
            )
    return problems


def is_known(path: str, known_fields: AbstractSet[str]) -> bool:
    """Whether ``path`` is listed, has something listed under it, or sits under a ``.*`` wildcard."""
    if path in known_fields:
        return True
    if any(k.startswith(path + ".") or k.startswith(path + "[]") for k in known_fields):
        return True
    prefixes = [path[: m.start()] for m in _PATH_PREFIX.finditer(path)]
    prefixes += [path[: m.end()] for m in re.finditer(r"\[\]", path)]
    return any(p + ".*" in known_fields for p in prefixes)


def _unknown_fields(
    uses: Iterable[FieldUse], known_fields: AbstractSet[str], parts: Mapping[str, TemplatePart]
) -> list[LintProblem]:
    problems = []
    reported: set[str] = set()
    for use in uses:
        if use.path in reported or is_known(use.path, known_fields):
            continue
        reported.add(use.path)
        close = difflib.get_close_matches(use.path, [k for k in known_fields if not k.endswith("*")], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        hint_zh = f"，是否应为 {close[0]}？" if close else ""
        problems.append(
            _at(
                parts[use.part],
                use.lineno,
                "error",
                "unknown-field",
                f"{use.path!r} is not a field of this document kind{hint}",
                f"{use.path} 不是本文书的字段{hint_zh}",
                hint=_IDENTIFIER.findall(use.path)[-1],
            )
        )
    return problems


def _missing_required(uses: Iterable[FieldUse], required_fields: AbstractSet[str]) -> list[LintProblem]:
    uses = list(uses)

    def covers(field: str, path: str) -> bool:
        return path == field or path.startswith(field + ".") or path.startswith(field + "[]")

    problems = []
    for field in sorted(required_fields):
        if any(use.printed and covers(field, use.path) for use in uses):
            continue
        only_tested = any(covers(field, use.path) for use in uses)
        note = ": it is only used in a condition or loop, never printed" if only_tested else ""
        note_zh = "（仅用于条件或循环，未输出）" if only_tested else ""
        problems.append(
            _problem(
                "error",
                "required-missing",
                f"required field {field!r} is never shown in the document{note}",
                f"必填字段 {field} 未在文书中出现{note_zh}",
                "template",
            )
        )
    return problems


# -- fields of a pydantic model ---------------------------------------------------------------------

_DATE_PARTS = ("year", "month", "day")


def schema_fields(model: type[BaseModel]) -> set[str]:
    """Dotted paths of a model's fields for ``known_fields``: nested models expand, list elements are
    ``name[]``, mappings and ``Any`` become ``name.*`` wildcards; every intermediate path is included."""
    fields: set[str] = set()
    _model_fields(model, "", fields, ())
    return fields


def _model_fields(model: type, prefix: str, out: set[str], seen: tuple[type, ...]) -> None:
    if model in seen:  # recursive model: anything below is acceptable
        out.add(prefix + "*")
        return
    seen = (*seen, model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, info in model.model_fields.items():
            _annotation_fields(info.annotation, prefix + name, out, seen)
        for name, computed in model.model_computed_fields.items():
            _annotation_fields(computed.return_type, prefix + name, out, seen)
    elif dataclasses.is_dataclass(model):
        hints = typing.get_type_hints(model)
        for dc_field in dataclasses.fields(model):
            _annotation_fields(hints.get(dc_field.name, Any), prefix + dc_field.name, out, seen)


def _annotation_fields(annotation: Any, path: str, out: set[str], seen: tuple[type, ...]) -> None:
    out.add(path)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        _annotation_fields(args[0], path, out, seen)
    elif origin is typing.Union or origin is types.UnionType:
        for arg in args:
            if arg is not type(None):
                _annotation_fields(arg, path, out, seen)
    elif origin is Literal:
        return
    elif annotation is Any or annotation is object:
        out.add(path + ".*")
    elif isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)
    ):
        _model_fields(annotation, path + ".", out, seen)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        out.update({path + ".name", path + ".value"})
    elif isinstance(annotation, type) and issubclass(annotation, dt.date):
        out.update(f"{path}.{part}" for part in _DATE_PARTS)
    else:
        container = origin if isinstance(origin, type) else annotation
        if not isinstance(container, type) or issubclass(container, str | bytes):
            return
        if issubclass(container, Mapping):
            out.add(path + ".*")
        elif issubclass(container, Iterable):
            elements = [a for a in args if a is not Ellipsis]
            out.add(path + "[]")
            for element in elements or [Any]:
                _annotation_fields(element, path + "[]", out, seen)
