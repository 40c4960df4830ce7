"""Scope holds on every path that files: uploads, generation, corrections, and where scope comes from.

An officer ("other", 王五) must not be able to tell another officer's borrower (COMPANY, assigned to
"officer") from one that is not registered, whichever evidence names it; nothing may be filed into it;
and only an account (an assignment, or a ledger row's officer_username) gives a borrower to an officer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kit.inbox_samples import credit_code
from servicekit import COMPANY, PASSWORD, Demo, license_pdf, text_pdf
from sqlalchemy import select

from dossier.access.scope import assign
from dossier.access.users import add_user, create_token
from dossier.archive.catalog.models import Borrower, Document, InboxItem
from dossier.archive.home import Archive
from dossier.archive.registry import ensure_loan, find_borrower
from dossier.config import load_config
from dossier.generation import Generator, file_generated
from dossier.kinds.registry import get_kind
from dossier.ledger.importer import import_ledger
from dossier.service.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

HIDDEN_CONTRACT = "JK2026-000318"  # COMPANY's loan in the demo
HIDDEN_RECEIPT = "JJ2026-000318-01"
UNKNOWN = credit_code("91350205MA2XK7Q48")
"""A valid credit code nobody registered, as long as COMPANY's."""
UNKNOWN_CONTRACT = "JK2026-999318"
UNKNOWN_RECEIPT = "JJ2026-999318-01"
OWN: list[str] = []
"""The key of the borrower assigned to "other" (set by the ``world`` fixture)."""
TWIN = "twin"
"""A second officer account with the display name of "officer" (李晓峰)."""


@dataclass(frozen=True)
class Target:
    key: str
    contract: str
    receipt: str


HIDDEN = Target(COMPANY, HIDDEN_CONTRACT, HIDDEN_RECEIPT)
NOBODY = Target(UNKNOWN, UNKNOWN_CONTRACT, UNKNOWN_RECEIPT)


@pytest.fixture(scope="module")
def world(demo: Demo) -> Demo:
    """The demo plus: a receipt number on COMPANY's loan, a borrower of "other"'s own, and TWIN."""
    with Archive.open(demo.home, config=load_config()) as archive:
        ensure_loan(archive, COMPANY, HIDDEN_CONTRACT, facts={"receipt_numbers": [HIDDEN_RECEIPT]})

        def setup(session: Any) -> str:
            own = session.get(Document, demo.documents["collection"][0]).borrower
            assign(session, "other", own, actor="setup")
            add_user(session, TWIN, "officer", PASSWORD, display_name="李晓峰", actor="setup")
            return own.key

        OWN.append(archive.transaction(setup))
        _, secret = archive.transaction(lambda s: create_token(s, TWIN, "tests", actor="setup"))
        demo.tokens[TWIN] = secret
    return demo


# --------------------------------------------------------------------------- uploads

_serial = itertools.count(1)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _note(*lines: str) -> bytes:
    """A fresh one-page PDF (a new serial each time: no upload meets an earlier one as a duplicate)."""
    return text_pdf(["情况说明", *lines, f"编号 SCOPE-{next(_serial):04d}"])


Upload = Callable[[Target], tuple[dict[str, str], str, bytes]]
"""What to send for a target: form fields, file name, content."""

EVIDENCE: dict[str, Upload] = {
    "exact key": lambda t: ({"borrower": t.key}, "情况说明.pdf", _note()),
    "lower-case key": lambda t: ({"borrower": t.key.lower()}, "情况说明.pdf", _note()),
    "full-width key": lambda t: ({"borrower": _fullwidth(t.key)}, "情况说明.pdf", _note()),
    "key-suffix": lambda t: ({"borrower": f"{t.key}-厦门海沧示例贸易有限公司"}, "情况说明.pdf", _note()),
    "contract number": lambda t: ({"borrower": t.contract}, "情况说明.pdf", _note()),
    "receipt number": lambda t: ({}, "借据说明.pdf", _note(f"借据编号 {t.receipt}")),
    "folder field": lambda t: ({"folder": t.key}, "情况说明.pdf", _note()),
    "file name": lambda t: ({}, f"营业执照-{t.key}.pdf", _note()),
    "ID in the text": lambda t: ({}, "营业执照.pdf", _note(f"统一社会信用代码 {t.key}")),
}


def _neutral(value: Any, target: Target) -> Any:
    """``value`` with the target's own identifiers (which the uploader typed) made alike."""
    if isinstance(value, dict):
        return {k: _neutral(v, target) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral(v, target) for v in value]
    if isinstance(value, str):
        for own, alias in (
            (target.receipt, "<receipt>"),
            (target.contract, "<contract>"),
            (target.key, "<key>"),
        ):
            value = value.replace(own, alias).replace(own.lower(), alias).replace(_fullwidth(own), alias)
        return value
    return value


