"""The credit process end to end on a real archive: the full path to 放款, returns, rejections,
withdrawal, refusals that change nothing, the optimistic lock, and the chain verified throughout."""

from __future__ import annotations

from pathlib import Path

import pytest
from processkit import INTAKE, INVESTIGATION, KEY, SIGNING, Kit, make_kit
from sqlalchemy import func, select

from dossier.archive.audit import verify_chain
from dossier.archive.catalog.models import Event
from dossier.archive.catalog.process_tables import ApplicationRow
from dossier.process.enums import Refusal, Status
from dossier.process.errors import ProcessRefused
from dossier.process.record import process_record, record_issue
from dossier.process.store import load
from dossier.process.transitions import parse_conditions


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path / "home")


def chain_ok(kit: Kit) -> None:
    report = kit.archive.transaction(lambda s: verify_chain(s), write=False)
    assert report.ok, report


def state(kit: Kit, app: int) -> tuple:
    def read(s):
        row = s.get(ApplicationRow, app)
        events = s.execute(select(func.count()).select_from(Event)).scalar_one()
        return (row.stage, row.status, row.version, row.holder, dict(row.conditions), events)

    return kit.archive.transaction(read, write=False)


def refused(kit: Kit, app: int, reason: Refusal, fn) -> ProcessRefused:
    before = state(kit, app)
    with pytest.raises(ProcessRefused) as caught:
        fn()
    assert caught.value.reason is reason, caught.value
    assert state(kit, app) == before, "a refused step changed something"
    # Both languages: the English account and the Chinese one.
    assert caught.value.english and caught.value.chinese and caught.value.chinese in str(caught.value)
    return caught.value


def to_check(kit: Kit) -> int:
    """A new application through 受理 and 调查, waiting for 复核."""
    app = kit.apply()
    kit.file_stage(INTAKE)
    kit.act(app, "advance", "li")
    docs = kit.file_stage(INVESTIGATION)
    kit.site_visit(docs[0])
    kit.act(app, "advance", "li")
    return app


def test_full_path_to_disbursement(kit: Kit) -> None:
    app = kit.apply()
    assert load_app(kit, app).stage == "intake" and load_app(kit, app).holder == "li"
    blocked = refused(kit, app, Refusal.GATE, lambda: kit.act(app, "advance", "li"))
    assert "借款申请书" in blocked.chinese and len(blocked.blockers) == 4
    kit.file_stage(INTAKE)
    chain_ok(kit)
    assert kit.act(app, "advance", "li").stage == "investigation"
    docs = kit.file_stage(INVESTIGATION)
    # 双人调查: the investigation stage needs a site visit by two people.
    blocked = refused(kit, app, Refusal.GATE, lambda: kit.act(app, "advance", "li"))
    assert "双人调查" in blocked.chinese
    kit.site_visit(docs[0])
    moved = kit.act(app, "advance", "li")
    assert (moved.stage, moved.holder) == ("check", None)
    moved = kit.act(app, "advance", "zhao", expected_version=moved.version)
    assert moved.stage == "review"
    moved = kit.act(app, "advance", "qian", reasons=["资料齐全，风险可控"])
    assert moved.stage == "approval"
    moved = kit.act(app, "approve", "sun")
    assert (moved.stage, moved.holder) == ("signing", "li")
    blocked = refused(kit, app, Refusal.GATE, lambda: kit.act(app, "advance", "li"))
    assert "录像资料" in blocked.chinese and "借款合同" in blocked.chinese
    kit.file_stage(SIGNING)
    assert kit.act(app, "advance", "li").stage == "disbursement"
    done = kit.act(app, "advance", "li")
    assert (done.stage, done.status, done.holder) == ("post-loan", Status.LOAN, None)
    chain_ok(kit)

    record = process_record(kit.archive, app)
    kinds = [p["kind"] for p in record.path]
    assert kinds == ["submit", "advance", "advance", "advance", "advance", "approve", "advance", "advance"]
    assert [p["actor"] for p in record.path] == ["li", "li", "li", "zhao", "qian", "sun", "li", "li"]
    # Each step names the documents it relied on, by hash, as filed.
    leaving_intake = record.path[1]
    assert {d["doc_type"] for d in leaving_intake["documents"]} == set(INTAKE)
    assert all(len(d["sha256"]) == 64 for d in leaving_intake["documents"])
    assert record.path[2]["investigators"] == ["li", "wang"]
    assert record.separation_held and len(record.separation) == 3
    seq = record_issue(kit.archive, record, "auditor")
    logged = kit.archive.transaction(lambda s: s.get(Event, seq).details, write=False)
    assert logged["fingerprint"] == record.fingerprint
    # Rebuilt at the same head, the record is the same record.
    assert process_record(kit.archive, app, until_seq=record.head_seq).fingerprint == record.fingerprint
    assert "审批流程记录" in record.to_html(kit.archive.config)
    chain_ok(kit)
    refused(kit, app, Refusal.CLOSED, lambda: kit.act(app, "advance", "li"))


