"""Enumerations of the domain: English values for the API, Chinese labels for people.

Input may use either: ``LabeledEnum("抵押")`` finds ``GuaranteeMethod.MORTGAGE``. Documents print ``.label``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self


class LabeledEnum(StrEnum):
    """A string enum whose members carry a Chinese label and optional aliases."""

    label: str
    aliases: tuple[str, ...]

    if TYPE_CHECKING:
        # Callers look members up by one value (``CustomerType("企业")``); the three-argument form
        # below only builds the members when the class is created.
        def __new__(cls, value: object) -> Self: ...

    else:

        def __new__(cls, value: str, label: str, *aliases: str) -> Self:
            obj = str.__new__(cls, value)
            obj._value_ = value
            obj.label = label
            obj.aliases = aliases
            return obj

    @classmethod
    def _missing_(cls, value: Any) -> Self | None:
        if not isinstance(value, str):
            return None
        wanted = value.strip()
        for member in cls:
            if wanted.lower() == member.value or wanted == member.label or wanted in member.aliases:
                return member
        return None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # Schema readers (the API docs, `dossier schema`) see the Chinese label of every value.
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["description"] = "；".join(f"{m.value} = {m.label}" for m in cls)
        schema["x-labels"] = {m.value: m.label for m in cls}
        return schema

    @classmethod
    def accepted(cls) -> str:
        """All accepted spellings, for error messages."""
        return ", ".join(f"{m.value}/{m.label}" for m in cls)


class CustomerType(LabeledEnum):
    PERSON = ("person", "自然人", "个人")
    BUSINESS_OWNER = ("business-owner", "个体工商户", "个体")
    ENTERPRISE = ("enterprise", "企业", "公司")


class Product(LabeledEnum):
    PERSONAL_CONSUMPTION = ("personal-consumption", "个人消费", "个人消费贷款")
    PERSONAL_BUSINESS = ("personal-business", "个人经营", "个人经营贷款")
    WORKING_CAPITAL = ("working-capital", "流动资金", "流动资金贷款")
    SMALL_BUSINESS_WORKING_CAPITAL = ("small-business-working-capital", "小微流贷", "小微企业流动资金贷款")
    FIXED_ASSET = ("fixed-asset", "固定资产", "固定资产贷款")


class GuaranteeMethod(LabeledEnum):
    CREDIT = ("credit", "信用")
    SURETY = ("surety", "保证")
    MORTGAGE = ("mortgage", "抵押")
    PLEDGE = ("pledge", "质押")
    COMBINED = ("combined", "组合")


class MaritalStatus(LabeledEnum):
    SINGLE = ("single", "未婚")
    MARRIED = ("married", "已婚")
    DIVORCED = ("divorced", "离异", "离婚")
    WIDOWED = ("widowed", "丧偶")


class RateType(LabeledEnum):
    FIXED = ("fixed", "固定")
    FLOATING = ("floating", "浮动")


class LprTenor(LabeledEnum):
    ONE_YEAR = ("1y", "一年期", "1年期")
    OVER_FIVE_YEARS = ("5y", "五年期以上", "5年期以上")


class Currency(LabeledEnum):
    CNY = ("CNY", "人民币", "cny", "RMB")


class PremisesType(LabeledEnum):
    OWNED = ("owned", "自有")
    LEASED = ("leased", "租赁")


class PartyKind(LabeledEnum):
    PERSON = ("person", "自然人", "个人")
    ENTERPRISE = ("enterprise", "企业", "法人")


class PaymentMode(LabeledEnum):
    ENTRUSTED = ("entrusted", "受托支付", "受托")
    SELF = ("self", "自主支付", "自主")


class RepaymentMethod(LabeledEnum):
    """How a loan is repaid; ``.label`` is the Chinese name printed in contracts."""

    ANNUITY = ("annuity", "等额本息", "等额本息还款", "equal-installment", "equal-instalment")
    EQUAL_PRINCIPAL = ("equal-principal", "等额本金", "等额本金还款")
    MONTHLY_INTEREST = (
        "monthly-interest",
        "按月付息到期还本",
        "按月付息到期一次还本",
        "按月结息到期还本",
        "按月结息到期一次还本",
        "按月付息",
        "interest-only-monthly",
    )
    QUARTERLY_INTEREST = (
        "quarterly-interest",
        "按季付息到期还本",
        "按季付息到期一次还本",
        "按季结息到期还本",
        "按季结息到期一次还本",
        "按季付息",
        "interest-only-quarterly",
    )
    BULLET = (
        "bullet",
        "到期一次还本付息",
        "到期一次性还本付息",
        "一次性还本付息",
        "一次还本付息",
        "到期还本付息",
        "利随本清",
        "lump-sum",
    )


# Verification records (核实记录): how a filed document was checked, what, and what was found.
class Method(LabeledEnum):
    """How the check was made (核实方式)."""

    ORIGINAL = ("original", "原件核对", "原件")
    SITE_VISIT = ("site-visit", "上门核实", "上门", "实地核实", "现场核实")
    PHONE = ("phone", "电话核实", "电话")
    REGISTRY = ("registry", "系统查询", "查询", "系统")
    THIRD_PARTY = ("third-party", "第三方核实", "第三方")


class Result(LabeledEnum):
    """What the check found (核实结果)."""

    CONSISTENT = ("consistent", "一致", "相符", "属实")
    INCONSISTENT = ("inconsistent", "不一致", "不符", "不属实")
    UNVERIFIABLE = ("unverifiable", "无法核实")


class Aspect(LabeledEnum):
    """What was checked (核实事项): a document's authenticity, the thing it describes, a person's word."""

    AUTHENTICITY = ("authenticity", "真实性", "真伪")
    EXISTENCE = ("existence", "实物/现场状况", "现场", "实物", "现状")
    OWNERSHIP = ("ownership", "权属", "登记信息")
    CONFIRMATION = ("confirmation", "当事人确认", "确认", "意愿")
