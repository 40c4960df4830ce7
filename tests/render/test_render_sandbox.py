"""The document sandbox: templates read data and call registered filters, nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
from collections import namedtuple
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docxtpl import DocxTemplate, InlineImage, Listing, RichText
from pydantic import BaseModel, computed_field

from dossier.render.engine import TemplateEngine, TemplateError
from dossier.render.sandbox import MAX_RANGE, SAFE_BUILTIN_FILTERS, make_environment


class Borrower(BaseModel):
    name: str
    id_number: str


class Loan(BaseModel):
    amount: Decimal
    borrower: Borrower

    @computed_field
    @property
    def amount_wan(self) -> Decimal:
        return self.amount / 10000


class Method(enum.Enum):
    EQUAL = "等额本息"


@dataclasses.dataclass
class Collateral:
    name: str


Point = namedtuple("Point", "x y")


def make_docx(path: Path, *paragraphs: str) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(path)
    return path


def render(tmp_path: Path, text: str, context: dict[str, Any], engine: TemplateEngine | None = None) -> str:
    path = make_docx(tmp_path / "t.docx", text)
    out = (engine or TemplateEngine()).load(path).render(context)
    return Document(io.BytesIO(out)).paragraphs[0].text


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> DocxTemplate:
    """A live DocxTemplate reachable through InlineImage.tpl: its save() would write any file."""
    return DocxTemplate(make_docx(tmp_path_factory.mktemp("victim") / "victim.docx", "victim"))


def hostile_context(tmp_path: Path, victim: DocxTemplate) -> dict[str, Any]:
    target = tmp_path / "pwned.docx"
    return {
        "target": str(target),
        "img": InlineImage(victim, image_descriptor="seal.png"),
        "rt": RichText("x"),
        "listing": Listing("x"),
        "loan": Loan(amount=Decimal("100.00"), borrower=Borrower(name="张三", id_number="1")),
        "data": {"a": 1},
        "name": "张三",
        "day": dt.date(2024, 1, 2),
        "fn": lambda: target.write_text("pwned"),
    }


ATTACKS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner() }}",
    "{{ namespace(a=1) }}",
    "{{ lipsum() }}",
    "{{ dict(a=1) }}",
    "{{ img.tpl }}",
    "{{ img.tpl.save(target) }}",
    "{{ img['tpl'].save(target) }}",
    "{{ img.tpl.docx.save(target) }}",
    "{{ img|attr('tpl') }}",
    "{{ img.image_descriptor }}",
    "{{ rt.xml }}",
    "{{ rt.add('y') }}",
    "{{ listing.xml }}",
    "{{ loan.model_dump() }}",
    "{{ loan.model_config }}",
    "{{ loan.__dict__ }}",
    "{{ loan.borrower.__class__ }}",
    "{{ data.items() }}",
    "{{ data.update(a=2) }}",
    "{{ data.__class__ }}",
    "{{ name.upper() }}",
    "{{ name.format(name) }}",
    "{{ '{0.__class__}'.format(name) }}",
    "{{ day.today() }}",
    "{{ day.replace(year=1) }}",
    "{{ fn() }}",
    "{{ self.__class__ }}",
    "{{ name|safe }}",
    "{{ range(10**9)|length }}",
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ 'x' * 3 * 10**9 }}",
    "{{ [1] * 10**9 }}",
    "{{ 2 ** 100000000 }}",
]


@pytest.mark.parametrize("template", ATTACKS)
def test_attacks_fail_without_rendering_or_writing(
    tmp_path: Path, victim: DocxTemplate, template: str
) -> None:
    context = hostile_context(tmp_path, victim)
    path = make_docx(tmp_path / "attack.docx", "before", template, "after")
    with pytest.raises(TemplateError) as info:
        TemplateEngine().load(path).render(context)
    assert info.value.kind in ("security", "undefined", "syntax")
    assert str(path) in str(info.value) and "模板" in str(info.value)
    assert not (tmp_path / "pwned.docx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attack.docx"]


def test_data_of_every_plain_kind_is_readable(tmp_path: Path) -> None:
    context = {
        "data": {"a": "甲", "b": "乙", "items": "键"},
        "seq": ["一", "二", "三"],
        "loan": Loan(amount=Decimal("150000.00"), borrower=Borrower(name="张三", id_number="110")),
        "day": dt.date(2024, 3, 5),
        "method": Method.EQUAL,
        "point": Point(1, 2),
        "collateral": Collateral(name="房产"),
        "rows": [{"k": "a"}, {"k": "a"}, {"k": "b"}],
    }
    text = (
        "{{ data.a }}{{ data['b'] }}{{ data.items }}|{{ seq[0] }}{{ seq|join('、') }}|"
        "{{ loan.amount }}/{{ loan.amount_wan }}/{{ loan.borrower.name }}|{{ day.year }}-{{ day.month }}|"
        "{{ method.value }}|{{ point.x }}{{ point.y }}|{{ collateral.name }}|"
        "{% for s in seq %}{{ loop.index }}{{ loop.cycle('a', 'b') }}{% endfor %}|"
        "{{ range(3)|list|join(',') }}|{{ missing|default('无') }}|"
        "{% for g in rows|groupby('k') %}{{ g.grouper }}{{ g.list|length }}{% endfor %}|"
        "{% macro tag(v) %}[{{ v }}]{% endmacro %}{{ tag(seq|last) }}"
    )
    assert render(tmp_path, text, context) == (
        "甲乙键|一一、二、三|150000.00/15.00/张三|2024-3|等额本息|12|房产|1a2b3a|0,1,2|无|a2b1|[三]"
    )


def test_undefined_values_raise(tmp_path: Path) -> None:
    loan = Loan(amount=Decimal("1"), borrower=Borrower(name="张三", id_number="1"))
    for template, expected in (
        ("{{ missing }}", "'missing' is undefined"),
        ("{{ loan.amout }}", "amout"),
        ("{{ data.nokey }}", "nokey"),
        ("{{ missing.attr }}", "'missing' is undefined"),
    ):
        with pytest.raises(TemplateError) as info:
            render(tmp_path, template, {"loan": loan, "data": {}})
        assert info.value.kind == "undefined", template
        assert expected in str(info.value)


def test_range_is_capped(tmp_path: Path) -> None:
    assert render(tmp_path, f"{{{{ range({MAX_RANGE})|length }}}}", {}) == str(MAX_RANGE)
    with pytest.raises(TemplateError) as info:
        render(tmp_path, f"{{{{ range({MAX_RANGE + 1})|length }}}}", {})
    assert info.value.kind == "security"


def test_ordinary_arithmetic_still_works(tmp_path: Path) -> None:
    text = "{{ '—' * 10 }}|{{ amount * 2 }}|{{ 2 ** 10 }}|{{ 3 * 10**9 }}|{{ rate ** 2 }}"
    assert render(tmp_path, text, {"amount": Decimal("1.50"), "rate": Decimal("0.1")}) == (
        "——————————|3.00|1024|3000000000|0.01"
    )


def test_environment_has_only_range_and_safe_filters() -> None:
    env = make_environment(filters={"money": str}, globals={"bank": "某行"})
    assert set(env.globals) == {"range", "bank"}
    assert set(env.filters) == SAFE_BUILTIN_FILTERS | {"money"}
    assert not {"attr", "safe", "tojson", "pprint", "random", "xmlattr"} & set(env.filters)
    assert env.autoescape is True
