"""The words of the credit process: what can be done to an application, and where it ends."""

from __future__ import annotations

from dossier.domain.enums import LabeledEnum


class ActionKind(LabeledEnum):
    """A transition. ``submit`` and ``withdraw`` are the applicant's; the others a stage's (see [process])."""

    SUBMIT = ("submit", "提交申请")
    ADVANCE = ("advance", "通过")
    RETURN = ("return", "退回")
    REJECT = ("reject", "否决")
    REQUEST = ("request", "要求补充材料")
    APPROVE = ("approve", "批准", "有条件通过")
    WITHDRAW = ("withdraw", "撤回")

    @property
    def audit_action(self) -> str:
        return f"application.{self.value}"


class Status(LabeledEnum):
    OPEN = ("open", "在办")
    LOAN = ("loan", "已放款")
    REJECTED = ("rejected", "已否决")
    WITHDRAWN = ("withdrawn", "已撤回")

    @property
    def closed(self) -> bool:
        return self is not Status.OPEN


class Refusal(LabeledEnum):
    """Why a transition was refused; the faces map each to a status code."""

    NOT_FOUND = ("not-found", "申请不存在")
    MOVED = ("moved", "申请已变动")
    CLOSED = ("closed", "申请已办结")
    WRONG_ROLE = ("wrong-role", "角色不符")
    OUT_OF_ORDER = ("out-of-order", "环节不允许此操作")
    SEPARATION = ("separation", "审贷分离")
    GATE = ("gate", "环节条件未满足")
    INVALID = ("invalid", "输入有误")
