"""lint_template and schema_fields: the checks behind `dossier templates check`."""

from __future__ import annotations

import datetime as dt
import enum
import io
from decimal import Decimal
from pathlib import Path

from docx import Document
from pydantic import BaseModel

from dossier.render.engine import TemplateEngine
from dossier.render.lint import LintProblem, is_known, lint_template, schema_fields


class Person(BaseModel):
    name: str
    id_number: str | None = None


class Row(BaseModel):
    n: int
    principal: Decimal


class Method(enum.StrEnum):
    EQUAL = "等额本息"


class Report(BaseModel):
    borrower: Person
    guarantors: list[Person] = []
    schedule: list[Row]
    extra: dict[str, str] = {}
    signed_on: dt.date
    tags: list[str] = []
    method: Method


KNOWN = schema_fields(Report)


def make_docx(path: Path, *paragraphs: str | list[str]) -> Path:
    """Paragraphs as text, or as a list of run texts (Word splits tags over runs like this)."""
    doc = Document()
    for paragraph in paragraphs:
        if isinstance(paragraph, str):
            doc.add_paragraph(paragraph)
        else:
            p = doc.add_paragraph()
            for i, run in enumerate(paragraph):
                p.add_run(run).bold = i % 2 == 1
    doc.save(path)
    return path


def codes(problems: list[LintProblem]) -> list[str]:
    return [p.code for p in problems]


def test_schema_fields_lists_dotted_paths() -> None:
    assert KNOWN == {
        "borrower",
        "borrower.name",
        "borrower.id_number",
        "guarantors",
        "guarantors[]",
        "guarantors[].name",
        "guarantors[].id_number",
        "schedule",
        "schedule[]",
        "schedule[].n",
        "schedule[].principal",
        "extra",
        "extra.*",
        "signed_on",
        "signed_on.year",
        "signed_on.month",
        "signed_on.day",
        "tags",
        "tags[]",
        "method",
        "method.name",
        "method.value",
    }


def test_known_relation() -> None:
    assert is_known("borrower.name", KNOWN)
    assert is_known("borrower", {"borrower.name"})  # the object as a whole
    assert is_known("schedule", {"schedule[].principal"})
    assert is_known("extra.anything.deeper", KNOWN)
    assert not is_known("borrower.nmae", KNOWN)
    assert not is_known("borrower.name.first", KNOWN)
    assert not is_known("loan", KNOWN)


def test_clean_template_has_no_problems(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx",
        "借款人：{{ borrower.name }}（{{ borrower.id_number|default('无') }}）",
        "{% for row in schedule %}{{ row.n }}: {{ row.principal }}{% endfor %}",
        "{% for g in guarantors %}{{ g.name }}{% endfor %} {{ extra.note }} {{ signed_on.year }}",
        "{{ method }} {{ x|default('（无）') }}",
    )
    problems = lint_template(path, known_fields=KNOWN | {"x"}, required_fields={"borrower.name", "schedule"})
    assert problems == []


def test_syntax_error_names_the_paragraph(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "第一段", "第二段", "金额 {{ loan.amount }", "尾段")
    [problem] = lint_template(path)
    assert problem.code == "syntax" and problem.severity == "error"
    assert problem.paragraph_index == 2
    assert "金额 {{ loan.amount }" in problem.location
    assert "模板语法错误" in problem.message


def test_fullwidth_braces_are_reported(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx",
        "借款人：｛｛ borrower.name ｝｝",
        "{％ if borrower ％}有{% endif %}",
        ["担保：", "｛", "{ borrower.name }", "｝", "}"],
    )
    problems = lint_template(path, known_fields=KNOWN)
    fullwidth = [p for p in problems if p.code == "fullwidth-brace"]
    assert [p.paragraph_index for p in fullwidth] == [0, 0, 1, 1, 2, 2]
    assert all(p.severity == "error" and "全角" in p.message for p in fullwidth)
    # Jinja only sees the half-width {% endif %} and cannot pair it; the line above explains why.
    assert [(p.code, p.paragraph_index) for p in problems if p not in fullwidth] == [("syntax", 1)]


