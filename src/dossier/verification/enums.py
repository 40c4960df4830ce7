"""What a verification checks, how, and what it found: English values for programs, Chinese labels."""

from __future__ import annotations

from dossier.domain.enums import LabeledEnum


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


DEFAULT_ASPECT = {
    Method.ORIGINAL: Aspect.AUTHENTICITY,
    Method.SITE_VISIT: Aspect.EXISTENCE,
    Method.PHONE: Aspect.CONFIRMATION,
    Method.REGISTRY: Aspect.OWNERSHIP,
    Method.THIRD_PARTY: Aspect.AUTHENTICITY,
}
"""What a method checks when the officer does not say."""
