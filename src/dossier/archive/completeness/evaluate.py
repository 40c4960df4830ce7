"""The completeness review: each item of each loan's checklist as present, missing, expired or overdue.

Pure: a borrower snapshot, the checklists and a review date in, a result out. Statuses:

* ``present`` (已具备): a document of the type is filed and meets the item's freshness rules;
* ``missing`` (缺失): none is filed;
* ``expired`` (已失效): documents are filed but none meets the freshness rules (too old at approval, ID
  card lapsed before signing);
* ``overdue`` (已逾期): a recurring item whose next due date has passed;
* ``not-due`` (未到期): a recurring item whose first due date is still ahead;
* ``not-applicable`` (不适用): the item's condition is false for this loan;
* ``unverified`` (未核实): the document is filed, but the verification the item requires (``verify:``, e.g.
  the authenticity of a 购销合同 before approval) is not on record, found it inconsistent, or lacks the
  evidence asked for.

Each document counts once per loan: items sharing a document type (the borrower's and the spouse's ID
card) take different documents, a role-marked document (``details.role``) going to its own item first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from dossier.archive.completeness.checklist import (
    EVIDENCE_LABELS,
    ChecklistItem,
    Checklists,
    EveryMonths,
    Stage,
    VerifyRule,
    normalise_role,
)
from dossier.archive.completeness.conditions import evaluate_condition
from dossier.archive.completeness.snapshot import (
    BorrowerSnapshot,
    DocumentFacts,
    LoanFacts,
    VerificationFacts,
)
from dossier.config import Config
from dossier.domain.dates import InvalidDate, add_months, parse_date, parse_id_validity
from dossier.domain.enums import CustomerType, GuaranteeMethod, MaritalStatus, PartyKind, PaymentMode, Product
from dossier.finance.classification import FiveClass, parse_five_class
from dossier.finance.inspection_cadence import first_inspection_due, inspection_settings, next_inspection_date


class ItemStatus(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    EXPIRED = "expired"
    OVERDUE = "overdue"
    NOT_DUE = "not-due"
    NOT_APPLICABLE = "not-applicable"
    UNVERIFIED = "unverified"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_problem(self) -> bool:
        return self in PROBLEMS


_STATUS_LABELS = {
    ItemStatus.PRESENT: "已具备",
    ItemStatus.MISSING: "缺失",
    ItemStatus.EXPIRED: "已失效",
    ItemStatus.OVERDUE: "已逾期",
    ItemStatus.NOT_DUE: "未到期",
    ItemStatus.NOT_APPLICABLE: "不适用",
    ItemStatus.UNVERIFIED: "未核实",
}
PROBLEMS = (ItemStatus.MISSING, ItemStatus.EXPIRED, ItemStatus.OVERDUE, ItemStatus.UNVERIFIED)
"""The statuses that count against a file; its score is how many items have one."""


def _counts(statuses: Iterable[ItemStatus]) -> dict[str, int]:
    counter = Counter(statuses)
    return {status.value: counter.get(status, 0) for status in ItemStatus}


def _score(counts: Mapping[str, int]) -> int:
    return sum(counts[status.value] for status in PROBLEMS)


@dataclass(frozen=True)
class ItemResult:
    key: str
    doc_type: str
    label: str
    stage: Stage
    stage_label: str
    source: str
    status: ItemStatus
    status_label: str
    document_ids: tuple[int, ...] = ()
    document_date: date | None = None
    """Date of the deciding document (for a recurring item, the latest one)."""
    anchor: str | None = None
    anchor_date: date | None = None
    """The date the freshness rule or the validity is measured at (审批日, 合同签订日)."""
    expires_on: date | None = None
    """Last day the deciding document satisfies the rule (issue date + max age, or ID valid-until)."""
    due_date: date | None = None
    """Recurring items: when the next document is (or was) due."""
    note: str | None = None
    verification: str | None = None
    """What the item's verification rule asks for (上门核实，附照片), when it has one."""
    verification_ids: tuple[int, ...] = ()
    """The verification records that satisfy the rule (record numbers = audit event numbers)."""


