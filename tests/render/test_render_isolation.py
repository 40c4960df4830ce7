"""render_isolated: untrusted templates render in a worker with time and memory limits."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from dossier.render.engine import TemplateError
from dossier.render.isolation import NO_FILTERS, render_isolated

# The worker imports this module by name: spawn gives it the parent's sys.path.
FACTORY = f"{__name__}:shout_filters"


def shout_filters() -> dict[str, Callable[..., Any]]:
    return {"shout": lambda value: f"{value}！"}


def make_docx(path: Path, *paragraphs: str) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(path)
    return path


def test_renders_with_filters_rebuilt_in_the_worker(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "借款人 {{ name|shout }}")
    out = render_isolated(path, {"name": "华信&合创<集团>"}, FACTORY, timeout_s=20, memory_mb=256)
    assert [p.text for p in Document(io.BytesIO(out)).paragraphs] == ["借款人 华信&合创<集团>！"]


def test_memory_bomb_is_stopped(tmp_path: Path) -> None:
    # Each string stays under the sandbox's repetition cap; together they need about 1 GB.
    path = make_docx(tmp_path / "t.docx", "{% for i in range(10000) %}{{ 'x' * 100000 }}{% endfor %}")
    with pytest.raises(TemplateError) as info:
        render_isolated(path, {}, NO_FILTERS, timeout_s=20, memory_mb=64)
    assert info.value.kind == "memory"
    assert "64 MB" in str(info.value) and "内存" in str(info.value)


def test_huge_string_is_refused(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "{{ 'x' * 3 * 10**9 }}")
    with pytest.raises(TemplateError) as info:
        render_isolated(path, {}, NO_FILTERS, timeout_s=20, memory_mb=64)
    assert info.value.kind == "security"  # the sandbox refuses it before allocating


def test_endless_loop_is_stopped(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx", "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    )
    with pytest.raises(TemplateError) as info:
        render_isolated(path, {}, NO_FILTERS, timeout_s=1, memory_mb=256)
    assert info.value.kind == "timeout"
    assert "1 s" in str(info.value) and "超过 1 秒" in str(info.value)


def test_template_errors_come_back_unchanged(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "借款人 {{ borrower.name }}")
    with pytest.raises(TemplateError) as info:
        render_isolated(path, {}, NO_FILTERS, timeout_s=20, memory_mb=256)
    assert info.value.kind == "undefined"
    assert info.value.template == str(path)
    assert info.value.paragraph == "借款人 {{ borrower.name }}"


def test_bad_filters_factory(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", "x")
    with pytest.raises(TemplateError) as info:
        render_isolated(path, {}, "dossier.render.isolation:nothing_here", timeout_s=20)
    assert info.value.kind == "crash" and "nothing_here" in str(info.value)
