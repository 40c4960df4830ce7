from datetime import date

import pytest

from dossier.config import load_config
from dossier.finance.classification import (
    FiveClass,
    days_past_due,
    dpd_floor,
    final_class,
    parse_five_class,
    rule_sets,
    worse,
)

N, SM, SS, D, L = (
    FiveClass.NORMAL,
    FiveClass.SPECIAL_MENTION,
    FiveClass.SUBSTANDARD,
    FiveClass.DOUBTFUL,
    FiveClass.LOSS,
)
BOUNDARIES = (0, 1, 90, 91, 180, 181, 270, 271, 360, 361)

EXPECTED = {
    "2023": (N, SM, SM, SS, SS, SS, SS, D, D, L),
    "legacy": (N, SM, SM, SS, SS, D, D, D, D, L),
    "credit-card": (N, SM, SM, SS, D, L, L, L, L, L),
}


@pytest.mark.parametrize("rules", sorted(EXPECTED))
@pytest.mark.parametrize("index", range(len(BOUNDARIES)))
def test_dpd_floor_at_every_boundary(rules: str, index: int) -> None:
    assert dpd_floor(BOUNDARIES[index], rules=rules, config=load_config()) is EXPECTED[rules][index]


@pytest.mark.parametrize(("dpd", "cls"), [(120, SS), (121, D)])
def test_credit_card_boundary_at_120(dpd: int, cls: FiveClass) -> None:
    assert dpd_floor(dpd, rules="credit-card", config=load_config()) is cls


def test_default_rule_set_is_2023() -> None:
    assert [dpd_floor(d, config=load_config()) for d in BOUNDARIES] == list(EXPECTED["2023"])


def test_default_rule_set_from_config(config_with) -> None:
    config = config_with("classification", default_rules="legacy")
    assert dpd_floor(181, config=config) is D


def test_grace_days_from_config(config_with) -> None:
    config_2023 = {
        "label": "test",
        "steps": [[0, "正常"], [1, "关注"], [91, "次级"]],
        "grace_days": 3,
    }
    config = config_with("classification", rules={"2023": config_2023})
    assert dpd_floor(3, config=config) is N
    assert dpd_floor(4, config=config) is SM


def test_unknown_rule_set_lists_the_names() -> None:
    with pytest.raises(ValueError, match="未知分类规则") as info:
        dpd_floor(10, rules="2007", config=load_config())
    assert "legacy" in str(info.value) and "credit-card" in str(info.value) and "2023" in str(info.value)


def test_rule_sets() -> None:
    names = rule_sets(config=load_config())
    assert set(names) == {"2023", "legacy", "credit-card"}
    assert "2023" in names["2023"]


def test_negative_dpd_is_refused() -> None:
    with pytest.raises(ValueError, match="逾期天数不能为负数"):
        dpd_floor(-1, config=load_config())


def test_rank_and_worse() -> None:
    assert [c.rank for c in FiveClass] == [0, 1, 2, 3, 4]
    assert worse(N, SS) is SS
    assert worse(L, SM) is L
    assert worse(D, D) is D
    assert not SM.is_nonperforming and SS.is_nonperforming


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("正常", N),
        ("关注类", SM),
        ("normal", N),
        ("Special Mention", SM),
        ("special-mention", SM),
        ("special_mention", SM),
        ("SUBSTANDARD", SS),
        ("doubtful", D),
        (" 损失 ", L),
        ("loss", L),
    ],
)
def test_parse_five_class(text: str, cls: FiveClass) -> None:
    assert parse_five_class(text) is cls


def test_parse_five_class_lists_the_names() -> None:
    with pytest.raises(ValueError, match="未知五级分类") as info:
        parse_five_class("bad")
    assert "substandard/次级" in str(info.value)


def test_days_past_due() -> None:
    assert days_past_due(date(2024, 3, 20), date(2024, 3, 20)) == 0
    assert days_past_due(date(2024, 3, 20), date(2024, 3, 21)) == 1
    assert days_past_due(date(2024, 3, 20), date(2024, 6, 18)) == 90
    assert days_past_due(date(2024, 3, 20), date(2024, 3, 1)) == 0
    assert days_past_due(None, date(2024, 3, 1)) == 0


def test_final_class_is_never_better_than_the_floor() -> None:
    assert final_class(N, 0, config=load_config()) is N
    assert final_class(N, 91, config=load_config()) is SS
    assert final_class(D, 1, config=load_config()) is D
    assert final_class(N, 181, rules="legacy", config=load_config()) is D


def test_restructured_floor() -> None:
    assert final_class(N, 0, restructured=True, config=load_config()) is SS
    assert final_class(L, 0, restructured=True, config=load_config()) is L
    # The legacy rules have no restructuring floor.
    assert final_class(N, 0, restructured=True, rules="legacy", config=load_config()) is N
