"""DOCX template engine: docxtpl in the document sandbox, parsed once per template and reused.

docxtpl re-runs its XML clean-up regexes (``patch_xml``) and recompiles the resulting Jinja source on
every ``render()``. :class:`TemplateEngine` does both once when a template is loaded and keeps the
result in a :class:`CompiledTemplate`; each render then only runs the compiled templates on a fresh
copy of the document and writes the zip. The per-render steps are docxtpl's own (table fix-up,
``resolve_listing``, header/footer mapping, save), so the output is the same as docxtpl's.

Two deliberate differences from plain docxtpl: the rendered XML is parsed strictly, so a template
that produces broken XML fails loudly instead of being silently truncated by lxml's recover mode;
and core properties (title, subject...) render without autoescape, which docxtpl would apply twice.

Images (``InlineImage``) and sub-documents are not supported in contexts: they bind to a
``DocxTemplate`` instance, and a compiled template renders on a fresh one each time.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import jinja2
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Template, nodes
from jinja2.sandbox import SecurityError
from lxml import etree

from dossier.durable import write_atomic
from dossier.errors import DossierError
from dossier.render.reproducible import pin_zip_times
from dossier.render.sandbox import DocumentSandbox, make_environment

PartKind = Literal["body", "header", "footer", "footnotes", "property"]
ErrorKind = Literal["file", "syntax", "undefined", "security", "render", "xml", "timeout", "memory", "crash"]

_W_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"
_W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# The core properties docxtpl renders (the others cannot be written back as strings).
_CORE_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
# docxtpl puts each paragraph on its own source line so Jinja errors point at a paragraph.
_PARAGRAPH_START = re.compile(r"<w:p([ >])")
_PARAGRAPH_LINE = re.compile(r"\n<w:p([ >])")
_JINJA_LINES = re.compile(r"\r\n|\r|\n")
_LISTING_CHARS = re.compile("[\t\n\a\f]")
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


class TemplateError(DossierError):
    """A DOCX template cannot be loaded or rendered. Names the template; bilingual message."""

    def __init__(
        self,
        template: str,
        reason: str,
        reason_zh: str,
        paragraph: str | None = None,
        kind: ErrorKind = "render",
    ) -> None:
        self.template = template
        self.reason = reason
        self.reason_zh = reason_zh
        self.paragraph = paragraph
        self.kind = kind
        where = f" in paragraph «{paragraph}»" if paragraph else ""
        where_zh = f"（段落「{paragraph}」）" if paragraph else ""
        super().__init__(f"template {template}: {reason}{where} (模板 {template}：{reason_zh}{where_zh})")

    def __reduce__(self) -> tuple[Any, ...]:
        # isolation sends these back from the worker process
        return (type(self), (self.template, self.reason, self.reason_zh, self.paragraph, self.kind))


@dataclass(frozen=True)
class TemplatePart:
    """One templated part of a DOCX after docxtpl's clean-up, ready for Jinja."""

    kind: PartKind
    #: relationship id (header/footer), part name (footnotes), property name, or "" for the body
    key: str
    #: human-readable place: "body", "header /word/header1.xml", "core property title"
    label: str
    #: Jinja source: patched XML, one paragraph per line
    source: str
    encoding: str
    #: text of each paragraph before clean-up, in document order (tags split over runs joined)
    paragraphs: tuple[str, ...]

    def line_text(self, lineno: int) -> str:
        """Plain text of a source line, i.e. of the paragraph Jinja reports an error in."""
        lines = _JINJA_LINES.split(self.source)
        if not 1 <= lineno <= len(lines):
            return ""
        return _plain(lines[lineno - 1])


@dataclass(frozen=True)
class FieldUse:
    """A data path a template reads: ``borrower.name``, ``schedule[].principal``."""

    path: str
    #: inside ``{{ }}`` (shown in the document), not only in a condition or a loop header
    printed: bool
    part: str
    lineno: int


