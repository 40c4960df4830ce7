"""审贷分离 (every pair refused, naming its rule), a gate opened by a document filed through the inbox,
overdue stages on a fixed clock, per-product flows, and conditional approval reaching the 授信调查审批报告."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from kit.text import all_text
from processkit import INTAKE, INVESTIGATION, KEY, Kit, make_kit, quick_config
from sqlalchemy import update
from test_path import chain_ok, refused, to_check

from dossier.archive.catalog.process_tables import ApplicationRow
from dossier.archive.registry import ensure_borrower
from dossier.config import Config, load_config
from dossier.generation import generate
from dossier.inbox.watcher import Watcher
from dossier.inputs import load_input
from dossier.process.enums import Refusal, Status
from dossier.process.figures import contract_input, credit_input
from dossier.process.overdue import working_days_between
from dossier.process.queue import list_applications
from dossier.process.store import load
from dossier.process.transitions import parse_conditions

CST = timezone(timedelta(hours=8))
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "dossier" / "kinds" / "examples"


def _standard(**review: object) -> list[dict]:
    stages = copy.deepcopy(load_config().data["process"]["flows"]["standard"])
    for stage in stages:
        if stage["key"] == "review":
            stage.update(review)
    return stages


def test_investigator_on_the_site_visit_cannot_check_it(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "home")
    app = kit.apply()
    kit.file_stage(INTAKE)
    kit.act(app, "advance", "li")
    docs = kit.file_stage(INVESTIGATION)
    kit.site_visit(docs[0], with_people=("zhao",))  # the reviewer went along on the visit
    kit.act(app, "advance", "li")
    rule = refused(kit, app, Refusal.SEPARATION, lambda: kit.act(app, "advance", "zhao"))
    assert "调查与复核分离" in rule.chinese and "调查与复核分离" in rule.english
    mine = list_applications(kit.archive, mine=("zhao", kit_role("reviewer")))
    assert app not in [item.application.id for item in mine], "a barred reviewer's queue must not offer it"
    chain_ok(kit)


def kit_role(value: str):
    from dossier.access.roles import Role

    return Role(value)


def test_investigator_cannot_approve(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "home")
    app = kit.apply()
    kit.file_stage(INTAKE)
    kit.act(app, "advance", "li")
    docs = kit.file_stage(INVESTIGATION)
    kit.site_visit(docs[0], with_people=("sun",))
    for actor in ("li", "zhao", "qian"):
        kit.act(app, "advance", actor)
    rule = refused(kit, app, Refusal.SEPARATION, lambda: kit.act(app, "approve", "sun"))
    assert "调查与审批分离" in rule.chinese
    assert kit.act(app, "approve", "zhou").stage == "signing"


def test_reviewer_cannot_approve_where_one_role_holds_both(tmp_path: Path) -> None:
    # A small branch where the approvers also review: the pair still holds, person by person.
    config = quick_config(flows={"standard": _standard(role="approver")})
    kit = make_kit(tmp_path / "home", config)
    app = to_check(kit)
    kit.act(app, "advance", "zhao")
    kit.act(app, "approve", "zhou", conditions=parse_conditions(notes=["落实抵押登记"]))
    rule = refused(kit, app, Refusal.SEPARATION, lambda: kit.act(app, "approve", "zhou"))
    assert "审查与审批分离" in rule.chinese
    assert kit.act(app, "approve", "sun").stage == "signing"


def test_a_gate_blocked_by_a_missing_document_opens_when_the_inbox_files_it(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "home")
    app = kit.apply()
    kit.file_stage(tuple(t for t in INTAKE if t != "hukou"))
    blocked = refused(kit, app, Refusal.GATE, lambda: kit.act(app, "advance", "li"))
    assert "户口簿（缺失）" in blocked.chinese
    drop = kit.archive.inbox / KEY / "户口簿.pdf"
    drop.parent.mkdir(parents=True, exist_ok=True)
    drop.write_bytes(b"%PDF-1.4\n% hukou scan\n%%EOF\n")
    Watcher(kit.archive, once=True).run()
    moved = kit.act(app, "advance", "li")
    assert moved.stage == "investigation"
    hukou = [d for d in moved.steps[-1].details["documents"] if d["doc_type"] == "hukou"]
    assert len(hukou) == 1
    chain_ok(kit)


def test_overdue_in_working_days_on_a_fixed_clock(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "home")
    app = kit.apply()
    tuesday = datetime(2026, 12, 1, 9, 0, tzinfo=CST)
    kit.archive.transaction(
        lambda s: s.execute(
            update(ApplicationRow).where(ApplicationRow.id == app).values(stage_since=tuesday)
        )
    )
    # 受理 may take 2 working days: Wed and Thu are within it, Friday is one too many.
    thursday = datetime(2026, 12, 3, 18, 0, tzinfo=CST)
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=CST)
    assert list_applications(kit.archive, overdue=True, now=thursday) == []
    (late,) = list_applications(kit.archive, overdue=True, now=friday)
    assert (late.application.id, late.application.holder, late.waiting.days) == (app, "li", 3)
    assert late.to_dict()["overdue"] is True
    # Weekends do not count; a configured holiday does not either, a make-up Saturday does.
    config = kit.archive.config
    assert working_days_between(friday.date(), datetime(2026, 12, 7, tzinfo=CST).date(), config) == 1
    data = copy.deepcopy(dict(config.data))
    data["ledger"] = {**data["ledger"], "holidays": ["2026-12-02"], "make_up_workdays": ["2026-12-05"]}
    holidays = Config(data=data, sources=("test",))
    assert working_days_between(tuesday.date(), friday.date(), holidays) == 2
    assert working_days_between(tuesday.date(), datetime(2026, 12, 5, tzinfo=CST).date(), holidays) == 3
    # A closed application is never overdue.
    kit.act(app, "withdraw", "li")
    assert list_applications(kit.archive, overdue=True, now=friday + timedelta(days=30)) == []


COMPANY = "91350203MA2Y8K3D54"
SHORT = [
    {"key": "intake", "label": "受理", "role": "officer", "limit_days": 2, "actions": ["advance"]},
    {
        "key": "review",
        "label": "审查",
        "role": "risk-manager",
        "limit_days": 3,
        "actions": ["approve", "reject"],
    },
    {
        "key": "approval",
        "label": "审批",
        "role": "approver",
        "limit_days": 3,
        "actions": ["approve", "reject"],
    },
    {"key": "post-loan", "label": "贷后", "role": "officer", "actions": []},
]


@pytest.fixture
def company(tmp_path: Path) -> Kit:
    flows = {"standard": load_config().data["process"]["flows"]["standard"], "short": SHORT}
    config = quick_config(flows=flows, products={"small-business-working-capital": "short"})
    kit = make_kit(tmp_path / "home", config)
    ensure_borrower(kit.archive, COMPANY, "厦门示例包装材料有限公司", "enterprise", officer="li")
    return kit


def test_conditional_approval_reaches_the_credit_report(company: Kit, tmp_path: Path) -> None:
    kit = company
    app = kit.apply(
        borrower_key=COMPANY,
        product="小微流贷",
        amount="3000000",
        term_months=12,
        guarantees=["抵押", "保证"],
    )
    assert kit.act(app, "advance", "li").stage == "review"  # the product's own flow: no 调查 stage
    lower = parse_conditions(amount="2500000", term_months=10, notes=["销售回款归行比例不低于50%。"])
    kit.act(app, "approve", "qian", conditions=lower)
    done = kit.act(app, "approve", "sun")
    assert (done.stage, done.status) == ("post-loan", Status.LOAN)
    application = kit.archive.transaction(lambda s: load(s, app, kit.archive.config), write=False)
    base = load_input(EXAMPLES / "credit.yaml")
    data = credit_input(application, base)
    assert (data["request"]["amount"], data["approval"]["amount"]) == (
        Decimal("3000000.00"),
        Decimal("2500000.00"),
    )
    document = generate("credit", data, config=kit.archive.config)
    text = all_text(document.content)
    assert "2,500,000.00" in text and "3,000,000.00" in text, text[:2000]
    assert "有条件同意" in text and "贷款期限由12个月缩短为10个月" in text
    assert "销售回款归行比例不低于50%" in text
    assert "sun" in text and "qian" in text  # approver and reviewer, as they acted
    contract = contract_input(application, {"loan": {"start_date": "2026-12-10"}})
    assert (contract["loan"]["amount"], contract["loan"]["term_months"]) == (Decimal("2500000.00"), 10)
    assert str(contract["loan"]["maturity_date"]) == "2027-10-10"
    chain_ok(kit)


def test_a_product_flow_is_kept_when_the_table_changes(company: Kit) -> None:
    app = company.apply(
        borrower_key=COMPANY, product="小微流贷", amount="100000", term_months=12, guarantees=["保证"]
    )
    listed = list_applications(company.archive, stage="受理")
    assert [i.application.flow.name for i in listed] == ["short"]
    assert listed[0].application.id == app
    assert datetime.now(UTC) >= listed[0].application.created_at
