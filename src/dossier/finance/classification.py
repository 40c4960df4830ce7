"""五级分类 and its days-past-due floor (domain.md §3.5).

The class of a loan is the worse of the officer's judgement and the floor its days past due impose:
``final = worse(judgement, floor(dpd))``. Floors come from a rule set in ``[classification.rules]``
(the 2023 rules by default; the older 脱期法 and the credit-card rules ship too). Each rule set lists
``(min_days, class)`` steps; the floor is the worst class whose ``min_days`` ≤ DPD.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from dossier.config import Config


class FiveClass(StrEnum):
    """The five risk classes, from best to worst; the value is the Chinese name."""

    NORMAL = "正常"
    SPECIAL_MENTION = "关注"
    SUBSTANDARD = "次级"
    DOUBTFUL = "可疑"
    LOSS = "损失"

    @property
    def rank(self) -> int:
        """0 for 正常 up to 4 for 损失: a higher rank is a worse class."""
        return _ORDER.index(self)

    @property
    def english(self) -> str:
        return self.name.lower().replace("_", "-")

    @property
    def is_nonperforming(self) -> bool:
        """次级, 可疑 and 损失 are the non-performing classes (不良)."""
        return self.rank >= FiveClass.SUBSTANDARD.rank


_ORDER = tuple(FiveClass)


def worse(a: FiveClass, b: FiveClass) -> FiveClass:
    """The worse of two classes."""
    return a if a.rank >= b.rank else b


def parse_five_class(text: str) -> FiveClass:
    """Read a class from its Chinese name (正常, 关注类) or English (normal, special-mention, substandard,
    doubtful, loss; spaces or underscores allowed)."""
    wanted = text.strip()
    wanted = wanted.removesuffix("类") if len(wanted) > 1 else wanted
    english = wanted.lower().replace("_", "-").replace(" ", "-")
    for member in FiveClass:
        if wanted == member.value or english == member.english:
            return member
    accepted = ", ".join(f"{m.english}/{m.value}" for m in FiveClass)
    raise ValueError(f"unknown five-class category (未知五级分类) {text!r}; accepted (可选): {accepted}")


class RuleSet(BaseModel):
    label: str
    steps: list[tuple[int, FiveClass]] = Field(min_length=1)
    # Restructured assets are at least this class; None = no restructuring floor in this rule set.
    restructured_floor: FiveClass | None = None
    # Overdue for at most this many days counts as a technical delay and imposes no floor.
    grace_days: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _steps_ascend(self) -> RuleSet:
        days = [step[0] for step in self.steps]
        if days[0] != 0 or days != sorted(set(days)):
            raise ValueError("steps must start at 0 days and list increasing, distinct min_days")
        return self


class ClassificationSettings(BaseModel):
    """``[classification]`` of the configuration."""

    default_rules: str
    rules: dict[str, RuleSet] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> ClassificationSettings:
        if self.default_rules not in self.rules:
            raise ValueError(f"default_rules {self.default_rules!r} is not one of {', '.join(self.rules)}")
        return self


def _settings(config: Config) -> ClassificationSettings:
    return config.section("classification", ClassificationSettings)


def _rule_set(rules: str | None, config: Config) -> RuleSet:
    settings = _settings(config)
    name = settings.default_rules if rules is None else rules
    try:
        return settings.rules[name]
    except KeyError:
        accepted = ", ".join(f"{key} ({rule.label})" for key, rule in settings.rules.items())
        raise ValueError(f"unknown rule set (未知分类规则) {name!r}; accepted (可选): {accepted}") from None


def rule_sets(config: Config) -> dict[str, str]:
    """Configured rule sets: name → label."""
    return {name: rule.label for name, rule in _settings(config).rules.items()}


def days_past_due(earliest_unpaid_due: date | None, as_of: date) -> int:
    """逾期天数 = as_of − earliest unpaid due date; the due date itself is day 0, nothing unpaid is 0,
    and a due date still ahead is 0."""
    if earliest_unpaid_due is None:
        return 0
    return max(0, (as_of - earliest_unpaid_due).days)


def dpd_floor(dpd: int, *, rules: str | None = None, config: Config) -> FiveClass:
    """The best class a loan ``dpd`` days past due may have under rule set ``rules`` (default from
    ``[classification].default_rules``)."""
    if dpd < 0:
        raise ValueError(f"days past due must not be negative (逾期天数不能为负数): {dpd}")
    rule_set = _rule_set(rules, config)
    if dpd <= rule_set.grace_days:
        return rule_set.steps[0][1]
    floor = rule_set.steps[0][1]
    for min_days, cls in rule_set.steps:
        if min_days <= dpd:
            floor = worse(floor, cls)
    return floor


def final_class(
    judgement: FiveClass,
    dpd: int,
    *,
    restructured: bool = False,
    rules: str | None = None,
    config: Config,
) -> FiveClass:
    """worse(judgement, DPD floor), and no better than the rule set's restructuring floor when
    ``restructured`` (rule sets without one impose none)."""
    judgement = judgement if isinstance(judgement, FiveClass) else parse_five_class(judgement)
    result = worse(judgement, dpd_floor(dpd, rules=rules, config=config))
    if restructured:
        floor = _rule_set(rules, config).restructured_floor
        if floor is not None:
            result = worse(result, floor)
    return result
