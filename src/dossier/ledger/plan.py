"""催收计划: what has been done for an overdue account and what comes next, with the date to do it by.

The steps follow the usual escalation: a collection notice first; a visit once the notice's repayment
deadline has passed without a signed receipt; a lawsuit or asset-preservation review once the loan is
non-performing (the floor class 次级 or worse); and, ahead of everything, a signed receipt or a lawsuit
before the limitation period ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dossier.config import Config
from dossier.finance.classification import FiveClass
from dossier.ledger.due import final_class_of, limitation_end
from dossier.ledger.settings import LedgerSettings
from dossier.ledger.store import RECEIPT_TYPE, LoanView

_NOTICE_TYPES = ("collection-notice", "public-notice")


@dataclass(frozen=True)
class NextAction:
    action: str
    """In Chinese, as printed on the plan."""
    by: date
    reason: str


def next_action(view: LoanView, as_of: date, settings: LedgerSettings, config: Config) -> NextAction:
    limitation = limitation_end(view, settings, as_of)
    if limitation is not None and (limitation[0] - as_of).days <= settings.limitation_alert_days:
        return NextAction(
            "取得借款人签收的催收回执或提起诉讼，中断诉讼时效",
            max(as_of, limitation[0] - timedelta(days=30)),
            f"诉讼时效将于{limitation[0].isoformat()}届满",
        )
    since = view.overdue_since or as_of
    notices = [c for c in view.contacts if c.doc_type in _NOTICE_TYPES and c.on >= since]
    receipts = [c for c in view.contacts if c.doc_type == RECEIPT_TYPE and c.on >= since]
    if final_class_of(view, as_of, config).rank >= FiveClass.SUBSTANDARD.rank:
        return NextAction(
            "提交资产保全审查，研究诉讼或申请支付令",
            as_of + timedelta(days=settings.collection_deadline_days),
            "贷款已按逾期天数划入不良（次级及以下）",
        )
    if not notices:
        return NextAction("送达逾期贷款催收通知书并取得签收回执", as_of, "本次逾期尚未发出催收通知书")
    deadline = notices[-1].on + timedelta(days=settings.collection_deadline_days)
    if receipts and receipts[-1].on >= notices[-1].on:
        return NextAction("电话跟进还款承诺，到期未还即上门催收", deadline, "借款人已签收最近一次催收通知书")
    if deadline <= as_of:
        return NextAction("两名客户经理上门催收并取得签收回执", as_of, "催收通知书限期已过，未见签收回执")
    return NextAction("电话催收并督促签收回执", deadline, "已发出催收通知书，尚在限期内")
