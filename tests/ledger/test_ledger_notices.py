"""`dossier notices`: every due notice generated, filed, linked to the ledger; a second run adds nothing."""

from __future__ import annotations

import json

import pytest
from kit import all_text
from ledger_fixtures import AS_OF, LENDER, bank_config, contract, ledger_rows, main, write_csv
from sqlalchemy import func, select

from dossier.archive import Archive
from dossier.archive.catalog.ledger_tables import LedgerLoan, LedgerNotice
from dossier.archive.catalog.models import Document, Loan

REMINDED = {contract(n) for n in (1, 2, 5)}
OVERDUE = {contract(n) for n in (6, 7, 8, 9, 10, 14)}


def _notices(home, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["notices", "--home", str(home), "--as-of", AS_OF.isoformat(), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def home(configured, tmp_path, capsys):
    assert (
        main(
            ["ledger", "import", str(write_csv(tmp_path / "l.csv", ledger_rows())), "--home", str(configured)]
        )
        == 0
    )
    capsys.readouterr()
    return configured


def _filed(home) -> list[tuple[str, str, str, str]]:
    with Archive.open(home, config=bank_config(home)) as archive, archive.session(write=False) as s:
        rows = s.execute(
            select(LedgerNotice.kind, Loan.contract_number, Document.path, Document.doc_type)
            .join(LedgerLoan, LedgerNotice.ledger_loan_id == LedgerLoan.id)
            .join(Loan, LedgerLoan.loan_id == Loan.id)
            .join(Document, LedgerNotice.document_id == Document.id)
            .where(Document.state == "filed", Document.loan_id == Loan.id)
        ).all()
        return [(k, c, archive.absolute(p), t) for k, c, p, t in rows]


def test_notices_are_generated_filed_and_readable_then_a_second_run_adds_nothing(home, capsys):
    code, first = _notices(home, capsys, "-j", "2")
    assert code == 0, first
    assert first["summary"] == {
        "reminder": {"generated": 3, "adopted": 0, "already_sent": 0, "failed": 0},
        "collection": {"generated": 6, "adopted": 0, "already_sent": 0, "failed": 0},
        "collection-plan": {"generated": 6, "adopted": 0, "already_sent": 0, "failed": 0},
    }
    filed = _filed(home)
    assert {c for k, c, _, _ in filed if k == "reminder"} == REMINDED
    assert {c for k, c, _, _ in filed if k == "collection"} == OVERDUE
    assert {c for k, c, _, _ in filed if k == "collection-plan"} == OVERDUE
    for kind, number, path, doc_type in filed:
        text = all_text(path)
        assert number in text and LENDER in text
        assert doc_type == {"reminder": "maturity-reminder", "collection": "collection-notice"}.get(
            kind, "collection-plan"
        )
    plan = next(p for k, c, p, _ in filed if k == "collection-plan" and c == contract(6))
    plan_text = all_text(plan)
    # The plan lists the collection notice generated just before it, and the class below its floor.
    assert "逾期贷款催收通知书" in plan_text and "次级" in plan_text and "91天" in plan_text

    code, second = _notices(home, capsys)
    assert code == 0
    assert {k: v["generated"] for k, v in second["summary"].items()} == dict.fromkeys(
        ("reminder", "collection", "collection-plan"), 0
    )
    assert {k: v["already_sent"] for k, v in second["summary"].items()} == {
        "reminder": 3,
        "collection": 6,
        "collection-plan": 6,
    }
    assert len(_filed(home)) == 15


def test_kinds_can_be_chosen_and_an_unknown_kind_exits_2(home, capsys):
    code, report = _notices(home, capsys, "--kinds", "reminder")
    assert code == 0 and list(report["summary"]) == ["reminder"]
    assert {n["contract_number"] for n in report["notices"]} == REMINDED
    assert main(["notices", "--home", str(home), "--kinds", "reminder,letter"]) == 2
    assert "--kinds" in capsys.readouterr().err


def test_a_notice_filed_but_not_linked_is_adopted_not_generated_again(home, capsys):
    _notices(home, capsys, "--kinds", "reminder")
    with Archive.open(home, config=bank_config(home)) as archive, archive.session() as s:
        s.query(LedgerNotice).delete()  # as if the run had stopped between filing and linking
    code, report = _notices(home, capsys, "--kinds", "reminder")
    assert code == 0 and report["summary"]["reminder"]["adopted"] == 3
    assert report["summary"]["reminder"]["generated"] == 0
    with Archive.open(home, config=bank_config(home)) as archive, archive.session(write=False) as s:
        count = s.execute(select(func.count()).where(Document.doc_type == "maturity-reminder")).scalar_one()
        assert count == 3


def test_notices_refuse_to_run_without_a_lender(home, capsys):
    from dossier.cli.app import main as without_the_bank_file

    assert without_the_bank_file(["notices", "--home", str(home), "--as-of", AS_OF.isoformat()]) == 2
    assert "[ledger.lender].name" in capsys.readouterr().err