def _plain(xml: str, limit: int = 120) -> str:
    text = _SPACES.sub(" ", html.unescape(_TAGS.sub("", xml))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _paragraph_texts(element: Any) -> tuple[str, ...]:
    return tuple("".join(t.text or "" for t in p.iter(_W_T)) for p in element.iter(_W_P))


def _open_docx(data: bytes, name: str) -> DocxTemplate:
    tpl = DocxTemplate(io.BytesIO(data))
    try:
        tpl.init_docx()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(
            name, f"not a readable DOCX file ({exc})", "不是可读取的 DOCX 文件", kind="file"
        ) from exc
    return tpl


def read_parts(data: bytes, name: str = "<template>") -> list[TemplatePart]:
    """The templated parts of a DOCX (body, headers, footers, footnotes, core properties), patched."""
    return _read_parts(_open_docx(data, name))


def _read_parts(tpl: DocxTemplate) -> list[TemplatePart]:
    body = tpl.docx._element.body
    parts = [
        TemplatePart("body", "", "body", _to_source(tpl, tpl.get_xml()), "utf-8", _paragraph_texts(body))
    ]
    part_uris: tuple[tuple[PartKind, str], ...] = (("header", tpl.HEADER_URI), ("footer", tpl.FOOTER_URI))
    for kind, uri in part_uris:
        for rel_id, part in tpl.get_headers_footers(uri):
            xml = tpl.get_part_xml(part)
            parts.append(
                TemplatePart(
                    kind,
                    rel_id,
                    f"{kind} {part.partname}",
                    _to_source(tpl, xml),
                    tpl.get_headers_footers_encoding(xml),
                    _paragraph_texts(parse_xml(part.blob)),
                )
            )
    for part in tpl.docx.part.package.parts:
        if part.content_type == _FOOTNOTES_TYPE:
            xml = part.blob.decode("utf-8")
            parts.append(
                TemplatePart(
                    "footnotes",
                    str(part.partname),
                    f"footnotes {part.partname}",
                    _to_source(tpl, xml),
                    "utf-8",
                    _paragraph_texts(etree.fromstring(part.blob)),
                )
            )
    properties = tpl.docx.core_properties
    for prop in _CORE_PROPERTIES:
        value = getattr(properties, prop)
        if "{" in value:
            # docxtpl would autoescape these and then python-docx escapes again: "&amp;amp;".
            source = "{% autoescape false %}" + value + "{% endautoescape %}"
            parts.append(TemplatePart("property", prop, f"core property {prop}", source, "", (value,)))
    return parts


def _to_source(tpl: DocxTemplate, xml: str) -> str:
    return _PARAGRAPH_START.sub(r"\n<w:p\1", tpl.patch_xml(xml))


@dataclass(frozen=True)
class _CompiledPart:
    part: TemplatePart
    template: Template


# The docxtpl members used here and in CompiledTemplate.render are private; tests/render/
# test_docxtpl_contract.py names each one, and pyproject.toml pins docxtpl to the versions it passes on.
class _RenderRun(DocxTemplate):
    """One render of a compiled template, on a fresh python-docx Document."""

    def fix_tables(self, xml: str) -> Any:
        # docxtpl parses in recover mode, which drops whatever follows an XML error.
        try:
            etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            raise _BadXml(str(exc)) from exc
        return super().fix_tables(xml)

    def render_part(self, compiled: _CompiledPart, docx_part: Any, context: Mapping[str, Any]) -> str:
        # The steps of DocxTemplate.render_xml_part after its from_string().
        self.current_rendering_part = docx_part
        xml = compiled.template.render(context)
        xml = _PARAGRAPH_LINE.sub(r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        # resolve_listing only rewrites these characters (a regex callback per paragraph and run):
        # skip it when there is nothing to rewrite.
        return self.resolve_listing(xml) if _LISTING_CHARS.search(xml) else xml


class _BadXml(Exception):
    pass


class CompiledTemplate:
    """A DOCX template parsed and compiled once; render it as often as needed.

    Holds the DOCX bytes, the patched XML of every templated part and the compiled Jinja templates.
    Rendering never mutates it, so a process may fork after loading and render in every child.
    """

    def __init__(self, name: str, data: bytes, parts: Iterable[_CompiledPart], environment: DocumentSandbox):
        self.name = name
        self.data = data
        self._parts = tuple(parts)
        self._environment = environment
        self._uses: tuple[FieldUse, ...] | None = None

    @property
    def parts(self) -> tuple[TemplatePart, ...]:
        return tuple(c.part for c in self._parts)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The finished DOCX for ``context``: the same context gives the same bytes (fixed ZIP times)."""
        run = _RenderRun(io.BytesIO(self.data))
        current: _CompiledPart | None = None
        try:
            run.render_init()
            docx = run.docx
            for current in self._parts:
                part = current.part
                if part.kind == "body":
                    tree = run.fix_tables(run.render_part(current, docx._part, context))
                    run.fix_docpr_ids(tree)
                    run.map_tree(tree)
                elif part.kind in ("header", "footer"):
                    target = docx._part.rels[part.key].target_part
                    xml = run.render_part(current, target, context)
                    _check_xml(xml)
                    run.map_headers_footers_xml(part.key, xml.encode(part.encoding))
                elif part.kind == "footnotes":
                    target = next(p for p in docx.part.package.parts if str(p.partname) == part.key)
                    xml = run.render_part(current, target, context)
                    _check_xml(xml)
                    target._blob = xml.encode("utf-8")
                else:
                    setattr(docx.core_properties, part.key, current.template.render(context))
            current = None
            run.is_rendered = True
            out = io.BytesIO()
            run.save(out)
        except MemoryError:
            raise  # isolation reports it as a memory limit
        except Exception as exc:
            raise _render_error(self.name, exc, current.part if current else None) from exc
        return pin_zip_times(out.getvalue())

    def save(self, context: Mapping[str, Any], path: Path) -> Path:
        """Render and write ``path`` atomically: the file is either complete or untouched."""
        path = Path(path)
        write_atomic(path, self.render(context))
        return path

    def field_uses(self) -> tuple[FieldUse, ...]:
        """Every data path the template reads, with where and whether it is printed."""
        if self._uses is None:
            uses: list[FieldUse] = []
            for compiled in self._parts:
                ast = self._environment.parse(compiled.part.source)
                uses.extend(field_uses(ast, compiled.part.label, frozenset(self._environment.globals)))
            self._uses = tuple(uses)
        return self._uses

    def variables(self) -> set[str]:
        """Dotted paths the template reads; loop variables resolve to ``collection[].field``."""
        return {use.path for use in self.field_uses()}


class TemplateEngine:
    """Loads DOCX templates into the sandbox, caching each by (path, mtime, size)."""

    def __init__(
        self,
        filters: Mapping[str, Callable[..., Any]] | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> None:
        self.environment = make_environment(filters, globals)
        self._cache: dict[Path, tuple[tuple[int, int], CompiledTemplate]] = {}

    def load(self, path: Path) -> CompiledTemplate:
        """The compiled template at ``path``; parsed again only when the file changes."""
        path = Path(path).resolve()
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            data = path.read_bytes()
        except OSError as exc:
            raise TemplateError(
                str(path), f"cannot read the file ({exc.strerror})", "无法读取模板文件", kind="file"
            ) from exc
        compiled = self.compile(data, str(path))
        self._cache[path] = (stamp, compiled)
        return compiled

    def compile(self, data: bytes, name: str = "<template>") -> CompiledTemplate:
        """Compile DOCX bytes without caching (templates held in memory or a database)."""
        compiled: list[_CompiledPart] = []
        for part in read_parts(data, name):
            try:
                compiled.append(_CompiledPart(part, self.environment.from_string(part.source)))
            except jinja2.TemplateSyntaxError as exc:
                raise _render_error(name, exc, part) from exc
        return CompiledTemplate(name, data, compiled, self.environment)


def _check_xml(xml: str) -> None:
    try:
        etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise _BadXml(str(exc)) from exc


def _template_lineno(tb: TracebackType | None) -> int | None:
    """Line of the innermost template frame: Jinja rewrites tracebacks to point into the template."""
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _render_error(name: str, exc: BaseException, part: TemplatePart | None) -> TemplateError:
    lineno = getattr(exc, "lineno", None) or _template_lineno(exc.__traceback__)
    paragraph = part.line_text(lineno) if part is not None and lineno else None
    if part is not None and part.kind != "body" and paragraph is not None:
        paragraph = f"{part.label}: {paragraph}"
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(name, f"syntax error: {message}", "模板语法错误", paragraph, "syntax")
    if isinstance(exc, SecurityError):
        return TemplateError(name, f"not allowed: {message}", "模板执行了不允许的操作", paragraph, "security")
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateError(
            name, f"undefined value: {message}", "模板使用了未定义的数据", paragraph, "undefined"
        )
    if isinstance(exc, _BadXml):
        return TemplateError(
            name, f"the rendered document XML is broken ({message})", "生成的文档 XML 格式错误", None, "xml"
        )
    return TemplateError(
        name, f"rendering failed: {type(exc).__name__}: {message}", "生成文档时出错", paragraph, "render"
    )


# -- data paths a template reads ------------------------------------------------------------------

_NOT_A_PATH = object()
# filters whose result holds the same elements as their input
_SAME_ELEMENTS = frozenset(
    {"sort", "reverse", "list", "unique", "select", "reject", "selectattr", "rejectattr"}
)
# filters returning one element of their input
_ONE_ELEMENT = frozenset({"first", "last", "min", "max"})
# filters returning their input (or a fallback)
_SAME_VALUE = frozenset({"default", "d"})
# filters naming an element field: positional argument or attribute=
_FIELD_BY_ARG = frozenset({"selectattr", "rejectattr", "groupby"})
_FIELD_BY_KWARG = frozenset({"sort", "unique", "map", "sum", "groupby", "min", "max"})


def field_uses(
    ast: nodes.Template, part: str = "body", global_names: frozenset[str] = frozenset()
) -> list[FieldUse]:
    """Data paths read by a parsed template, loop variables resolved to their collection.

    ``{% for row in schedule %}{{ row.principal }}`` reads ``schedule`` and ``schedule[].principal``;
    ``x[0]`` and ``x[i]`` read ``x[]``; ``x['a']`` reads ``x.a``. Names bound by ``set``/``with`` to a
    path resolve to it; macro arguments, ``loop`` and other computed values are not data paths.
    """
    macros = frozenset(m.name for m in ast.find_all(nodes.Macro))
    walker = _FieldWalker(part, global_names | macros)
    walker.statements(ast.body, {})
    return walker.uses


@dataclass
class _FieldWalker:
    part: str
    global_names: frozenset[str]
    uses: list[FieldUse] = field(default_factory=list)

    def statements(self, body: Iterable[nodes.Node], scope: dict[str, str | None]) -> None:
        for node in body:
            self.statement(node, scope)

    def statement(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.Expr):
                    self.expr(child, scope, printed=True)
        elif isinstance(node, nodes.For):
            source = self.expr(node.iter, scope, printed=False)
            inner = {**scope, "loop": None}
            self.bind(node.target, None if source is None else source + "[]", inner)
            if node.test is not None:
                self.expr(node.test, inner, printed=False)
            self.statements(node.body, inner)
            self.statements(node.else_, scope)
        elif isinstance(node, nodes.If):
            self.expr(node.test, scope, printed=False)
            self.statements(node.body, scope)
            self.statements(node.elif_, scope)
            self.statements(node.else_, scope)
        elif isinstance(node, nodes.Assign):
            self.bind(node.target, self.expr(node.node, scope, printed=False), scope)
        elif isinstance(node, nodes.AssignBlock):
            self.statements(node.body, scope)
            self.bind(node.target, None, scope)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=False):
                self.bind(target, self.expr(value, scope, printed=False), inner)
            self.statements(node.body, inner)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            if isinstance(node, nodes.CallBlock):
                # what goes into a macro call is usually shown by the macro
                self.expr(node.call, scope, printed=True)
            for default in node.defaults:
                self.expr(default, scope, printed=False)
            inner = {**scope, "caller": None, "varargs": None, "kwargs": None}
            for arg in node.args:
                self.bind(arg, None, inner)
            self.statements(node.body, inner)
        elif isinstance(node, nodes.Expr):
            self.expr(node, scope, printed=False)
        else:
            for child_node in node.iter_child_nodes():
                self.statement(child_node, scope)

    def bind(self, target: nodes.Node, path: str | None, scope: dict[str, str | None]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = path
        else:  # tuple unpacking: the parts are not paths we can name
            for name in target.find_all(nodes.Name):
                scope[name.name] = None

    def expr(self, node: nodes.Node, scope: Mapping[str, str | None], printed: bool) -> str | None:
        """Record the data path ``node`` reads (or the paths inside it); return its path if any."""
        path = self.path(node, scope, printed)
        if isinstance(path, str):
            self.record(path, printed, node)
            return path
        return None

    def record(self, path: str, printed: bool, node: nodes.Node) -> None:
        self.uses.append(FieldUse(path, printed, self.part, node.lineno))

    def children(self, node: nodes.Node, scope: Mapping[str, str | None], printed: bool) -> None:
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Expr):
                self.expr(child, scope, printed)
            else:  # Keyword, Pair, Operand helpers
                self.children(child, scope, printed)

    def path(self, node: nodes.Node, scope: Mapping[str, str | None], printed: bool) -> Any:
        """``str`` path, ``None`` for a local non-data name, or ``_NOT_A_PATH`` (uses recorded)."""
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            return None if node.name in self.global_names else node.name
        if isinstance(node, nodes.Getattr):
            return _extend(self.path(node.node, scope, printed), "." + node.attr)
        if isinstance(node, nodes.Getitem):
            base = self.path(node.node, scope, printed)
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return _extend(base, "." + arg.value)
            if isinstance(arg, nodes.Slice):
                self.children(arg, scope, printed=False)
                return base
            if not isinstance(arg, nodes.Const):
                self.expr(arg, scope, printed=False)
            return _extend(base, "[]")
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self.filter(node, scope, printed)
        self.children(node, scope, printed)
        return _NOT_A_PATH

    def filter(self, node: nodes.Filter, scope: Mapping[str, str | None], printed: bool) -> Any:
        known = node.name in _SAME_ELEMENTS | _ONE_ELEMENT | _SAME_VALUE | _FIELD_BY_ARG | _FIELD_BY_KWARG
        if not known or node.node is None:  # None: a {% filter %} block's filter, which has no operand
            self.children(node, scope, printed)
            return _NOT_A_PATH
        base = self.path(node.node, scope, printed)
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            self.expr(arg, scope, printed=node.name in _SAME_VALUE and printed)
        fields = []
        if node.name in _FIELD_BY_ARG and node.args and isinstance(node.args[0], nodes.Const):
            fields.append(node.args[0].value)
        if node.name in _FIELD_BY_KWARG:
            fields += [
                k.value.value
                for k in node.kwargs
                if k.key == "attribute" and isinstance(k.value, nodes.Const)
            ]
        for name in fields:
            field_path = _extend(base, "[]." + str(name))
            if isinstance(field_path, str):
                self.record(field_path, printed and node.name in ("map", "sum"), node)
        if node.name in _SAME_ELEMENTS or node.name in _SAME_VALUE:
            return base
        if node.name in _ONE_ELEMENT:
            return _extend(base, "[]")
        if isinstance(base, str):
            self.record(base, printed, node)
        return _NOT_A_PATH


def _extend(base: Any, suffix: str) -> Any:
    return base + suffix if isinstance(base, str) else base
