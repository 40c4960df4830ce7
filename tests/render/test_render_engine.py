"""TemplateEngine / CompiledTemplate: same output as docxtpl, user text kept exact, cached, atomic."""

from __future__ import annotations

import io
import multiprocessing
import os
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docxtpl import DocxTemplate, Listing, RichText

from dossier.render.engine import TemplateEngine, TemplateError, field_uses
from dossier.render.sandbox import make_environment

COMPANY = "华信&合创<集团>"


def make_docx(path: Path, *paragraphs: str, title: str | None = None, header: str | None = None) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if header is not None:
        doc.sections[0].header.paragraphs[0].text = header
    if title is not None:
        doc.core_properties.title = title
    doc.save(path)
    return path


def read(data: bytes) -> Any:
    return Document(io.BytesIO(data))


def texts(data: bytes) -> list[str]:
    return [p.text for p in read(data).paragraphs]


def build_report(path: Path) -> Path:
    """A small credit report: runs, a looping table row, a conditional paragraph, header and footer."""
    doc = Document()
    section = doc.sections[0]
    section.header.paragraphs[0].text = "报告编号 {{ report_no }} {{ borrower.name }}"
    section.footer.paragraphs[0].text = "{{ bank }}"
    doc.add_heading("{{ borrower.name }} 贷前调查报告", 0)
    p = doc.add_paragraph("借款人：")
    p.add_run("{{ borrower.name }}").bold = True
    p.add_run("，申请金额 {{ loan.amount }} 元，期限 {{ loan.term }} 个月。")
    table = doc.add_table(rows=4, cols=3)
    for cell, text in zip(table.rows[0].cells, ("期次", "本金", "利息"), strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for row in schedule %}"
    for cell, text in zip(
        table.rows[2].cells, ("{{ row.n }}", "{{ row.principal }}", "{{ row.interest }}"), strict=True
    ):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"
    doc.add_paragraph("{%p if loan.secured %}")
    doc.add_paragraph("担保方式：{{ loan.guarantee }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{% for g in guarantors %}{{ g.name }}{% if not loop.last %}、{% endif %}{% endfor %}")
    doc.save(path)
    return path


def report_context() -> dict[str, Any]:
    return {
        "report_no": "DQ-2024-001",
        "bank": "某某农村商业银行",
        "borrower": {"name": "华信合创集团"},
        "loan": {"amount": Decimal("1000000.00"), "term": 36, "secured": True, "guarantee": "抵押"},
        "schedule": [
            {"n": n, "principal": Decimal("27777.78"), "interest": Decimal("3500.00")} for n in (1, 2, 3)
        ],
        "guarantors": [{"name": "张三"}, {"name": "李四"}],
    }


def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_output_matches_docxtpl(tmp_path: Path) -> None:
    path = build_report(tmp_path / "report.docx")
    context = report_context()
    rendered = TemplateEngine().load(path).render(context)
    ours = zip_parts(rendered)

    reference = DocxTemplate(path)
    reference.render(context, jinja_env=make_environment())
    same_env = io.BytesIO()
    reference.save(same_env)
    plain = DocxTemplate(path)
    plain.render(context, autoescape=True)
    plain_out = io.BytesIO()
    plain.save(plain_out)

    for other in (zip_parts(same_env.getvalue()), zip_parts(plain_out.getvalue())):
        assert ours.keys() == other.keys()
        # docxtpl writes empty core properties back as <dc:title></dc:title>; we leave them alone.
        for name in ours.keys() - {"docProps/core.xml"}:
            assert ours[name] == other[name], name
    assert "word/header1.xml" in ours
    doc = read(rendered)
    assert [row.cells[1].text for row in doc.tables[0].rows] == ["本金", "27777.78", "27777.78", "27777.78"]
    assert "担保方式：抵押" in [p.text for p in doc.paragraphs]
    assert "张三、李四" in [p.text for p in doc.paragraphs]


def test_user_text_with_xml_characters_keeps_every_paragraph(tmp_path: Path) -> None:
    paragraphs = [f"第{i}段 {{{{ company }}}} 结束" for i in range(25)]
    path = make_docx(tmp_path / "t.docx", *paragraphs, title="{{ company }} 调查报告", header="{{ company }}")
    out = TemplateEngine().load(path).render({"company": COMPANY})
    doc = read(out)
    assert [p.text for p in doc.paragraphs] == [f"第{i}段 {COMPANY} 结束" for i in range(25)]
    assert doc.sections[0].header.paragraphs[0].text == COMPANY
    assert doc.core_properties.title == f"{COMPANY} 调查报告"