def load_app(kit: Kit, app: int):
    return kit.archive.transaction(lambda s: load(s, app, kit.archive.config), write=False)


def test_returns_go_back_to_who_acted_there_with_reasons(kit: Kit) -> None:
    app = to_check(kit)
    refused(kit, app, Refusal.INVALID, lambda: kit.act(app, "return", "zhao"))
    refused(
        kit, app, Refusal.OUT_OF_ORDER, lambda: kit.act(app, "return", "zhao", reasons=["x"], to_stage="审批")
    )
    back = kit.act(app, "return", "zhao", reasons=["调查报告未写还款来源"])
    assert (back.stage, back.holder, back.status) == ("investigation", "li", Status.OPEN)
    kit.act(app, "advance", "li")
    kit.act(app, "advance", "zhao")
    # 审查 returns straight to 受理 (an earlier stage by label), naming the missing materials.
    back = kit.act(
        app, "return", "qian", reasons=["缺收入证明原件"], to_stage="受理", doc_types=["income-proof"]
    )
    assert (back.stage, back.holder) == ("intake", "li")
    assert [i.doc_type for i in back.open_items] == ["income-proof"]
    for actor in ("li", "li", "zhao"):
        kit.act(app, "advance", actor)
    # The open item blocks 审查 until the document is filed, then closes itself.
    blocked = refused(kit, app, Refusal.GATE, lambda: kit.act(app, "advance", "qian"))
    assert "收入证明" in blocked.chinese
    kit.file("income-proof")
    assert not load_app(kit, app).open_items
    assert kit.act(app, "advance", "qian").stage == "approval"
    # 审批 returns to 审查: the risk manager who acted there holds it again.
    back = kit.act(app, "return", "sun", reasons=["请补充担保分析"])
    assert (back.stage, back.holder) == ("review", "qian")
    refused(kit, app, Refusal.WRONG_ROLE, lambda: kit.act(app, "advance", "zhao"))
    chain_ok(kit)


@pytest.mark.parametrize(("stage_actor", "steps"), [("qian", 0), ("sun", 1)])
def test_rejection_is_final_with_reasons(kit: Kit, stage_actor: str, steps: int) -> None:
    app = to_check(kit)
    kit.act(app, "advance", "zhao")
    if steps:
        kit.act(app, "advance", "qian")
    refused(kit, app, Refusal.INVALID, lambda: kit.act(app, "reject", stage_actor))
    done = kit.act(app, "reject", stage_actor, reasons=["负债率过高", "还款来源不足"])
    assert done.status is Status.REJECTED and done.holder is None
    assert done.steps[-1].reasons == ("负债率过高", "还款来源不足")
    for actor, kind in (("li", "withdraw"), (stage_actor, "advance"), (stage_actor, "reject")):
        refused(kit, app, Refusal.CLOSED, lambda a=actor, k=kind: kit.act(app, k, a, reasons=["again"]))
    chain_ok(kit)


def test_withdrawal_by_the_applicant_only(kit: Kit) -> None:
    app = to_check(kit)
    kit.act(app, "request", "zhao", doc_types=["bank-statement"])
    refused(kit, app, Refusal.WRONG_ROLE, lambda: kit.act(app, "withdraw", "wang"))
    done = kit.act(app, "withdraw", "li", reasons=["客户不再需要"])
    assert done.status is Status.WITHDRAWN
    # Its open item closed with it, met by no document; a later filing of the type leaves it alone.
    assert [(i.open, i.closed_by_document) for i in done.items] == [(False, None)]
    kit.file("bank-statement")
    closing = kit.archive.transaction(
        lambda s: s.execute(select(Event).where(Event.action == "application.item-closed")).scalars().all(),
        write=False,
    )
    assert closing == []


def test_wrong_role_and_out_of_order_are_refused_and_change_nothing(kit: Kit) -> None:
    app = kit.apply()
    kit.file_stage(INTAKE)
    refused(kit, app, Refusal.WRONG_ROLE, lambda: kit.act(app, "advance", "zhao"))
    refused(kit, app, Refusal.OUT_OF_ORDER, lambda: kit.act(app, "approve", "li"))
    refused(kit, app, Refusal.OUT_OF_ORDER, lambda: kit.act(app, "reject", "li", reasons=["x"]))
    wrong = refused(kit, app, Refusal.WRONG_ROLE, lambda: kit.act(app, "advance", "sun"))
    assert "受理环节由客户经理办理" in wrong.chinese and "role officer" in wrong.english
    refused(kit, app, Refusal.NOT_FOUND, lambda: kit.act(999, "advance", "li"))
    # A hidden borrower's application is answered like a missing one.
    refused(kit, app, Refusal.NOT_FOUND, lambda: kit.act(app, "advance", "li", visible=set()))
    chain_ok(kit)


