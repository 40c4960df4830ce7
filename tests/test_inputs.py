from decimal import Decimal

import pytest

from dossier.errors import InputError
from dossier.inputs import load_input, parse_text


def test_yaml_floats_become_exact_decimals():
    data = parse_text("amount: 100000.10\nrate: 4.35\nn: 3\n", source="x.yaml")
    assert data == {"amount": Decimal("100000.10"), "rate": Decimal("4.35"), "n": 3}


def test_json_floats_become_exact_decimals(tmp_path):
    path = tmp_path / "in.json"
    path.write_text('{"amount": 0.1}', encoding="utf-8")
    assert load_input(path) == {"amount": Decimal("0.1")}


@pytest.mark.parametrize(
    ("text", "reason"),
    [("a: [1, 2", "line"), ("- just\n- a list\n", "应为字段映射")],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path, text, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_input(path)
    assert str(info.value).startswith(f"{path}: ") and reason in str(info.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="文件不存在"):
        load_input(tmp_path / "nope.yaml")
    path = tmp_path / "gbk.yaml"
    path.write_bytes("借款人: 张三".encode("gbk"))
    with pytest.raises(InputError, match="UTF-8"):
        load_input(path)
