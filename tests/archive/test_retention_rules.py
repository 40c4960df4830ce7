"""Retention: the longest applicable rule counted from 1 January after settlement, legal holds, and the
`dossier settle | hold | retention` commands (which never delete anything)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import verify_chain
from dossier.archive.catalog.models import Event
from dossier.archive.completeness import BorrowerSnapshot, DocumentFacts, LoanFacts
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.archive.retention import retention_settings, review_retention
from dossier.cli.app import main
from dossier.config import Config, load_config
from dossier.errors import ConfigError

KEY = "110101199003077777"


def _by_id(snapshot: BorrowerSnapshot, as_of: date, config: Config | None = None):
    config = config or load_config()
    return {r.document_id: r for r in review_retention(snapshot, as_of, config=config)}


def _snapshot(*loans: LoanFacts, docs: tuple[DocumentFacts, ...], hold: bool = False) -> BorrowerSnapshot:
    return BorrowerSnapshot(KEY, "张三", "person", legal_hold=hold, loans=loans, documents=docs)


def test_short_and_long_term_loans_count_from_the_year_after_settlement() -> None:
    short = LoanFacts("S1", term_months=12, settled_on=date(2020, 6, 30))
    long = LoanFacts("L1", term_months=36, settled_on=date(2020, 6, 30))
    snapshot = _snapshot(
        short,
        long,
        docs=(
            DocumentFacts(1, "loan-contract", loan="S1"),
            DocumentFacts(2, "loan-contract", loan="L1"),
            DocumentFacts(3, "loan-receipt", loan="S1"),
        ),
    )

    on_last_day = _by_id(snapshot, date(2025, 12, 31))
    assert on_last_day[1].keep_until == date(2025, 12, 31) and not on_last_day[1].past_retention
    assert on_last_day[1].years == 5 and on_last_day[2].years == 20
    # A 借据 is an accounting voucher: 30 years beat the loan file's 5.
    assert on_last_day[3].years == 30 and on_last_day[3].rules == ("accounting-voucher=30", "loan-file=5")
    next_day = _by_id(snapshot, date(2026, 1, 1))
    assert next_day[1].past_retention and next_day[1].may_be_destroyed
    assert not next_day[2].past_retention and next_day[2].keep_until == date(2040, 12, 31)


def test_the_borrowers_own_documents_wait_for_the_last_settlement() -> None:
    first = LoanFacts("A1", term_months=6, settled_on=date(2018, 3, 1))
    second = LoanFacts("A2", term_months=6, settled_on=None)
    identity = DocumentFacts(1, "id-card")
    open_file = _by_id(_snapshot(first, second, docs=(identity,)), date(2060, 1, 1))
    assert open_file[1].settled_on is None and not open_file[1].past_retention

    second = LoanFacts("A2", term_months=6, settled_on=date(2019, 9, 1))
    settled = _by_id(_snapshot(first, second, docs=(identity,)), date(2030, 1, 1))
    # customer-identity (10) against the loan file of short-term loans (5), from 1 January 2020.
    assert settled[1].settled_on == date(2019, 9, 1)
    assert settled[1].years == 10 and settled[1].keep_until == date(2029, 12, 31)
    assert settled[1].past_retention


def test_an_unknown_term_counts_as_long_and_a_permanent_flag_keeps_forever() -> None:
    unknown = LoanFacts("U1", settled_on=date(2000, 1, 1))
    docs = (
        DocumentFacts(1, "investigation-report", loan="U1"),
        DocumentFacts(2, "investigation-report", loan="U1", flags=("permanent",)),
    )
    result = _by_id(_snapshot(unknown, docs=docs), date(2100, 1, 1))
    assert result[1].years == 20 and result[1].past_retention
    assert result[2].years is None and result[2].keep_until is None and not result[2].past_retention


def test_a_legal_hold_on_the_loan_or_the_borrower_blocks_destruction() -> None:
    held_loan = LoanFacts("H1", term_months=12, settled_on=date(2010, 1, 1), legal_hold=True)
    free_loan = LoanFacts("F1", term_months=12, settled_on=date(2010, 1, 1))
    docs = (
        DocumentFacts(1, "loan-contract", loan="H1"),
        DocumentFacts(2, "loan-contract", loan="F1"),
        DocumentFacts(3, "hukou"),
    )
    result = _by_id(_snapshot(held_loan, free_loan, docs=docs), date(2030, 1, 1))
    assert result[1].hold_on == ("loan:H1",) and not result[1].may_be_destroyed
    assert result[2].legal_hold is False and result[2].may_be_destroyed
    assert result[3].hold_on == ("loan:H1",)  # the borrower's papers serve the held loan too
    whole = _by_id(_snapshot(held_loan, free_loan, docs=docs, hold=True), date(2030, 1, 1))
    assert whole[2].hold_on == ("borrower",) and all(
        r.past_retention and r.legal_hold for r in whole.values()
    )


def _config(**retention: object) -> Config:
    data = copy.deepcopy(dict(load_config().data))
    data["retention"] = {**data["retention"], **retention}
    return Config(data=data, sources=("defaults", "test"))


def test_rules_come_from_the_configuration() -> None:
    config = _config(**{"loan-file": {"permanent": True}})
    loan = LoanFacts("S1", term_months=12, settled_on=date(2000, 1, 1))
    result = _by_id(
        _snapshot(loan, docs=(DocumentFacts(1, "loan-contract", loan="S1"),)), date(2200, 1, 1), config
    )
    assert result[1].years is None and not result[1].past_retention
    with pytest.raises(ConfigError, match=r"retention\.loan-file"):
        retention_settings(_config(**{"loan-file": {"years": 5, "short_term_years": 1}}))
    with pytest.raises(ConfigError, match="base_rule"):
        retention_settings(_config(base_rule="nothing"))


# --------------------------------------------------------------------------- through the CLI


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    with Archive.init(path, config=load_config()) as archive:
        ensure_borrower(archive, KEY, "张三", "person", actor="test")
        ensure_loan(archive, KEY, "JK2019-0001", facts={"term_months": 12}, actor="test")
        file_document(
            archive,
            b"contract",
            borrower_key=KEY,
            category="contracts",
            doc_type="loan-contract",
            title="借款合同",
            original_name="contract.pdf",
            contract_number="JK2019-0001",
            actor="test",
        )
        file_document(
            archive,
            b"receipt",
            borrower_key=KEY,
            category="disbursement",
            doc_type="loan-receipt",
            title="借据",
            original_name="receipt.pdf",
            contract_number="JK2019-0001",
            actor="test",
        )
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_settle_hold_and_retention_commands(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = ("--home", str(home))
    code, out = _run(capsys, "retention", "--as-of", "2040-01-01", "--json", *h)
    assert code == 0 and json.loads(out)["past_retention"] == 0  # not settled: the period has not begun

    assert (
        _run(capsys, "settle", KEY, "--loan", "JK2019-0001", "--date", "2019-12-31", "--actor", "档案员", *h)[
            0
        ]
        == 0
    )
    code, out = _run(capsys, "retention", "--as-of", "2025-01-01", "--json", *h)
    report = json.loads(out)
    assert [d["doc_type"] for d in report["documents"]] == ["loan-contract"]
    assert report["documents"][0]["keep_until"] == "2024-12-31" and report["may_be_destroyed"] == 1

    code, _ = _run(capsys, "hold", KEY, "--loan", "JK2019-0001", "--reason", "诉讼", "--actor", "法务", *h)
    assert code == 0
    report = json.loads(_run(capsys, "retention", "--as-of", "2025-01-01", "--json", *h)[1])
    assert report["held"] == 1 and report["may_be_destroyed"] == 0
    assert report["documents"][0]["hold_on"] == ["loan:JK2019-0001"]
    code, out = _run(capsys, "retention", "--as-of", "2025-01-01", *h)
    assert "冻结" in out and "不会自动删除" in out

    assert _run(capsys, "hold", KEY, "--loan", "JK2019-0001", "--release", "--actor", "法务", *h)[0] == 0
    assert json.loads(_run(capsys, "retention", "--as-of", "2025-01-01", "--json", *h)[1])["held"] == 0

    # Nothing was deleted, and every change is in the (still intact) audit log.
    assert sorted(p.name for p in home.rglob("*.pdf")) == ["借据.pdf", "借款合同.pdf"]
    with Archive.open(home, config=load_config()) as archive, archive.session(write=False) as session:
        events = list(
            session.scalars(
                select(Event)
                .where(Event.action.in_(["settle", "legal-hold", "release-hold"]))
                .order_by(Event.seq)
            )
        )
        assert [(e.action, e.actor) for e in events] == [
            ("settle", "档案员"),
            ("legal-hold", "法务"),
            ("release-hold", "法务"),
        ]
        assert events[0].details == {"settled_on": "2019-12-31"}
        assert events[1].details == {"legal_hold": True, "reason": "诉讼"}
        assert verify_chain(session).ok


def test_hold_on_the_borrower_and_unknown_names_are_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = ("--home", str(home))
    assert _run(capsys, "hold", KEY, *h)[0] == 0
    code, out = _run(capsys, "hold", KEY, "--json", *h)
    assert code == 0 and json.loads(out) == {
        "target": f"borrower:{KEY}",
        "legal_hold": True,
        "changed": False,
    }
    assert main(["hold", KEY, "--loan", "JK2019-9999", *h]) == 2
    assert "JK2019-9999" in capsys.readouterr().err
    assert main(["settle", "110101199003071234", "--loan", "JK2019-0001", "--date", "2020-01-01", *h]) == 2
    assert main(["settle", KEY, "--loan", "JK2019-0001", "--date", "2020-02-30", *h]) == 2