def test_newlines_become_line_breaks_and_controls_are_dropped(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "用途：{{ purpose }}", "{{ noisy }}", "{{ tabbed }}", "尾段")
    out = (
        TemplateEngine()
        .load(path)
        .render(
            {
                "purpose": "第一行\n第二行\r\n第三行\r第四行\x0b第五行",
                "noisy": "甲\x07乙\x0c丙\x00丁\x1b戊",
                "tabbed": "甲\t乙",
            }
        )
    )
    assert texts(out) == ["用途：第一行\n第二行\n第三行\n第四行\n第五行", "甲乙丙丁戊", "甲\t乙", "尾段"]
    assert b"<w:br/>" in zip_parts(out)["word/document.xml"]


def test_none_prints_as_nothing(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "配偶：{{ spouse }}。")
    assert texts(TemplateEngine().load(path).render({"spouse": None})) == ["配偶：。"]


def test_richtext_and_listing_still_work_with_autoescape(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "结论：{{r verdict }}", "{{ lines }}")
    out = (
        TemplateEngine()
        .load(path)
        .render({"verdict": RichText(f"同意 {COMPANY}", bold=True), "lines": Listing("行一\n行二 <&>")})
    )
    doc = read(out)
    assert doc.paragraphs[0].text == f"结论：同意 {COMPANY}"
    assert [r.bold for r in doc.paragraphs[0].runs if r.text.startswith("同意")] == [True]
    assert doc.paragraphs[1].text == "行一\n行二 <&>"


def test_tag_split_across_runs_renders(tmp_path: Path) -> None:
    doc = Document()
    p = doc.add_paragraph("金额：")
    for piece in ("{", "{ loan.", "amount }", "}", " 元"):
        p.add_run(piece).italic = piece == "{ loan."
    doc.save(tmp_path / "t.docx")
    out = TemplateEngine().load(tmp_path / "t.docx").render({"loan": {"amount": Decimal("500.00")}})
    assert texts(out) == ["金额：500.00 元"]


def test_load_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "旧 {{ x }}")
    engine = TemplateEngine()
    first = engine.load(path)
    assert engine.load(path) is first
    assert engine.load(tmp_path / "." / "t.docx") is first

    stat = path.stat()
    make_docx(path, "新版本 {{ x }}")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = engine.load(path)
    assert second is not first
    assert texts(second.render({"x": 1})) == ["新版本 1"]


def test_repeated_renders_are_independent(tmp_path: Path) -> None:
    compiled = TemplateEngine().load(build_report(tmp_path / "r.docx"))
    first = compiled.render(report_context())
    other = report_context()
    other["borrower"] = {"name": "另一家公司"}
    other["schedule"] = []
    second = compiled.render(other)
    third = compiled.render(report_context())
    assert zip_parts(first)["word/document.xml"] == zip_parts(third)["word/document.xml"]
    assert "另一家公司 贷前调查报告" in texts(second)
    assert len(read(second).tables[0].rows) == 1


def test_variables_lists_paths_with_loops_resolved(tmp_path: Path) -> None:
    compiled = TemplateEngine().load(build_report(tmp_path / "r.docx"))
    assert compiled.variables() == {
        "report_no",
        "bank",
        "borrower.name",
        "loan.amount",
        "loan.term",
        "loan.secured",
        "loan.guarantee",
        "schedule",
        "schedule[].n",
        "schedule[].principal",
        "schedule[].interest",
        "guarantors",
        "guarantors[].name",
    }


