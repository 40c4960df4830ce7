"""The decided figures of an application flow into the documents: the 授信调查审批报告 (credit kind)
and the contracts take the requested and the approved amount, term and guarantees from the application,
so no figure is typed twice. A base input (the officer's YAML) gives everything else."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any

from dossier.domain.dates import add_months
from dossier.domain.enums import GuaranteeMethod
from dossier.errors import DossierError
from dossier.process.enums import ActionKind
from dossier.process.store import Application, Step

CREDIT_KIND = "credit"
CONTRACT_KINDS = ("loan-contract",)


@dataclass(frozen=True)
class Decided:
    amount: Decimal
    term_months: int
    guarantees: tuple[str, ...]
    """Guarantee method values: the offered ones, then those a condition added."""
    notes: tuple[str, ...]
    conditional: bool


def decided(app: Application) -> Decided:
    c = app.conditions
    guarantees = tuple(dict.fromkeys([*app.guarantees, *c.get("add_guarantees", [])]))
    notes = list(c.get("notes", []))
    if c.get("amount") is not None and Decimal(str(c["amount"])) < app.amount:
        notes.insert(0, f"审批金额由申请的{app.amount}元调减为{Decimal(str(c['amount']))}元。")
    if c.get("term_months") is not None and int(c["term_months"]) < app.term_months:
        notes.insert(0, f"贷款期限由{app.term_months}个月缩短为{int(c['term_months'])}个月。")
    added = [g for g in c.get("add_guarantees", []) if g not in app.guarantees]
    if added:
        notes.append("追加担保方式：" + "、".join(GuaranteeMethod(g).label for g in added) + "。")
    return Decided(
        amount=Decimal(str(c["amount"])) if c.get("amount") is not None else app.amount,
        term_months=int(c["term_months"]) if c.get("term_months") is not None else app.term_months,
        guarantees=guarantees,
        notes=tuple(notes),
        conditional=bool(c.get("conditional")),
    )


def _labels(methods: tuple[str, ...]) -> list[str]:
    return [GuaranteeMethod(m).label for m in methods]


def _last(app: Application, stage: str, kinds: tuple[ActionKind, ...]) -> Step | None:
    return next((s for s in reversed(app.steps) if s.from_stage == stage and s.kind in kinds), None)


def credit_input(app: Application, base: Mapping[str, Any], *, zone: tzinfo | None = None) -> dict[str, Any]:
    """``base`` (a credit input) with the application's request and decision written in."""
    data = copy.deepcopy(dict(base))
    request = data.setdefault("request", {})
    request.update(
        amount=app.amount,
        term_months=app.term_months,
        guarantee_methods=_labels(app.guarantees),
    )
    if app.purpose:
        request["purpose"] = app.purpose
    terms = decided(app)
    approval = data.setdefault("approval", {})
    approval.update(
        amount=terms.amount, term_months=terms.term_months, guarantee_methods=_labels(terms.guarantees)
    )
    if terms.notes:
        approval["conditions"] = [*terms.notes, *approval.get("conditions", [])]
    review = data.setdefault("review", {})
    review["conclusion"] = "有条件同意" if terms.conditional else "同意"
    approve = _last(app, "approval", (ActionKind.APPROVE, ActionKind.ADVANCE))
    if approve is not None:
        approval["approver"] = approve.actor
        approval["approval_date"] = _day(approve, zone)
    reviewed = _last(app, "review", (ActionKind.APPROVE, ActionKind.ADVANCE))
    if reviewed is not None:
        review["reviewer"] = reviewed.actor
        review["review_date"] = _day(reviewed, zone)
    return data


def contract_input(app: Application, base: Mapping[str, Any]) -> dict[str, Any]:
    """A loan contract's input with the approved amount, term and guarantees (the maturity date follows
    the term from the start date)."""
    data = copy.deepcopy(dict(base))
    terms = decided(app)
    loan = data.setdefault("loan", {})
    loan.update(
        amount=terms.amount, term_months=terms.term_months, guarantee_methods=_labels(terms.guarantees)
    )
    start = loan.get("start_date")
    if isinstance(start, str):
        start = date.fromisoformat(start)
    if isinstance(start, date):
        loan["maturity_date"] = add_months(start, terms.term_months)
    if app.contract_number:
        loan["contract_number"] = app.contract_number
    return data


def _day(step: Step, zone: tzinfo | None) -> date:
    return step.at.astimezone(zone).date() if zone is not None else step.at.date()


def input_for(
    kind: str, app: Application, base: Mapping[str, Any], *, zone: tzinfo | None = None
) -> dict[str, Any]:
    if kind == CREDIT_KIND:
        return credit_input(app, base, zone=zone)
    if kind in CONTRACT_KINDS:
        return contract_input(app, base)
    raise DossierError(f"kind {kind!r} takes no figures from an application (该文书不取授信申请数据)")
