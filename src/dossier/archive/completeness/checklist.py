"""Checklists: which documents a loan's file must hold, read from ``defaults/checklists.yaml``.

A bank replaces the shipped file with its own, named by ``[archive].checklists`` in its configuration.
The file has one list per product, one per guarantee type and a ``common`` list; a loan's checklist is
the union of ``common``, its product's list and each of its guarantee types' lists (the first item
with a given key wins, so a product list may tighten a common item). Everything is checked at load
time: document types exist, stages are known, conditions parse, anchors are defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dossier.archive.completeness.conditions import ConditionError, Node, parse_condition
from dossier.config import Config
from dossier.domain.document_types import document_types
from dossier.domain.enums import Aspect, CustomerType, GuaranteeMethod, LabeledEnum, Method, Product
from dossier.errors import ConfigError


class Stage(LabeledEnum):
    """The stages of a loan's life a document belongs to, in file order."""

    APPLICATION = ("application", "申请")
    INVESTIGATION = ("investigation", "调查")
    APPROVAL = ("approval", "审批")
    CONTRACT = ("contract", "合同")
    DISBURSEMENT = ("disbursement", "放款")
    POST_LOAN = ("post-loan", "贷后")
    COLLECTION = ("collection", "催收")
    SETTLEMENT = ("settlement", "结清")

    @property
    def order(self) -> int:
        return list(Stage).index(self)


LOAN_FIELDS = ("start_date", "maturity_date", "settled_on")
"""Loan dates an anchor may fall back to, written ``loan:<field>``."""