def test_two_people_acting_at_once_one_wins_the_other_is_told_it_moved(kit: Kit) -> None:
    app = to_check(kit)
    seen = load_app(kit, app).version
    kit.act(app, "advance", "zhao", expected_version=seen)
    moved = refused(
        kit, app, Refusal.MOVED, lambda: kit.act(app, "return", "qian", reasons=["x"], expected_version=seen)
    )
    assert "已被他人处理" in moved.chinese and "moved on" in moved.english


def test_request_for_materials_opens_items_closed_by_an_upload(kit: Kit) -> None:
    app = to_check(kit)
    kit.act(app, "advance", "zhao")
    refused(kit, app, Refusal.INVALID, lambda: kit.act(app, "request", "qian"))
    asked = kit.act(
        app, "request", "qian", doc_types=["不动产权证书", "bank-statement"], reasons=["核实资产"]
    )
    assert asked.stage == "review" and {i.doc_type for i in asked.open_items} == {
        "property-certificate",
        "bank-statement",
    }
    kit.file("bank-statement")
    left = load_app(kit, app).open_items
    assert [i.doc_type for i in left] == ["property-certificate"]
    refused(kit, app, Refusal.GATE, lambda: kit.act(app, "advance", "qian"))
    document = kit.file("property-certificate")
    closed = load_app(kit, app).items
    assert all(not i.open for i in closed) and closed[0].closed_by_document == document
    passed = kit.act(app, "advance", "qian")
    assert passed.stage == "approval"
    # The step names the documents that met the items among those it relied on.
    assert document in [d["id"] for d in passed.steps[-1].details["documents"]]
    closing = kit.archive.transaction(
        lambda s: s.execute(select(Event).where(Event.action == "application.item-closed")).scalars().all(),
        write=False,
    )
    assert len(closing) == 2 and closing[-1].details["document"] == document
    chain_ok(kit)


def test_conditions_cannot_raise_the_amount_or_the_term(kit: Kit) -> None:
    app = to_check(kit)
    kit.act(app, "advance", "zhao")
    more = parse_conditions(amount="250000")
    refused(kit, app, Refusal.INVALID, lambda: kit.act(app, "approve", "qian", conditions=more))
    longer = parse_conditions(term_months=36)
    refused(kit, app, Refusal.INVALID, lambda: kit.act(app, "approve", "qian", conditions=longer))
    with pytest.raises(ProcessRefused):
        parse_conditions(amount="abc")
    done = kit.act(app, "approve", "qian", conditions=parse_conditions(amount="150000", notes=["受托支付"]))
    assert done.conditions["amount"] == "150000.00" and done.conditions["conditional"]
    assert KEY == done.borrower_key


def test_the_diligence_report_shows_the_application_path(kit: Kit) -> None:
    from dossier.verification import check_report, diligence_report

    before = diligence_report(kit.archive, KEY)
    assert "applications" not in before.to_dict()  # a report made before any application is unchanged
    app = to_check(kit)
    kit.act(app, "return", "zhao", reasons=["调查不充分"])
    report = diligence_report(kit.archive, KEY)
    (path,) = report.to_dict()["applications"]
    assert [(p["actor"], p["kind"]) for p in path["path"]][-1] == ("zhao", "return")
    assert path["path"][-1]["reasons"] == ["调查不充分"]
    assert "三、授信申请流程" in report.to_html(kit.archive.config)
    assert check_report(kit.archive, report.to_dict()).ok
    tampered = report.to_dict()
    tampered["applications"][0]["path"][-1]["actor"] = "someone-else"
    assert not check_report(kit.archive, tampered).ok


def test_two_threads_at_the_same_moment_one_wins(kit: Kit) -> None:
    import threading

    app = to_check(kit)
    seen = load_app(kit, app).version
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def attempt(kind: str) -> None:
        start.wait()
        try:
            outcomes.append(kit.act(app, kind, "zhao", reasons=["同时办理"], expected_version=seen))
        except ProcessRefused as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=attempt, args=(k,)) for k in ("advance", "return")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count(Refusal.MOVED) == 1
    assert load_app(kit, app).version == seen + 1
    chain_ok(kit)
