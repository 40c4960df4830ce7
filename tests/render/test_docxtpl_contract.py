"""What render/engine.py takes from docxtpl's (and python-docx's) insides, checked on the installed version.

The engine does not call ``DocxTemplate.render``: it runs the same steps itself on a template parsed once
(render/engine.py, module docstring). So it depends on members docxtpl never promised to keep. Each check
below names the member and the engine function that needs it; when a new docxtpl fails one, that is
the function to rewrite before widening the pin in pyproject.toml.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docxtpl
import pytest
from docx.opc.part import Part
from docxtpl import DocxTemplate

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "reminder.docx"


@dataclass(frozen=True)
class Method:
    """``DocxTemplate.<name>`` is a method taking exactly ``params`` (after ``self``)."""

    name: str
    params: tuple[str, ...]
    needed_by: str


METHODS = (
    Method("__init__", ("template_file",), "_open_docx, CompiledTemplate.render"),
    Method("init_docx", ("reload",), "_open_docx"),
    Method("render_init", (), "CompiledTemplate.render"),
    Method("get_xml", (), "_read_parts"),
    Method("patch_xml", ("src_xml",), "_to_source"),
    Method("get_headers_footers", ("uri",), "_read_parts"),
    Method("get_part_xml", ("part",), "_read_parts"),
    Method("get_headers_footers_encoding", ("xml",), "_read_parts"),
    Method("fix_tables", ("xml",), "_RenderRun.fix_tables (overrides it), CompiledTemplate.render"),
    Method("fix_docpr_ids", ("tree",), "CompiledTemplate.render"),
    Method("map_tree", ("tree",), "CompiledTemplate.render"),
    Method("map_headers_footers_xml", ("relKey", "xml"), "CompiledTemplate.render"),
    Method("resolve_listing", ("xml",), "_RenderRun.render_part"),
    Method("save", ("filename", "args", "kwargs"), "CompiledTemplate.render"),
)


def _where(needed_by: str) -> str:
    return f"(docxtpl {docxtpl.__version__}; needed by render/engine.py {needed_by})"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_each_docxtpl_method_the_engine_calls_exists_with_its_parameters(method: Method) -> None:
    member = getattr(DocxTemplate, method.name, None)
    assert callable(member), f"DocxTemplate.{method.name} is gone {_where(method.needed_by)}"
    params = tuple(inspect.signature(member).parameters)[1:]
    assert params == method.params, (
        f"DocxTemplate.{method.name}{params} changed shape, expected {method.params} "
        f"{_where(method.needed_by)}"
    )


@pytest.mark.parametrize(
    ("name", "needed_by"),
    [("HEADER_URI", "_read_parts"), ("FOOTER_URI", "_read_parts")],
)
def test_the_relationship_uris_are_still_class_attributes(name: str, needed_by: str) -> None:
    value = getattr(DocxTemplate, name, None)
    assert isinstance(value, str) and value.startswith("http://schemas.openxmlformats.org/"), (
        f"DocxTemplate.{name} is {value!r} {_where(needed_by)}"
    )


@dataclass(frozen=True)
class Attribute:
    """After ``render_init()`` on a real template, ``path`` (dotted from the DocxTemplate) exists."""

    path: str
    check: Callable[[object], bool]
    needed_by: str


ATTRIBUTES = (
    Attribute("is_rendered", lambda v: v is False, "CompiledTemplate.render (sets it before save)"),
    Attribute("current_rendering_part", lambda v: v is None, "_RenderRun.render_part (sets it)"),
    Attribute("docx_ids_index", lambda v: isinstance(v, int), "CompiledTemplate.render (fix_docpr_ids)"),
    Attribute("docx", lambda v: v is not None, "_read_parts, CompiledTemplate.render"),
    # python-docx privates the engine reaches through DocxTemplate.docx
    Attribute("docx._part.rels", lambda v: hasattr(v, "items"), "CompiledTemplate.render (headers, footers)"),
    Attribute("docx._element.body", lambda v: v is not None, "_read_parts"),
    Attribute("docx.part.package.parts", lambda v: v is not None, "_read_parts, CompiledTemplate.render"),
    Attribute("docx.core_properties", lambda v: hasattr(v, "title"), "_read_parts, CompiledTemplate.render"),
)


@pytest.mark.parametrize("attribute", ATTRIBUTES, ids=lambda a: a.path)
def test_each_attribute_the_engine_reads_or_sets_is_there_after_render_init(attribute: Attribute) -> None:
    tpl = DocxTemplate(io.BytesIO(TEMPLATE.read_bytes()))
    tpl.render_init()
    value: object = tpl
    for step in attribute.path.split("."):
        assert hasattr(value, step), (
            f"DocxTemplate.{attribute.path}: no {step!r} {_where(attribute.needed_by)}"
        )
        value = getattr(value, step)
    assert attribute.check(value), (
        f"DocxTemplate.{attribute.path} is {value!r}, not what the engine expects "
        f"{_where(attribute.needed_by)}"
    )


def test_a_python_docx_part_still_keeps_its_bytes_in_blob() -> None:
    part = Part("/word/footnotes.xml", "application/xml", b"<w:footnotes/>")  # type: ignore[arg-type]
    assert getattr(part, "_blob", None) == b"<w:footnotes/>", (
        f"python-docx Part._blob is gone {_where('CompiledTemplate.render (writes rendered footnotes)')}"
    )


def _self_calls(function: Callable[..., object]) -> list[str]:
    """The ``self.<name>(…)`` calls in a function's body, in source order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    ]
    return [c.func.attr for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]  # type: ignore[union-attr]


def test_docxtpl_render_still_runs_the_steps_the_engine_copies() -> None:
    # A step added to DocxTemplate.render would be missing from CompiledTemplate.render's copy of it.
    assert _self_calls(DocxTemplate.render) == [
        "render_init",
        "build_xml",
        "fix_tables",
        "fix_docpr_ids",
        "map_tree",
        "build_headers_footers_xml",
        "map_headers_footers_xml",
        "build_headers_footers_xml",
        "map_headers_footers_xml",
        "render_properties",
        "render_footnotes",
    ], f"DocxTemplate.render changed its steps {_where('CompiledTemplate.render')}"


def test_docxtpl_render_xml_part_still_ends_with_the_steps_the_engine_copies() -> None:
    # _RenderRun.render_part repeats what render_xml_part does after rendering the Jinja source.
    source = inspect.getsource(DocxTemplate.render_xml_part)
    assert _self_calls(DocxTemplate.render_xml_part) == ["resolve_listing"], (
        f"DocxTemplate.render_xml_part calls other methods now {_where('_RenderRun.render_part')}"
    )
    for marker in ("current_rendering_part", '"{_{"', '"}_}"', '"{_%"', '"%_}"'):
        assert marker in source, (
            f"DocxTemplate.render_xml_part no longer uses {marker} {_where('_RenderRun.render_part')}"
        )
