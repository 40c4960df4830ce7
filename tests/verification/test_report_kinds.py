"""The two new kinds' derived figures: the warning report's DPD floor and the collection report's
limitation period; and a warning report filled from the loan ledger."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dossier.archive import Archive
from dossier.config import load_config
from dossier.kinds.registry import get_kind
from dossier.ledger.columns import COLUMNS
from dossier.ledger.importer import import_ledger
from dossier.ledger.inputs import warning_report_input
from dossier.ledger.store import load_views


def derived(kind: str, **changes: Any) -> tuple[Any, dict[str, Any]]:
    found = get_kind(kind)
    data = found.schema.model_validate({**found.example(), **changes}, context={"config": load_config()})
    return data, dict(found.derive(data, load_config()))


def test_the_warning_report_records_the_worse_of_the_proposal_and_the_floor() -> None:
    _, figures = derived("warning-report")
    assert (figures["days_past_due"], figures["dpd_floor"], figures["final_class"]) == (61, "关注", "关注")
    assert figures["report_type"] == "逾期预警" and figures["downgrade"] is True
    assert figures["overdue_total"] == Decimal("303335.00") and figures["warnings"] == []
    _, figures = derived("warning-report", proposed_class="正常", as_of=date(2027, 1, 20))
    assert (figures["days_past_due"], figures["dpd_floor"], figures["final_class"]) == (122, "次级", "次级")
    assert "优于逾期122天对应的下限次级" in figures["warnings"][0]
    with pytest.raises(ValidationError, match="最早未还款到期日"):
        derived("warning-report", earliest_unpaid_due=None)


def test_the_collection_report_says_whether_the_limitation_period_was_interrupted() -> None:
    _, figures = derived("collection-report")
    assert figures["interrupted"] is True and figures["last_interruption"] == date(2026, 11, 20)
    assert figures["limitation_ends"] == date(2029, 11, 20) and figures["recovered_total"] == Decimal(
        "3335.00"
    )
    assert figures["interrupt_marks"] == ["是", "否", "否", "是"]
    assert figures["outstanding"] == Decimal("300000.00") and figures["days_past_due"] == 66
    # Calls and texts without a promise or a receipt prove nothing: the period runs from the due date.
    quiet = [
        {"acted_on": "2026-10-16", "kind": "电话", "staff": ["吴晓东"], "result": "无人接听"},
        {"acted_on": "2026-11-05", "kind": "短信", "staff": ["吴晓东"], "result": "未回复"},
    ]
    _, figures = derived("collection-report", actions=quiet, as_of=date(2029, 8, 1))
    assert figures["interrupted"] is False and figures["limitation_runs_from"] == date(2026, 9, 20)
    assert figures["limitation_ends"] == date(2029, 9, 20) and figures["limitation_days_left"] == 50
    assert "诉讼时效将于2029-09-20届满" in figures["warnings"][0]
    lawsuit = [*quiet, {"acted_on": "2027-01-10", "kind": "起诉", "staff": ["吴晓东"], "result": "已立案"}]
    _, figures = derived("collection-report", actions=lawsuit, as_of=date(2027, 2, 1))
    assert figures["last_interruption"] == date(2027, 1, 10)
    with pytest.raises(ValidationError, match="两名不同人员"):
        derived("collection-report", actions=[{**quiet[0], "kind": "上门", "staff": ["吴晓东", "吴晓东"]}])


def ledger_csv(path: Path) -> Path:
    row = {
        "contract_no": "JK2025-000123",
        "receipt_no": "JJ2025-000123-01",
        "borrower_key": "91350203MA2YK7L54P",
        "borrower_name": "厦门鑫海源贸易有限公司",
        "product": "小微流贷",
        "amount": "300000.00",
        "rate": "4.35",
        "method": "按月付息到期还本",
        "start_date": "2025-09-20",
        "maturity_date": "2026-09-20",
        "balance": "300000.00",
        "overdue_principal": "300000.00",
        "overdue_interest": "3335.00",
        "overdue_since": "2026-09-20",
        "last_inspection": "2026-08-15",
        "class": "正常",
        "officer": "吴晓东",
        "guarantors": "",
    }
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.name for c in COLUMNS])
        writer.writerow([row.get(c.name, "") for c in COLUMNS])
    return path


def test_a_warning_report_is_filled_from_a_ledger_loan(tmp_path: Path) -> None:
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        import_ledger(archive, ledger_csv(tmp_path / "ledger.csv"), as_of=date(2026, 11, 20))
        (view,) = archive.transaction(lambda s: load_views(s), write=False)
    lender = {"name": "厦门示例农村商业银行股份有限公司思明支行"}
    data = warning_report_input(
        view,
        date(2026, 11, 20),
        measures=["两人上门催收"],
        reporter="吴晓东",
        lender=lender,
        config=load_config(),
    )
    kind = get_kind("warning-report")
    report = kind.schema.model_validate(data, context={"config": load_config()})
    figures = kind.derive(report, load_config())
    assert report.loan.contract_number == "JK2025-000123" and report.borrower.name == "厦门鑫海源贸易有限公司"
    assert (figures["days_past_due"], figures["final_class"]) == (61, "关注")
    assert report.current_class.value == "正常" and report.proposed_class.value == "关注"
    assert report.signals[0].kind.value == "overdue" and "逾期61天" in report.signals[0].description