# Documents of these archive categories describe the borrower, not one loan: any of the borrower's
# documents counts for every loan. Other categories count only for their own loan (or no loan).
_BORROWER_CATEGORIES = frozenset({"basic", "financial"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Anchor(_Strict):
    """A date a freshness rule or a cadence counts from: the first source that gives one."""

    label: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(alias="from", min_length=1)
    """Document type keys (the latest such document's date) or ``loan:<field>``."""


class EveryMonths(_Strict):
    every_months: int = Field(ge=1, le=120)
    start: str = Field(default="disbursement", alias="from")
    """The anchor the first due date counts from."""


class VerifyRule(_Strict):
    """A verification the item's document must carry (核实要求): a current record with result 一致."""

    methods: tuple[Method, ...] = ()
    """Any of these methods (原件核对, 上门核实, …); any method when empty."""
    aspect: Aspect | None = None
    """What must have been checked (真实性, 实物/现场状况, …); anything when not given."""
    before: str | None = None
    """An anchor (e.g. approval): the check must have taken place on or before its date."""
    evidence: Literal["photo", "video", "audio", "any"] | None = None
    """Evidence the record must carry: a photo, a video, a recording, or any evidence file."""
    label: str | None = None

    @property
    def description(self) -> str:
        if self.label:
            return self.label
        parts = ["/".join(m.label for m in self.methods) or "核实"]
        if self.aspect is not None:
            parts.append(self.aspect.label)
        if self.evidence is not None:
            parts.append(f"附{EVIDENCE_LABELS[self.evidence]}")
        return "，".join(parts)


EVIDENCE_LABELS = {"photo": "照片", "video": "录像", "audio": "录音", "any": "证据"}


Cadence = Literal["inspection"] | EveryMonths
"""``inspection``: post-loan checks by five-class, term and grade (dossier.finance.inspection_cadence)."""


class Item(_Strict):
    doc_type: str
    stage: Stage
    label: str | None = None
    role: str | None = None
    """Whose document it is when the type alone is ambiguous (spouse, guarantor, …); a document whose
    ``details.role`` names another role does not count."""
    accept: tuple[str, ...] = ()
    """Other document types that satisfy the item (bank statements in place of income proof)."""
    when: str | None = None
    """Condition in the checklist condition language (see conditions.py)."""
    max_age_days: int | None = Field(default=None, ge=0)
    relative_to: str | None = None
    valid_on: str | None = None
    """Anchor on which the document's ``details.valid_until`` (or ``validity``) must still hold."""
    cadence: Cadence | None = None
    verify: VerifyRule | None = None
    """A verification the document must carry; without one the item is ``unverified`` (未核实)."""
    scope: Literal["borrower", "loan"] | None = None
    """borrower: any of the borrower's documents counts; loan: only this loan's (or unassigned) ones.
    Default by the document type's category (基本资料 and 财务资料 are the borrower's)."""

    @field_validator("role")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        return normalise_role(value)

    @model_validator(mode="after")
    def _freshness_pairs(self) -> Item:
        if (self.max_age_days is None) != (self.relative_to is None):
            raise ValueError("max_age_days and relative_to go together (时效规则须同时给出天数与基准日)")
        if self.cadence is not None and (self.max_age_days is not None or self.valid_on is not None):
            raise ValueError("a recurring item (cadence) takes no freshness rule (周期性项目不设时效)")
        return self

    @property
    def key(self) -> str:
        return self.doc_type if self.role is None else f"{self.doc_type}@{self.role}"

    @property
    def doc_types(self) -> tuple[str, ...]:
        return (self.doc_type, *self.accept)


def normalise_role(value: str | None) -> str | None:
    """``None``, ``borrower`` and ``借款人`` all mean the borrower's own document."""
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", "borrower", "借款人") else value


class ItemList(_Strict):
    label: str = Field(min_length=1)
    items: tuple[Item, ...] = ()


class _File(_Strict):
    version: Literal[1]
    anchors: dict[str, Anchor]
    common: ItemList
    products: dict[str, ItemList]
    product_aliases: dict[str, str] = Field(default_factory=dict)
    default_product: dict[str, str]
    guarantees: dict[str, ItemList]


@dataclass(frozen=True)
class ChecklistItem:
    """An item as a loan's checklist holds it: the rule, where it came from, its parsed condition."""

    item: Item
    source: str
    """``common``, ``product:<key>`` or ``guarantee:<key>``."""
    scope: Literal["borrower", "loan"]
    condition: Node | None
    label: str

    @property
    def key(self) -> str:
        return self.item.key


@dataclass(frozen=True)
class Checklists:
    """The whole checklist file, validated; ``for_loan`` assembles one loan's list."""

    anchors: Mapping[str, Anchor]
    common: tuple[ChecklistItem, ...]
    products: Mapping[str, tuple[ChecklistItem, ...]]
    product_labels: Mapping[str, str]
    product_aliases: Mapping[str, str]
    default_product: Mapping[str, str]
    guarantees: Mapping[str, tuple[ChecklistItem, ...]]
    guarantee_labels: Mapping[str, str]
    source: str

    def product_for(self, product: str | None, customer_type: str | None) -> tuple[str, bool]:
        """The product list a loan uses and whether it was inferred (no or unknown product)."""
        key = _enum_value(Product, product)
        if key is not None:
            key = self.product_aliases.get(key, key)
            if key in self.products:
                return key, False
        ctype = _enum_value(CustomerType, customer_type) or CustomerType.PERSON.value
        return self.default_product.get(ctype, next(iter(self.products))), True

    def guarantees_for(self, methods: list[str] | tuple[str, ...]) -> list[str]:
        """Guarantee lists a loan uses; a loan naming none is a credit (信用) loan."""
        keys: list[str] = []
        for method in methods:
            key = _enum_value(GuaranteeMethod, method)
            if key is not None and key in self.guarantees and key not in keys:
                keys.append(key)
        if not keys and GuaranteeMethod.CREDIT.value in self.guarantees:
            keys.append(GuaranteeMethod.CREDIT.value)
        return keys

    def for_loan(self, product_key: str, guarantee_keys: list[str]) -> list[ChecklistItem]:
        """The union of the common, product and guarantee lists; the first item with a key wins."""
        merged: dict[str, ChecklistItem] = {}
        lists = [self.common, self.products[product_key], *(self.guarantees[g] for g in guarantee_keys)]
        for items in lists:
            for entry in items:
                merged.setdefault(entry.key, entry)
        return sorted(merged.values(), key=lambda e: e.item.stage.order)


def _enum_value(enum: type[LabeledEnum], text: str | None) -> str | None:
    if not text:
        return None
    try:
        return enum(text).value
    except ValueError:
        return None


def _normalise_key(enum: type[LabeledEnum], key: str, what: str) -> str:
    value = _enum_value(enum, key)
    if value is None:
        raise ConfigError(f"checklists: unknown {what} {key!r} (未知{what}); accepted: {enum.accepted()}")
    return value


def _build(data: Any, source: str, config: Config) -> Checklists:
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"checklists file is invalid (检查清单配置错误): {source}: {problems}") from exc
    known_types = {t.key: t for t in document_types(config)}

    def fail(where: str, problem: str) -> ConfigError:
        return ConfigError(f"checklists {source}: {where}: {problem}")

    for name, anchor in parsed.anchors.items():
        for src in anchor.sources:
            if src.startswith("loan:"):
                if src.removeprefix("loan:") not in LOAN_FIELDS:
                    known = ", ".join(LOAN_FIELDS)
                    raise fail(f"anchors.{name}", f"unknown loan date {src!r}; known: {known}")
            elif src not in known_types:
                raise fail(f"anchors.{name}", f"unknown document type {src!r} (未知文档类型)")

    def entries(items: ItemList, where: str, origin: str) -> tuple[ChecklistItem, ...]:
        result: list[ChecklistItem] = []
        seen: set[str] = set()
        for i, item in enumerate(items.items):
            at = f"{where}.items[{i}] ({item.key})"
            for key in item.doc_types:
                if key not in known_types:
                    raise fail(at, f"unknown document type {key!r} (未知文档类型); see `dossier types`")
            if item.key in seen:
                raise fail(at, "the same document type and role twice in one list (同一清单重复)")
            seen.add(item.key)
            for anchor in (item.relative_to, item.valid_on):
                if anchor is not None and anchor not in parsed.anchors:
                    raise fail(at, f"unknown anchor {anchor!r} (未定义的基准日)")
            if isinstance(item.cadence, EveryMonths) and item.cadence.start not in parsed.anchors:
                raise fail(at, f"unknown anchor {item.cadence.start!r} (未定义的基准日)")
            if item.verify is not None and item.verify.before not in (None, *parsed.anchors):
                raise fail(at, f"unknown anchor {item.verify.before!r} (未定义的基准日)")
            if item.verify is not None and item.cadence is not None:
                raise fail(at, "a recurring item takes no verification rule (周期性项目不设核实要求)")
            try:
                condition = parse_condition(item.when) if item.when is not None else None
            except ConditionError as exc:
                raise fail(at, str(exc)) from None
            doc_type = known_types[item.doc_type]
            scope = item.scope or ("borrower" if doc_type.category in _BORROWER_CATEGORIES else "loan")
            result.append(ChecklistItem(item, origin, scope, condition, item.label or doc_type.label))
        return tuple(result)

    products: dict[str, tuple[ChecklistItem, ...]] = {}
    product_labels: dict[str, str] = {}
    for key, items in parsed.products.items():
        value = _normalise_key(Product, key, "product (产品)")
        products[value] = entries(items, f"products.{key}", f"product:{value}")
        product_labels[value] = items.label
    if not products:
        raise fail("products", "at least one product list is needed (至少需要一个产品清单)")
    aliases: dict[str, str] = {}
    for key, target in parsed.product_aliases.items():
        value = _normalise_key(Product, key, "product (产品)")
        target_value = _normalise_key(Product, target, "product (产品)")
        if target_value not in products:
            raise fail(f"product_aliases.{key}", f"{target!r} has no product list (无对应产品清单)")
        aliases[value] = target_value
    defaults: dict[str, str] = {}
    for key, target in parsed.default_product.items():
        ctype = _normalise_key(CustomerType, key, "customer type (客户类型)")
        target_value = _normalise_key(Product, target, "product (产品)")
        if target_value not in products:
            raise fail(f"default_product.{key}", f"{target!r} has no product list (无对应产品清单)")
        defaults[ctype] = target_value
    guarantees: dict[str, tuple[ChecklistItem, ...]] = {}
    guarantee_labels: dict[str, str] = {}
    for key, items in parsed.guarantees.items():
        value = _normalise_key(GuaranteeMethod, key, "guarantee type (担保方式)")
        guarantees[value] = entries(items, f"guarantees.{key}", f"guarantee:{value}")
        guarantee_labels[value] = items.label
    return Checklists(
        anchors=parsed.anchors,
        common=entries(parsed.common, "common", "common"),
        products=products,
        product_labels=product_labels,
        product_aliases=aliases,
        default_product=defaults,
        guarantees=guarantees,
        guarantee_labels=guarantee_labels,
        source=source,
    )


def parse_checklists(text: str, *, source: str = "<text>", config: Config) -> Checklists:
    """Checklists from YAML text, validated against the document types of ``config``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"checklists file is not valid YAML (检查清单格式错误): {source}: {exc}") from exc
    return _build(data, source, config)


def load_checklists(config: Config) -> Checklists:
    """The checklists in force: ``[archive].checklists`` when set, else the shipped file.

    Read afresh on each call (a few milliseconds); long-running callers keep the result.
    """
    path = config.raw("archive").get("checklists") or None
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"checklists file cannot be read (无法读取检查清单): {path}: {exc}") from exc
    else:
        text = resources.files("dossier").joinpath("defaults/checklists.yaml").read_text(encoding="utf-8")
    return parse_checklists(text, source=str(path or "defaults/checklists.yaml"), config=config)