def test_fullwidth_punctuation_inside_tags(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx",
        "{{ borrower.name｜upper }}",
        "{{ borrower.id_number|default（'无'） }}",
        "{{ borrower.name|default('（空）') }}",
    )
    problems = lint_template(path, known_fields=KNOWN)
    assert [(p.code, p.paragraph_index) for p in problems if p.code == "fullwidth-char"] == [
        ("fullwidth-char", 0),
        ("fullwidth-char", 1),
    ]


def test_curly_quotes_warn_but_render(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "{{ borrower.id_number|default(“无”) }}")
    [problem] = lint_template(path, known_fields=KNOWN)
    assert (problem.code, problem.severity) == ("curly-quote", "warning")
    out = TemplateEngine().load(path).render({"borrower": {}})
    assert [p.text for p in Document(io.BytesIO(out)).paragraphs] == ["无"]


def test_unknown_field_in_split_runs_suggests_the_right_one(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "第一段", ["借款人：{{ borr", "ower.nmae }}", "。"])
    [problem] = lint_template(path, known_fields=KNOWN)
    assert problem.code == "unknown-field"
    assert problem.paragraph_index == 1
    assert "'borrower.nmae'" in problem.message and "'borrower.name'" in problem.message
    assert "借款人：{{ borrower.nmae }}。" in problem.location


def test_problem_in_a_paragraph_tag_points_at_that_paragraph(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "第一段", "{%p if borrower.nmae %}", "有名称", "{%p endif %}")
    [problem] = lint_template(path, known_fields=KNOWN)
    assert (problem.code, problem.paragraph_index) == ("unknown-field", 1)
    assert "{%p if borrower.nmae %}" in problem.location


def test_loop_variables_resolve_to_the_collection(tmp_path: Path) -> None:
    doc = Document()
    table = doc.add_table(rows=3, cols=2)
    table.rows[0].cells[0].text = "{%tr for row in schedule %}"
    table.rows[1].cells[0].text = "{{ row.principal }}"
    table.rows[1].cells[1].text = "{{ row.princpal }}"
    table.rows[2].cells[0].text = "{%tr endfor %}"
    doc.save(tmp_path / "t.docx")
    problems = lint_template(tmp_path / "t.docx", known_fields=KNOWN)
    assert [(p.code, p.message.split("'")[1]) for p in problems] == [("unknown-field", "schedule[].princpal")]
    assert "{{ row.princpal }}" in problems[0].location


def test_required_fields_never_shown(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx",
        "{% if borrower.id_number %}有证件{% endif %}",
        "{% for g in guarantors %}{{ g.name }}{% endfor %}",
    )
    problems = lint_template(
        path, known_fields=KNOWN, required_fields={"borrower.name", "borrower.id_number", "guarantors"}
    )
    assert [(p.code, p.message.split("'")[1]) for p in problems] == [
        ("required-missing", "borrower.id_number"),
        ("required-missing", "borrower.name"),
    ]
    assert "only used in a condition" in problems[0].message
    assert "必填字段" in problems[1].message


def test_unknown_filters(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "{{ borrower.name|money }} {{ borrower.name|mony }}")
    engine = TemplateEngine(filters={"money": str})
    assert [(p.code, p.severity) for p in lint_template(path, engine=engine)] == [("unknown-filter", "error")]
    assert [(p.code, p.severity) for p in lint_template(path)] == [
        ("unknown-filter", "warning"),
        ("unknown-filter", "warning"),
    ]


def test_headers_are_checked(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("正文")
    doc.sections[0].header.paragraphs[0].text = "{{ loan.no }}"
    doc.save(tmp_path / "t.docx")
    [problem] = lint_template(tmp_path / "t.docx", known_fields=KNOWN)
    assert problem.code == "unknown-field"
    assert problem.part is not None and problem.part.startswith("header")


def test_unreadable_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.docx"
    junk.write_text("not a docx")
    assert codes(lint_template(junk)) == ["not-docx"]
    assert codes(lint_template(tmp_path / "missing.docx")) == ["unreadable"]
