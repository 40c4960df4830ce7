"""Every timer of the constructed ledger on 2028-02-29, with the answers worked out by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from ledger_fixtures import (
    AS_OF,
    bank_config,
    company,
    contract,
    ledger_rows,
    main,
    person,
    write_config,
    write_csv,
)

from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.config import load_config
from dossier.ledger.due import DueReport, compute_due
from dossier.ledger.importer import import_ledger
from dossier.ledger.store import load_views


def _due(archive: Archive, as_of: date = AS_OF) -> DueReport:
    views = archive.transaction(lambda s: load_views(s, with_contacts=True), write=False)
    return compute_due(views, as_of, archive.config)


def _by_contract(report: DueReport, section: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in report.section(section):
        found.setdefault(item.contract_number, []).append(item)
    return found


@pytest.fixture
def archive(configured: Path, tmp_path: Path):
    with Archive.open(configured, create=True, config=bank_config(configured)) as opened:
        report = import_ledger(opened, write_csv(tmp_path / "ledger.csv", ledger_rows()), as_of=AS_OF)
        assert report.problems == [] and len(report.added) == 14
        yield opened


def test_reminders_fall_on_t_minus_30_and_t_minus_7(archive):
    reminders = _by_contract(_due(archive), "reminder")
    assert set(reminders) == {contract(1), contract(2), contract(5)}
    # Long term T−30 and short term T−7 both land on the leap day.
    assert [(i.on, i.status) for i in reminders[contract(1)]] == [(date(2028, 2, 29), "due")]
    assert [(i.on, i.status) for i in reminders[contract(2)]] == [(date(2028, 2, 29), "due")]
    # T−7 of 2028-03-05 is Sunday 2028-02-27: holidays move nothing by default, so it is two days late.
    assert [(i.on, i.days, i.status) for i in reminders[contract(5)]] == [(date(2028, 2, 27), -2, "late")]


def test_the_look_ahead_covers_two_months_including_its_boundary(archive):
    ahead = _by_contract(_due(archive), "look-ahead")
    assert set(ahead) == {contract(n) for n in (1, 2, 3, 4, 5)}
    assert ahead[contract(4)][0].on == date(2028, 4, 29)  # 60 days after the leap day
    assert ahead[contract(3)][0].on == date(2028, 3, 31)  # month end; no reminder yet (T−7 = 03-24)
    assert contract(4) not in _by_contract(_due(archive, date(2028, 2, 28)), "look-ahead")


def test_days_past_due_buckets_and_the_class_floor(archive):
    report = _due(archive)
    overdue = {c: items[0].details for c, items in _by_contract(report, "overdue").items()}
    assert {c: d["days_past_due"] for c, d in overdue.items()} == {
        contract(6): 91,
        contract(7): 1,
        contract(8): 1065,
        contract(9): 1461,
        contract(10): 167,
        contract(14): 14,
    }
    assert overdue[contract(6)]["bucket"] == "91–180" and overdue[contract(6)]["floor_class"] == "次级"
    assert overdue[contract(7)]["bucket"] == "1–30" and overdue[contract(7)]["floor_class"] == "关注"
    assert overdue[contract(9)]["bucket"] == ">360" and overdue[contract(9)]["floor_class"] == "损失"
    assert set(_by_contract(report, "class-floor")) == {contract(6), contract(7)}


def test_inspections_due_and_late(archive):
    inspections = {c: (i[0].on, i[0].status) for c, i in _by_contract(_due(archive), "inspection").items()}
    assert inspections == {
        contract(5): (date(2028, 3, 5), "due"),  # short term: monthly; a Sunday, not moved by default
        contract(11): (date(2028, 2, 29), "due"),  # 2028-01-31 + 1 month, clamped to the leap day
        contract(12): (date(2028, 2, 25), "late"),  # first check 15 days after 2028-02-10
    }


def test_limitation_periods_and_a_receipt_that_restarts_one(archive):
    limitation = {c: i[0] for c, i in _by_contract(_due(archive), "limitation").items()}
    assert set(limitation) == {contract(8), contract(9)}
    assert (limitation[contract(8)].on, limitation[contract(8)].status) == (date(2028, 3, 31), "ending")
    # Three years from the leap day 2024-02-29 end on 2027-02-28.
    assert (limitation[contract(9)].on, limitation[contract(9)].status) == (date(2027, 2, 28), "ended")
    file_document(
        archive,
        b"%PDF-1.4 signed receipt",
        borrower_key=person(9),
        category="collection",
        doc_type="collection-receipt",
        title="催收回执",
        contract_number=contract(9),
        doc_date=date(2025, 4, 15),
        filename="催收回执.pdf",
    )
    restarted = _by_contract(_due(archive), "limitation")[contract(9)][0]
    assert (restarted.on, restarted.status, restarted.details["runs_from"]) == (
        date(2028, 4, 15),
        "ending",
        date(2025, 4, 15),
    )


def test_guarantee_periods_end_six_months_after_maturity(archive):
    guarantee = _by_contract(_due(archive), "guarantee")
    assert set(guarantee) == {contract(10)}
    assert {(i.on, i.details["guarantor"]) for i in guarantee[contract(10)]} == {
        (date(2028, 3, 15), person(50)),
        (date(2028, 3, 15), company(51)),
    }


def test_settled_loans_run_no_timer(archive):
    report = _due(archive)
    assert all(item.contract_number != contract(13) for item in report.items)


def test_holidays_move_dates_only_when_configured(configured, tmp_path):
    extra = '[ledger]\naction_shift = "earlier"\nperiod_end_shift = "later"\nholidays = [2028-02-25]\n'
    holidays = load_config(write_config(tmp_path / "holidays.toml", extra))
    with Archive.open(configured, create=True, config=holidays) as archive:
        import_ledger(archive, write_csv(tmp_path / "ledger.csv", ledger_rows()), as_of=AS_OF)
        report = _due(archive)
    # Sunday 02-27 → Saturday → Friday 02-25, a holiday → Thursday 02-24.
    assert _by_contract(report, "reminder")[contract(5)][0].on == date(2028, 2, 24)
    # The monthly check on Sunday 2028-03-05 moves to Friday 03-03.
    assert _by_contract(report, "inspection")[contract(5)][0].on == date(2028, 3, 3)
    # A limitation period ending on Sunday 2027-02-28 runs to Monday 03-01 (民法典第二百零三条).
    assert _by_contract(report, "limitation")[contract(9)][0].on == date(2027, 3, 1)
    # Dates on workdays stay.
    assert _by_contract(report, "reminder")[contract(1)][0].on == date(2028, 2, 29)


def test_due_on_the_command_line(archive, capsys):
    assert main(["due", "--home", str(archive.home), "--as-of", "2028-02-29", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts == {
        "reminder": 3,
        "look-ahead": 5,
        "overdue": 6,
        "class-floor": 2,
        "inspection": 3,
        "limitation": 2,
        "guarantee": 2,
    }
    assert main(["due", "--home", str(archive.home), "--as-of", "2028-02-30"]) == 2
    assert "--as-of" in capsys.readouterr().err