def _company_files(home: Path) -> set[Path]:
    with Archive.open(home, config=load_config()) as archive:
        folder = archive.transaction(lambda s: find_borrower(s, COMPANY).folder, write=False)
    return {p for p in (home / folder).rglob("*") if p.is_file()}


def _company_documents(home: Path) -> int:
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: len(s.execute(select(Document.id).join(Borrower).where(Borrower.key == COMPANY)).all()),
            write=False,
        )


def _journal(home: Path, item_id: int) -> dict[str, Any]:
    with Archive.open(home, config=load_config()) as archive:
        row = archive.transaction(lambda s: s.get(InboxItem, item_id), write=False)
    quarantine = dict((row.details or {}).get("quarantine") or {})
    evidence = dict(quarantine.get("evidence") or {})
    evidence.pop("extraction", None)  # character counts of two different texts
    return {
        "outcome": row.outcome,
        "reason": row.reason,
        "borrower_key": row.borrower_key,
        "document_id": row.document_id,
        "message": quarantine.get("message"),
        "name": quarantine.get("name"),
        "evidence": evidence,
    }


def _upload(client: TestClient, demo: Demo, target: Target, how: Upload) -> tuple[int, dict[str, Any]]:
    data, name, content = how(target)
    response = client.post(
        "/api/v1/documents/upload",
        files={"file": (name, content, "application/pdf")},
        data=data,
        headers=demo.headers("other"),
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("evidence", list(EVIDENCE))
def test_upload_naming_another_officers_borrower_answers_as_an_unregistered_one(
    client: TestClient, world: Demo, evidence: str
) -> None:
    how = EVIDENCE[evidence]
    files_before, documents_before = _company_files(world.home), _company_documents(world.home)

    hidden_status, hidden = _upload(client, world, HIDDEN, how)
    unknown_status, unknown = _upload(client, world, NOBODY, how)

    assert hidden_status == unknown_status == 201, (hidden, unknown)
    hidden_item, unknown_item = hidden.pop("item_id"), unknown.pop("item_id")
    assert _neutral(hidden, HIDDEN) == _neutral(unknown, NOBODY)
    assert hidden["outcome"] == "quarantined" and hidden["reason"] == "no-borrower", hidden
    assert hidden["document"] is None
    # The journal (what an archivist reviews) holds nothing more about the hidden borrower either.
    assert _neutral(_journal(world.home, hidden_item), HIDDEN) == _neutral(
        _journal(world.home, unknown_item), NOBODY
    )
    # Nothing was filed into the other officer's borrower, and no staging folder is left.
    assert _company_files(world.home) == files_before
    assert _company_documents(world.home) == documents_before
    staging = world.home / "_inbox" / ".uploads"
    assert not staging.exists() or not any(staging.iterdir())


def test_upload_into_own_borrower_still_files(client: TestClient, world: Demo) -> None:
    own = OWN[0]
    for data, name in (({"borrower": own.lower()}, "营业执照.pdf"), ({}, f"营业执照-{own}.pdf")):
        response = client.post(
            "/api/v1/documents/upload",
            files={"file": (name, license_pdf(own, serial=f"OWN-{next(_serial)}"), "application/pdf")},
            data=data,
            headers=world.headers("other"),
        )
        assert response.status_code == 201
        assert response.json()["outcome"] == "filed", response.json()
        assert response.json()["document"]["borrower_id"] == world.borrowers[own]


def test_a_hidden_borrower_beside_an_own_one_is_no_conflict(client: TestClient, world: Demo) -> None:
    # Unscoped, IDs of two borrowers are a conflict naming both; for "other" COMPANY is not there.
    own = OWN[0]
    content = text_pdf(
        ["营业执照", f"统一社会信用代码 {own}", f"担保人 {COMPANY}", f"编号 B-{next(_serial)}"]
    )
    result = client.post(
        "/api/v1/documents/upload",
        files={"file": ("营业执照.pdf", content, "application/pdf")},
        headers=world.headers("other"),
    ).json()
    assert COMPANY not in str(result)
    assert result["outcome"] == "filed" and result["document"]["borrower_id"] == world.borrowers[own], result


def test_content_held_only_by_a_hidden_borrower_is_no_duplicate(client: TestClient, world: Demo) -> None:
    # The officer's copy of the same bytes must not be answered "duplicate of document N".
    content = _note(f"统一社会信用代码 {COMPANY}")
    first = client.post(
        "/api/v1/documents/upload",
        files={"file": ("营业执照.pdf", content, "application/pdf")},
        data={"borrower": COMPANY},
        headers=world.headers("officer"),
    ).json()
    assert first["document"] is not None or first["outcome"] == "quarantined", first
    again = client.post(
        "/api/v1/documents/upload",
        files={"file": ("营业执照.pdf", content, "application/pdf")},
        headers=world.headers("other"),
    ).json()
    assert again["outcome"] == "quarantined" and again["document"] is None, again


# --------------------------------------------------------------------------- generation


def _contract_data() -> dict[str, Any]:
    from dossier.archive.audit import plain

    return plain(get_kind("loan-contract").example())  # COMPANY's loan contract


def test_generation_into_a_hidden_borrower_answers_not_found(client: TestClient, world: Demo) -> None:
    before = _company_documents(world.home)
    response = client.post(
        "/api/v1/documents",
        json={"kind": "loan-contract", "data": _contract_data()},
        headers=world.headers("other"),
    )
    assert response.status_code == 404
    assert response.json() == {"detail": f"borrower (借款人) {COMPANY} not found (不存在)"}
    # The same words as for a borrower id that does not exist.
    missing = client.get("/api/v1/borrowers/999999", headers=world.headers("other")).json()["detail"]
    assert missing.replace("999999", COMPANY) == response.json()["detail"]
    assert _company_documents(world.home) == before


def test_generate_page_into_a_hidden_borrower_says_not_found(world: Demo) -> None:
    with TestClient(create_app(world.home, config=load_config())) as client:
        sign_in(client, "other", next_url="/generate")
        token = CSRF.search(client.get("/generate").text).group(1)
        page = client.post(
            "/generate",
            data={
                "kind": "loan-contract",
                "text": get_kind("loan-contract").example_text(),
                "csrf_token": token,
            },
        )
    assert page.status_code == 422
    assert f"borrower (借款人) {COMPANY} not found (不存在)" in page.text
    assert "其他客户经理" not in page.text and "another officer" not in page.text


# --------------------------------------------------------------------------- verification corrects


def test_correcting_a_hidden_record_answers_as_a_missing_one(client: TestClient, world: Demo) -> None:
    theirs = client.post(
        f"/api/v1/documents/{world.documents['loan-contract'][0]}/verifications",
        data={"method": "原件核对", "result": "一致"},
        headers=world.headers("officer"),
    )
    assert theirs.status_code == 201, theirs.text
    hidden_record = theirs.json()["id"]
    mine = world.documents["collection"][0]

    def correct(record: int) -> tuple[int, str]:
        response = client.post(
            f"/api/v1/documents/{mine}/verifications",
            data={"method": "原件核对", "result": "一致", "corrects": str(record)},
            headers=world.headers("other"),
        )
        return response.status_code, response.json()["detail"]

    hidden_status, hidden = correct(hidden_record)
    missing_status, missing = correct(999_999)
    assert hidden_status == missing_status == 422
    assert hidden == missing.replace("999999", str(hidden_record))


# --------------------------------------------------------------------------- where scope comes from


def test_a_second_user_with_the_same_display_name_sees_nothing(client: TestClient, world: Demo) -> None:
    assert client.get("/api/v1/borrowers", headers=world.headers(TWIN)).json()["total"] == 0
    company = world.borrowers[COMPANY]
    assert client.get(f"/api/v1/borrowers/{company}", headers=world.headers(TWIN)).status_code == 404
    doc = world.documents["loan-contract"][0]
    assert client.get(f"/api/v1/documents/{doc}", headers=world.headers(TWIN)).status_code == 404
    hits = client.get("/api/v1/search", params={"q": HIDDEN_CONTRACT}, headers=world.headers(TWIN)).json()
    assert hits["hits"] == []
    # The account the borrower is assigned to still sees it.
    assert client.get(f"/api/v1/borrowers/{company}", headers=world.headers("officer")).status_code == 200


def test_an_officer_named_in_an_input_is_given_nothing(client: TestClient, world: Demo) -> None:
    kind = get_kind("loan-contract")
    data = kind.example()
    data["borrower"]["credit_code"] = credit_code("91350205MA2XK7Q51")
    data["contract_number"] = data["loan"]["contract_number"] = "JK2026-700001"
    data["loan"]["officer"] = "王五"  # the display name of "other"
    with Archive.open(world.home, config=load_config()) as archive:
        filings = file_generated(
            archive, Generator(config=load_config()).generate(kind, data, source="x"), actor="setup"
        )
    borrower_id = client.get(
        f"/api/v1/documents/{filings[0]['document_id']}", headers=world.headers("archivist")
    ).json()["borrower_id"]
    assert client.get(f"/api/v1/borrowers/{borrower_id}", headers=world.headers("other")).status_code == 404


LEDGER_HEADER = (
    "借款合同编号,借据编号,借款人证件号码,借款人名称,借款金额,年利率(%),还款方式,发放日,到期日,贷款余额,"
    "五级分类,客户经理,客户经理用户名"
)


def _ledger_row(contract: str, key: str, name: str, officer: str, username: str) -> str:
    return (
        f"{contract},{contract.replace('JK', 'JJ')}-01,{key},{name},100000.00,3.85,按月付息到期还本,"
        f"2026-03-20,2027-03-20,100000.00,正常,{officer},{username}"
    )


def _import(home: Path, folder: Path, *rows: str) -> Any:
    ledger = folder / "ledger.csv"
    ledger.write_text("\n".join([LEDGER_HEADER, *rows]) + "\n", encoding="utf-8")
    with Archive.open(home, config=load_config()) as archive:
        return import_ledger(archive, ledger, as_of=date(2026, 11, 28), actor="setup")


def _borrower_id(home: Path, key: str) -> int | None:
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(lambda s: (b := find_borrower(s, key)) and b.id, write=False)


def test_an_officer_named_in_a_ledger_row_is_given_nothing(
    client: TestClient, world: Demo, tmp_path: Path
) -> None:
    named = credit_code("91350205MA2XK7Q61")
    report = _import(world.home, tmp_path, _ledger_row("JK2026-800001", named, "示例甲公司", "王五", ""))
    assert report.rejected_lines == []
    borrower = _borrower_id(world.home, named)
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=world.headers("other")).status_code == 404