def test_field_uses_follow_set_with_filters_and_macros() -> None:
    env = make_environment()
    source = (
        "{{ borrower.name }}"
        "{% for row in schedule|sort(attribute='n') %}{{ row.principal }}{{ loop.index }}{% endfor %}"
        "{% set b = borrower %}{{ b.id_number }}"
        "{% with g = guarantors[0] %}{{ g.name }}{% endwith %}"
        "{{ data['key'] }}{{ items[i] }}"
        "{% macro m(x) %}{{ x.foo }}{% endmacro %}{{ m(loan) }}"
        "{{ amount|money }}{% if flag %}{% endif %}{{ rows|first|attr_free }}"
        "{% for k, v in pairs|dictsort %}{{ k }}{{ v }}{% endfor %}{{ range(3)|list }}"
    )
    uses = field_uses(env.parse(source), "body", frozenset(env.globals))
    assert {u.path for u in uses} == {
        "borrower",
        "borrower.name",
        "borrower.id_number",
        "schedule",
        "schedule[].n",
        "schedule[].principal",
        "guarantors[]",
        "guarantors[].name",
        "data.key",
        "items[]",
        "i",
        "loan",
        "amount",
        "flag",
        "rows[]",
        "pairs",
    }
    printed = {u.path for u in uses if u.printed}
    assert "flag" not in printed and "schedule" not in printed
    assert {"amount", "schedule[].principal", "borrower.name"} <= printed


def test_save_writes_atomically(tmp_path: Path) -> None:
    compiled = TemplateEngine().load(make_docx(tmp_path / "t.docx", "你好 {{ name }}"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "result.docx"
    assert compiled.save({"name": COMPANY}, target) == target
    assert [p.text for p in Document(target).paragraphs] == [f"你好 {COMPANY}"]

    target.chmod(0o640)
    compiled.save({"name": "再次"}, target)
    assert target.stat().st_mode & 0o777 == 0o640  # replacing keeps the mode, not mkstemp's 0600

    target.write_bytes(b"old")
    with pytest.raises(TemplateError):
        compiled.save({}, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in out_dir.iterdir()) == ["result.docx"]


def test_compiled_template_renders_in_forked_processes(tmp_path: Path) -> None:
    compiled = TemplateEngine().load(make_docx(tmp_path / "t.docx", "借款人 {{ name }}"))
    mp = multiprocessing.get_context("fork")
    workers = [
        mp.Process(target=compiled.save, args=({"name": f"客户{i}"}, tmp_path / f"out{i}.docx"))
        for i in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert [Document(tmp_path / f"out{i}.docx").paragraphs[0].text for i in range(3)] == [
        "借款人 客户0",
        "借款人 客户1",
        "借款人 客户2",
    ]


def test_broken_output_xml_fails_instead_of_truncating(tmp_path: Path) -> None:
    # An {% if %} that starts in a paragraph and ends inside a table cell cuts the XML in half when
    # false; docxtpl's recover-mode parse would silently drop the rest of the document.
    doc = Document()
    doc.add_paragraph("{% if flag %}前文")
    doc.add_table(rows=1, cols=1).rows[0].cells[0].text = "后文{% endif %}"
    for i in range(10):
        doc.add_paragraph(f"第{i}段")
    doc.save(tmp_path / "t.docx")
    compiled = TemplateEngine().load(tmp_path / "t.docx")
    assert len(texts(compiled.render({"flag": True}))) == 11
    with pytest.raises(TemplateError) as info:
        compiled.render({"flag": False})
    assert info.value.kind == "xml"
    assert "XML" in str(info.value) and "模板" in str(info.value)


def test_errors_name_the_template_and_paragraph(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "第一段", "金额 {{ loan.amount }", "尾段")
    with pytest.raises(TemplateError) as info:
        TemplateEngine().load(path)
    assert info.value.kind == "syntax"
    assert str(path) in str(info.value)
    assert "金额 {{ loan.amount }" in (info.value.paragraph or "")
    assert "模板语法错误" in str(info.value)

    path = make_docx(tmp_path / "u.docx", "第一段", "借款人 {{ borrower }}", "尾段")
    with pytest.raises(TemplateError) as info:
        TemplateEngine().load(path).render({})
    assert info.value.kind == "undefined"
    assert "'borrower' is undefined" in str(info.value)
    assert info.value.paragraph == "借款人 {{ borrower }}"


def test_unreadable_templates_raise_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        TemplateEngine().load(tmp_path / "missing.docx")
    assert info.value.kind == "file"
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(TemplateError) as info:
        TemplateEngine().load(junk)
    assert info.value.kind == "file" and "DOCX" in str(info.value)


def test_registered_filters_and_globals_are_available(tmp_path: Path) -> None:
    engine = TemplateEngine(filters={"wan": lambda v: f"{v / 10000}万元"}, globals={"bank": "某农商行"})
    path = make_docx(tmp_path / "t.docx", "{{ bank }}：{{ amount|wan }}")
    assert texts(engine.load(path).render({"amount": Decimal("150000")})) == ["某农商行：15万元"]
