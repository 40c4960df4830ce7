from datetime import date
from decimal import Decimal

import pytest
from kit import all_text

from dossier.config import load_config
from dossier.errors import InputError
from dossier.generation import Generator
from dossier.kinds.registry import get_kind


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(config=load_config())


def test_example_renders_interest_days_and_total_in_capitals(generator):
    document = generator.generate("reminder", get_kind("reminder").example())
    text = all_text(document.content)
    # 300,000 × 3.45 % / 360 × 38 days (2026-11-20 → 2026-12-28) = 1,092.50
    assert document.context["interest_days"] == 38
    assert document.context["interest_due"] == Decimal("1092.50")
    assert "1,092.50" in text and "301,092.50" in text
    assert "人民币叁拾万零壹仟零玖拾贰元伍角" in text
    assert "张三" in text and "JK2025-000456" in text and "回  执" in text
    assert document.filename == "到期还款提示-JK2025-000456-2026-12-28"
    assert document.warnings == ()


def test_a_late_reminder_warns(generator):
    data = get_kind("reminder").example() | {"notice_date": date(2026, 12, 25)}
    document = generator.generate("reminder", data)
    assert any("2026-12-21" in w for w in document.warnings)  # short-term: T−7


def test_principal_due_above_balance_is_refused(generator):
    data = get_kind("reminder").example() | {"principal_due": Decimal("400000.00")}
    with pytest.raises(InputError) as info:
        generator.generate("reminder", data)
    assert "本次应还本金大于贷款余额" in str(info.value)


def test_saving_twice_never_overwrites(generator, tmp_path):
    document = generator.generate("reminder", get_kind("reminder").example())
    first = document.save(tmp_path)
    second = document.save(tmp_path)
    assert first.name == "到期还款提示-JK2025-000456-2026-12-28.docx"
    assert second.name == "到期还款提示-JK2025-000456-2026-12-28-2.docx"
    assert first.read_bytes() == second.read_bytes() == document.content
    assert {p.name for p in tmp_path.iterdir()} == {first.name, second.name}