@dataclass(frozen=True)
class LoanResult:
    contract_number: str
    product: str | None
    checklist_product: str
    checklist_product_label: str
    product_inferred: bool
    guarantees: tuple[str, ...]
    guarantee_labels: tuple[str, ...]
    officer: str | None
    settled_on: date | None
    legal_hold: bool
    items: tuple[ItemResult, ...]
    counts: dict[str, int]
    score: int


@dataclass(frozen=True)
class CompletenessResult:
    borrower_key: str
    borrower_name: str
    customer_type: str
    officer: str | None
    legal_hold: bool
    as_of: date
    loans: tuple[LoanResult, ...]
    counts: dict[str, int]
    score: int


@dataclass(frozen=True)
class FileSummary:
    borrower_key: str
    borrower_name: str
    officer: str | None
    legal_hold: bool
    loans: int
    products: tuple[str, ...]
    counts: dict[str, int]
    score: int


@dataclass(frozen=True)
class PortfolioSummary:
    as_of: date
    borrowers: int
    loans: int
    counts: dict[str, int]
    files: tuple[FileSummary, ...]
    """Worst first: most missing + expired + overdue items, then most missing, then by key."""
    officer: str | None = None
    product: str | None = None


# --- facts the conditions ask about -------------------------------------------------------------