def test_a_ledger_rows_officer_username_assigns_the_borrower(
    client: TestClient, world: Demo, tmp_path: Path
) -> None:
    mapped, stranger = credit_code("91350205MA2XK7Q62"), credit_code("91350205MA2XK7Q63")
    report = _import(
        world.home,
        tmp_path,
        _ledger_row("JK2026-800002", mapped, "示例乙公司", "某某", "other"),
        _ledger_row("JK2026-800003", stranger, "示例丙公司", "王五", "no-such-user"),
    )
    assert report.rejected_lines == [3]
    problem = report.problems[0]
    assert problem.column == "officer_username 客户经理用户名" and "no-such-user" in problem.reason
    assert _borrower_id(world.home, stranger) is None  # a rejected row writes nothing
    borrower = _borrower_id(world.home, mapped)
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=world.headers("other")).status_code == 200


def sign_in(client: TestClient, username: str, next_url: str) -> None:
    form = client.get(f"/login?next={next_url}")
    token = CSRF.search(form.text).group(1)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": next_url}
    )


def test_migration_0008_turns_unambiguous_officer_names_into_assignments(tmp_path: Path) -> None:
    from dossier.access.scope import assigned_ids
    from dossier.archive.catalog.user_tables import User
    from dossier.archive.registry import ensure_borrower

    home = tmp_path / "home"
    named, on_loan, shared = (credit_code(f"91350205MA2XK7Q{n}") for n in ("71", "72", "73"))
    with Archive.init(home, config=load_config()) as archive:
        ensure_borrower(archive, named, "示例丁公司", "enterprise", officer="李晓峰")
        ensure_borrower(archive, on_loan, "示例戊公司", "enterprise")
        ensure_loan(archive, on_loan, "JK2026-900001", facts={"officer": "李晓峰"})
        ensure_borrower(archive, shared, "示例己公司", "enterprise", officer="王五")
        for username, name in (("li", "李晓峰"), ("wang1", "王五"), ("wang2", "王五")):
            archive.transaction(
                lambda s, u=username, n=name: add_user(s, u, "officer", PASSWORD, display_name=n, actor="t")
            )
        url = archive.engine.url.render_as_string(hide_password=False)
    # The catalog as the revision before 0008 left it (later migrations undone): names, no assignments.
    from alembic import command
    from sqlalchemy import create_engine, text

    from dossier.archive.catalog.db import alembic_config

    command.downgrade(alembic_config(url), "0007")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("delete from borrower_assignments"))
    engine.dispose()
    with Archive.open(home, config=load_config()) as archive:

        def seen(session: Any) -> dict[str, set[str]]:
            users = session.execute(select(User)).scalars()
            return {
                u.username: {session.get(Borrower, b).key for b in assigned_ids(session, u.id)} for u in users
            }

        assert archive.transaction(seen, write=False) == {
            "li": {named, on_loan},
            "wang1": set(),
            "wang2": set(),
        }