def _enum(enum: Any, value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return enum(value)
    except ValueError:
        return None


def _party_list(*sources: Mapping[str, Any], names: tuple[str, ...]) -> list[Mapping[str, Any]]:
    parties: list[Mapping[str, Any]] = []
    for source in sources:
        for name in names:
            value = source.get(name)
            if isinstance(value, list):
                parties.extend(p for p in value if isinstance(p, Mapping))
    return parties


def _party_is_enterprise(party: Mapping[str, Any]) -> bool:
    for name in ("kind", "customer_type", "owner_kind"):
        kind = party.get(name)
        if isinstance(kind, str) and kind.strip():
            return (
                _enum(PartyKind, kind) is PartyKind.ENTERPRISE
                or _enum(CustomerType, kind) is CustomerType.ENTERPRISE
            )
    has_code = bool(party.get("credit_code") or party.get("owner_credit_code"))
    has_id = bool(party.get("id_number") or party.get("owner_id_number"))
    return has_code and not has_id


def _party_key(party: Mapping[str, Any]) -> str | None:
    for name in ("key", "id_number", "credit_code", "owner_id_number", "owner_credit_code"):
        value = party.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    return None


@dataclass(frozen=True)
class _Facts:
    borrower: BorrowerSnapshot
    loan: LoanFacts
    guarantee_keys: tuple[str, ...]
    as_of: date

    def _mortgagors(self) -> list[Mapping[str, Any]]:
        return _party_list(self.loan.details, self.borrower.details, names=("mortgagors", "collateral"))

    def _guarantors(self) -> list[Mapping[str, Any]]:
        return _party_list(self.loan.details, self.borrower.details, names=("guarantors",))

    def value(self, name: str) -> bool:
        # A boolean of the predicate's own name in the loan's or borrower's details overrides the rule.
        for details in (self.loan.details, self.borrower.details):
            if isinstance(details.get(name), bool):
                return bool(details[name])
        ctype = _enum(CustomerType, self.borrower.customer_type) or CustomerType.PERSON
        match name:
            case "borrower_is_person":
                return ctype is CustomerType.PERSON
            case "borrower_is_business_owner":
                return ctype is CustomerType.BUSINESS_OWNER
            case "borrower_is_enterprise":
                return ctype is CustomerType.ENTERPRISE
            case "borrower_married":
                status = _enum(MaritalStatus, self.borrower.details.get("marital_status"))
                if status is not None:
                    return status is MaritalStatus.MARRIED
                return bool(self.borrower.details.get("spouse"))
            case "has_guarantor":
                return GuaranteeMethod.SURETY.value in self.guarantee_keys or bool(self._guarantors())
            case "company_guarantor":
                return any(_party_is_enterprise(p) for p in self._guarantors())
            case "company_mortgagor":
                return any(_party_is_enterprise(p) for p in self._mortgagors())
            case "third_party_mortgagor":
                own = self.borrower.key.strip().upper()
                return any((key := _party_key(p)) is not None and key != own for p in self._mortgagors())
            case "has_financial_statements":
                details = self.borrower.details
                return bool(details.get("financial_statements") or details.get("financials"))
            case "entrusted_payment":
                mode = self.loan.details.get("payment_mode")
                return _enum(PaymentMode, mode) is PaymentMode.ENTRUSTED
            case "disbursed":
                # A loan whose start date the archive does not know is reviewed as disbursed: the review
                # would rather report a missing 借据 than hide one.
                return self.loan.start_date is None or self.loan.start_date <= self.as_of
            case "settled":
                return self.loan.settled_on is not None and self.loan.settled_on <= self.as_of
        raise KeyError(name)


# --- documents, anchors and freshness -----------------------------------------------------------


_INDEFINITE = date.max


def _valid_until(doc: DocumentFacts) -> tuple[date | None, str | None]:
    """The last valid day (date.max for 长期) and a note when it cannot be read."""
    value = doc.details.get("valid_until")
    if isinstance(value, date):
        return value, None
    if isinstance(value, str) and value.strip():
        if value.strip().startswith("长期"):
            return _INDEFINITE, None
        try:
            return parse_date(value), None
        except InvalidDate:
            return None, f"有效期无法识别: {value}"
    validity = doc.details.get("validity")
    if isinstance(validity, str) and validity.strip():
        try:
            end = parse_id_validity(validity).end
        except InvalidDate:
            return None, f"有效期无法识别: {validity}"
        return (_INDEFINITE if end is None else end), None
    return None, None


@dataclass(frozen=True)
class _Check:
    ok: bool
    anchor: str | None = None
    anchor_date: date | None = None
    expires_on: date | None = None
    notes: tuple[str, ...] = ()


class _LoanView:
    """One loan's documents and anchor dates."""

    def __init__(self, borrower: BorrowerSnapshot, loan: LoanFacts, checklists: Checklists) -> None:
        self.loan = loan
        self.checklists = checklists
        self.borrower_docs = borrower.documents
        self.loan_docs = tuple(d for d in borrower.documents if d.loan in (None, loan.contract_number))
        self._anchors: dict[str, date | None] = {}

    def docs(self, entry: ChecklistItem) -> list[DocumentFacts]:
        pool = self.borrower_docs if entry.scope == "borrower" else self.loan_docs
        return [d for d in pool if d.doc_type in entry.item.doc_types]

    def anchor(self, name: str) -> date | None:
        if name not in self._anchors:
            self._anchors[name] = self._resolve(name)
        return self._anchors[name]

    def anchor_label(self, name: str) -> str:
        return self.checklists.anchors[name].label

    def _resolve(self, name: str) -> date | None:
        for source in self.checklists.anchors[name].sources:
            if source.startswith("loan:"):
                value = getattr(self.loan, source.removeprefix("loan:"))
            else:
                dates = [d.doc_date for d in self.loan_docs if d.doc_type == source and d.doc_date]
                value = max(dates) if dates else None
            if value is not None:
                return value
        return None


def _check(entry: ChecklistItem, doc: DocumentFacts, view: _LoanView) -> _Check:
    item = entry.item
    ok = True
    anchor = anchor_date = expires_on = None
    notes: list[str] = []
    if item.max_age_days is not None and item.relative_to is not None:
        anchor = view.anchor_label(item.relative_to)
        anchor_date = view.anchor(item.relative_to)
        if doc.doc_date is None:
            notes.append("文件日期未登记，未核对时效")
        else:
            expires_on = doc.doc_date + timedelta(days=item.max_age_days)
            if anchor_date is None:
                notes.append(f"{anchor}未知，未核对时效")
            elif anchor_date > expires_on:
                ok = False
                notes.append(f"距{anchor}超过{item.max_age_days}天")
            elif doc.doc_date > anchor_date:
                notes.append(f"文件日期晚于{anchor}")
    if item.valid_on is not None:
        valid_anchor = view.anchor_label(item.valid_on)
        valid_date = view.anchor(item.valid_on)
        until, problem = _valid_until(doc)
        if anchor is None:
            anchor, anchor_date = valid_anchor, valid_date
        if problem:
            notes.append(problem)
        elif until is None:
            notes.append("有效期未登记，未核对")
        elif valid_date is None:
            notes.append(f"{valid_anchor}未知，未核对有效期")
        elif until < valid_date:
            ok = False
            expires_on, anchor, anchor_date = until, valid_anchor, valid_date
            notes.append(f"{valid_anchor}已过有效期")
        elif expires_on is None and until != _INDEFINITE:
            expires_on = until
    return _Check(ok, anchor, anchor_date, expires_on, tuple(notes))


def _verified(rule: VerifyRule, doc: DocumentFacts, view: _LoanView) -> tuple[tuple[int, ...], str | None]:
    """The document's records that meet ``rule``, and why none does when none does."""
    deadline = view.anchor(rule.before) if rule.before else None
    good: list[int] = []
    problems: list[str] = []
    for record in doc.verifications:
        why = _unmet(rule, record, deadline, view)
        if why is None:
            good.append(record.id)
        else:
            problems.append(f"第{record.id}号核实记录{why}")
    if good:
        return tuple(good), None
    if not doc.verifications:
        return (), f"未核实（须{rule.description}）"
    return (), "；".join(problems[-2:])


def _unmet(rule: VerifyRule, record: VerificationFacts, deadline: date | None, view: _LoanView) -> str | None:
    if rule.methods and record.method not in {m.value for m in rule.methods}:
        return f"方式不符（须{'/'.join(m.label for m in rule.methods)}）"
    if rule.aspect is not None and record.aspect != rule.aspect.value:
        return f"核实事项不符（须{rule.aspect.label}）"
    if record.result != "consistent":
        return "结果为" + {"inconsistent": "不一致", "unverifiable": "无法核实"}.get(
            record.result, record.result
        )
    if rule.evidence is not None:
        kinds = set(record.evidence_kinds)
        if not kinds or (rule.evidence != "any" and rule.evidence not in kinds):
            return f"缺少{EVIDENCE_LABELS[rule.evidence]}"
    if rule.before is not None and deadline is not None and record.checked_on > deadline:
        return f"核实日期晚于{view.anchor_label(rule.before)}"
    return None


def _latest(pairs: list[tuple[DocumentFacts, _Check]]) -> tuple[DocumentFacts, _Check]:
    return max(pairs, key=lambda p: (p[0].doc_date or date.min, p[0].id))


def _result(
    entry: ChecklistItem,
    status: ItemStatus,
    *,
    docs: tuple[DocumentFacts, ...] = (),
    check: _Check | None = None,
    due_date: date | None = None,
    note: str | None = None,
    verification_ids: tuple[int, ...] = (),
) -> ItemResult:
    notes = [*(check.notes if check else ()), *([note] if note else [])]
    return ItemResult(
        key=entry.key,
        doc_type=entry.item.doc_type,
        label=entry.label,
        stage=entry.item.stage,
        stage_label=entry.item.stage.label,
        source=entry.source,
        status=status,
        status_label=status.label,
        document_ids=tuple(d.id for d in docs),
        document_date=docs[-1].doc_date if docs else None,
        anchor=check.anchor if check else None,
        anchor_date=check.anchor_date if check else None,
        expires_on=check.expires_on if check else None,
        due_date=due_date,
        note="；".join(notes) or None,
        verification=entry.item.verify.description if entry.item.verify is not None else None,
        verification_ids=verification_ids,
    )


def _one_off(entries: list[ChecklistItem], view: _LoanView) -> dict[str, ItemResult]:
    """Items met by one document each; a document met by one item is not offered to the next."""
    claimed: set[int] = set()
    decided: dict[str, ItemResult] = {}
    lapsed: dict[str, list[tuple[DocumentFacts, _Check]]] = {}

    def matches(entry: ChecklistItem, doc: DocumentFacts, level: int) -> bool:
        raw = doc.details.get("role")
        doc_role = normalise_role(raw if isinstance(raw, str) else None)
        role = entry.item.role
        if level == 1:
            return role is not None and doc_role == role
        if level == 2:
            return role is None and doc_role is None
        return role is not None and doc_role is None

    # Role-marked documents go to their own items first, then unmarked ones to the borrower's items,
    # then what is left to the other parties' items.
    for level in (1, 2, 3):
        for entry in entries:
            if entry.key in decided:
                continue
            pairs = [
                (doc, _check(entry, doc, view))
                for doc in view.docs(entry)
                if doc.id not in claimed and matches(entry, doc, level)
            ]
            good = [p for p in pairs if p[1].ok]
            rule = entry.item.verify
            if good and rule is not None:
                checked = [(p, *_verified(rule, p[0], view)) for p in good]
                verified = [c for c in checked if c[1]]
                (doc, check), ids, why = max(
                    verified or checked, key=lambda c: (c[0][0].doc_date or date.min, c[0][0].id)
                )
                claimed.add(doc.id)
                status = ItemStatus.PRESENT if ids else ItemStatus.UNVERIFIED
                decided[entry.key] = _result(
                    entry, status, docs=(doc,), check=check, note=why, verification_ids=ids
                )
            elif good:
                doc, check = _latest(good)
                claimed.add(doc.id)
                decided[entry.key] = _result(entry, ItemStatus.PRESENT, docs=(doc,), check=check)
            else:
                lapsed.setdefault(entry.key, []).extend(pairs)
    for entry in entries:
        if entry.key in decided:
            continue
        if lapsed.get(entry.key):
            doc, check = _latest(lapsed[entry.key])
            decided[entry.key] = _result(entry, ItemStatus.EXPIRED, docs=(doc,), check=check)
        else:
            decided[entry.key] = _result(entry, ItemStatus.MISSING)
    return decided


def _recurring(entry: ChecklistItem, view: _LoanView, as_of: date, config: Config) -> ItemResult:
    """下次检查日期 = last document + interval, or the first due date counted from the anchor."""
    loan = view.loan
    docs = sorted((d for d in view.docs(entry) if d.doc_date), key=lambda d: (d.doc_date, d.id))
    last = docs[-1] if docs else None
    notes: list[str] = []
    cadence = entry.item.cadence
    if isinstance(cadence, EveryMonths):
        start = view.anchor(cadence.start)
        start_label = view.anchor_label(cadence.start)
        if last is not None:
            due: date | None = add_months(last.doc_date, cadence.every_months)  # type: ignore[arg-type]  # docs holds only dated documents
        else:
            due = add_months(start, cadence.every_months) if start else None
    else:
        start = view.anchor("disbursement") if "disbursement" in view.checklists.anchors else loan.start_date
        start_label = "放款日"
        five_class = _five_class(loan, notes)
        term = loan.term
        if term is None:
            term = inspection_settings(config).short_term_max_months + 1
            notes.append("期限未知，按中长期计")
        grade = loan.details.get("customer_grade")
        if last is not None:
            due = next_inspection_date(
                last.doc_date,  # type: ignore[arg-type]  # docs holds only dated documents
                five_class=five_class,
                term_months=term,
                grade=grade if isinstance(grade, str) and grade else None,
                config=config,
            )
        else:
            due = first_inspection_due(start, config=config) if start else None
    shown = (last,) if last else ()
    if due is None:
        return _result(entry, ItemStatus.MISSING, docs=shown, note=f"{start_label}未知，无法计算应检查日")
    settled = loan.settled_on if loan.settled_on and loan.settled_on <= as_of else None
    if settled is not None and due > settled:
        status = ItemStatus.PRESENT if last else ItemStatus.NOT_APPLICABLE
        notes.append("已结清，无需再检查")
        return _result(entry, status, docs=shown, note="；".join(notes))
    if due < as_of:
        return _result(entry, ItemStatus.OVERDUE, docs=shown, due_date=due, note="；".join(notes) or None)
    status = ItemStatus.PRESENT if last else ItemStatus.NOT_DUE
    return _result(entry, status, docs=shown, due_date=due, note="；".join(notes) or None)


def _five_class(loan: LoanFacts, notes: list[str]) -> FiveClass:
    value = loan.details.get("five_class")
    if isinstance(value, str) and value.strip():
        try:
            return parse_five_class(value)
        except ValueError:
            notes.append(f"五级分类无法识别（{value}），按正常计")
    return FiveClass.NORMAL


# --- the review -------------------------------------------------------------------------------


def evaluate_loan(
    snapshot: BorrowerSnapshot,
    loan: LoanFacts,
    checklists: Checklists,
    as_of: date,
    *,
    config: Config,
) -> LoanResult:
    product_key, inferred = checklists.product_for(loan.product, snapshot.customer_type)
    guarantee_keys = checklists.guarantees_for(list(loan.guarantee_methods))
    entries = checklists.for_loan(product_key, guarantee_keys)
    facts = _Facts(snapshot, loan, tuple(guarantee_keys), as_of)
    view = _LoanView(snapshot, loan, checklists)
    applicable: list[ChecklistItem] = []
    results: dict[str, ItemResult] = {}
    for entry in entries:
        if entry.condition is not None and not evaluate_condition(entry.condition, facts.value):
            note = f"条件不成立: {entry.item.when}"
            results[entry.key] = _result(entry, ItemStatus.NOT_APPLICABLE, note=note)
        elif entry.item.cadence is not None:
            results[entry.key] = _recurring(entry, view, as_of, config)
        else:
            applicable.append(entry)
    results.update(_one_off(applicable, view))
    items = tuple(results[entry.key] for entry in entries)
    counts = _counts(item.status for item in items)
    return LoanResult(
        contract_number=loan.contract_number,
        product=loan.product,
        checklist_product=product_key,
        checklist_product_label=checklists.product_labels[product_key],
        product_inferred=inferred,
        guarantees=tuple(guarantee_keys),
        guarantee_labels=tuple(checklists.guarantee_labels[g] for g in guarantee_keys),
        officer=loan.officer or snapshot.officer,
        settled_on=loan.settled_on,
        legal_hold=loan.legal_hold,
        items=items,
        counts=counts,
        score=_score(counts),
    )


def evaluate(
    snapshot: BorrowerSnapshot, checklists: Checklists, as_of: date, *, config: Config
) -> CompletenessResult:
    """Every loan of the borrower reviewed against its checklist on ``as_of``."""
    loans = tuple(evaluate_loan(snapshot, loan, checklists, as_of, config=config) for loan in snapshot.loans)
    counts = _counts(item.status for loan in loans for item in loan.items)
    return CompletenessResult(
        borrower_key=snapshot.key,
        borrower_name=snapshot.name,
        customer_type=snapshot.customer_type,
        officer=snapshot.officer,
        legal_hold=snapshot.legal_hold,
        as_of=as_of,
        loans=loans,
        counts=counts,
        score=_score(counts),
    )


def _product_matches(loan: LoanResult, wanted: str) -> bool:
    wanted = wanted.strip()
    product = _enum(Product, wanted)
    keys = {loan.checklist_product, loan.checklist_product_label, loan.product or ""}
    return wanted in keys or (product is not None and product.value in keys)


def summarize(
    results: Iterable[CompletenessResult],
    *,
    officer: str | None = None,
    product: str | None = None,
    as_of: date | None = None,
) -> PortfolioSummary:
    """Counts per status over the files, and the files worst first; ``officer`` and ``product`` keep
    only the loans they match (the borrower's officer stands in for a loan without one)."""
    files: list[FileSummary] = []
    total: Counter[str] = Counter()
    loan_count = 0
    seen_as_of = as_of
    for result in results:
        seen_as_of = seen_as_of or result.as_of
        loans = [
            loan
            for loan in result.loans
            if (officer is None or (loan.officer or result.officer) == officer)
            and (product is None or _product_matches(loan, product))
        ]
        if (officer is not None or product is not None) and not loans:
            continue
        counts = _counts(item.status for loan in loans for item in loan.items)
        total.update(counts)
        loan_count += len(loans)
        files.append(
            FileSummary(
                borrower_key=result.borrower_key,
                borrower_name=result.borrower_name,
                officer=result.officer,
                legal_hold=result.legal_hold,
                loans=len(loans),
                products=tuple(dict.fromkeys(loan.checklist_product_label for loan in loans)),
                counts=counts,
                score=_score(counts),
            )
        )
    files.sort(key=lambda f: (-f.score, -f.counts[ItemStatus.MISSING.value], f.borrower_key))
    return PortfolioSummary(
        as_of=seen_as_of or date.today(),
        borrowers=len(files),
        loans=loan_count,
        counts={status.value: total.get(status.value, 0) for status in ItemStatus},
        files=tuple(files),
        officer=officer,
        product=product,
    )


__all__ = [
    "PROBLEMS",
    "CompletenessResult",
    "FileSummary",
    "ItemResult",
    "ItemStatus",
    "LoanResult",
    "PortfolioSummary",
    "evaluate",
    "evaluate_loan",
    "summarize",
]
