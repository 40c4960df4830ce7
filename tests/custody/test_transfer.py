"""A transfer to 资产保全 with its snapshot: the completeness state and the chain head at transfer, a
document filed later told apart, and the due list naming the department from the transfer's date."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from custodykit import COMPANY, START, Clock, Kit, chain_ok
from fastapi.testclient import TestClient
from kit.inbox_samples import text_pdf

from dossier.archive.filing import file_document
from dossier.archive.home import Archive
from dossier.config import load_config
from dossier.ledger.importer import import_ledger
from dossier.ledger.store import load_views

CONTRACT = "JK2026-000318"
"""The loan contract example's loan (borrower COMPANY, officer 李晓峰)."""


def _ledger(kit: Kit, tmp: Path) -> None:
    path = tmp / "ledger.csv"
    row = {
        "contract_no": CONTRACT,
        "receipt_no": "JJ2026-000318-01",
        "borrower_key": COMPANY,
        "borrower_name": "厦门海沧示例贸易有限公司",
        "amount": "1250000.00",
        "rate": "3.45",
        "method": "按月付息到期还本",
        "start_date": "2026-03-20",
        "maturity_date": "2028-03-20",
        "balance": "1250000.00",
        "overdue_principal": "0",
        "overdue_interest": "15000.00",
        "overdue_since": "2026-09-21",
        "class": "次级",
        "officer": "李晓峰",
    }
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    with Archive.open(kit.home, config=load_config()) as archive:
        import_ledger(archive, path, as_of=date(2026, 12, 1), actor="setup")


def _officers(kit: Kit) -> dict[str, str | None]:
    with Archive.open(kit.home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: {v.contract_number: v.officer for v in load_views(s)}, write=False
        )


def test_transfer_with_its_snapshot(client: TestClient, kit: Kit, clock: Clock, tmp_path: Path) -> None:
    clock.now = START
    _ledger(kit, tmp_path)
    assert _officers(kit)[CONTRACT] == "李晓峰"
    body = {
        "borrower": COMPANY,
        "contract_number": CONTRACT,
        "department": "asset-preservation",
        "reason": "逾期欠息，催收无果",
        "effective_on": "2026-12-01",
    }
    assert client.post("/api/v1/transfers", json=body, headers=kit.headers("li")).status_code == 403
    unknown = client.post(
        "/api/v1/transfers", json={**body, "department": "nowhere"}, headers=kit.headers("archivist")
    )
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["path"] == "department"

    made = client.post("/api/v1/transfers", json=body, headers=kit.headers("archivist"))
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["department_label"] == "资产保全部" and out["contract_number"] == CONTRACT
    snapshot = out["snapshot"]
    state = snapshot["completeness"]
    assert state["borrower_key"] == COMPANY
    assert [loan["contract_number"] for loan in state["loans"]] == [CONTRACT]
    assert state["loans"][0]["five_class"] == "次级" and state["loans"][0]["balance"] == "1250000.00"
    assert state["missing"] > 0 and state["to_supply"]  # the example file is far from complete
    assert any(t["section"] == "overdue" for t in state["timers"])
    handed = set(snapshot["documents"])
    assert handed and out["chain_seq"] > 0 and len(out["chain_hash"]) == 64
    # The transfer list itself is filed after the snapshot, in 08-催收与资产保全.
    listed = out["document_ids"]
    assert len(listed) == 1 and out["added_since"] == listed
    with Archive.open(kit.home, config=load_config()) as archive:
        from dossier.archive.catalog.models import Document

        filed = archive.transaction(lambda s: s.get(Document, listed[0]), write=False)
        assert (filed.category, filed.doc_type) == ("collection", "transfer-list")
        assert out["number"] in filed.title or out["number"] in filed.path

    # Filed after the transfer: told apart from what was handed over.
    with Archive.open(kit.home, config=load_config()) as archive:
        later = file_document(
            archive,
            text_pdf(["催收回执", "TRANSFER-LATER"]),
            borrower_key=COMPANY,
            category="collection",
            doc_type="other",
            title="后补材料",
            contract_number=CONTRACT,
            actor="setup",
        ).document_id
    again = client.get(f"/api/v1/transfers/{out['number']}", headers=kit.headers("archivist")).json()
    assert again["added_since"] == [*listed, later] and later not in handed

    # From the transfer's date the due list names the department, and so does a collection notice.
    assert _officers(kit)[CONTRACT] == "资产保全部"
    with Archive.open(kit.home, config=load_config()) as archive:
        from dossier.ledger.inputs import collection_input
        from dossier.ledger.settings import ledger_settings

        view = next(v for v in archive.transaction(load_views, write=False) if v.contract_number == CONTRACT)
        notice = collection_input(
            view, date(2026, 12, 1), {"name": "示例银行"}, ledger_settings(archive.config)
        )
        assert notice["contact"] == "客户经理 资产保全部"
    assert chain_ok(kit.home)


def test_a_whole_borrower_goes_to_the_departments_account_alone(client: TestClient, kit: Kit) -> None:
    from kit.config import config_with

    from dossier.custody.transfer import transfer

    departments = {"asset-preservation": {"label": "资产保全部", "account": "wang"}}
    config = config_with("custody", departments=departments)
    other = next(key for key in kit.borrowers if key != COMPANY)
    borrower = kit.borrowers[other]
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers("li")).status_code == 200
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers("wang")).status_code == 404
    with Archive.open(kit.home, config=config) as archive:
        archive.transaction(
            lambda s: transfer(
                s,
                borrower_key=other,
                contract_number=None,
                department="asset-preservation",
                reason="整体移交资产保全",
                effective_on=date(2026, 12, 2),
                actor="archivist",
                config=config,
                now=START,
            )
        )
    # The file and its recovery belong to the department now: its account sees it, the officer no longer.
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers("wang")).status_code == 200
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers("li")).status_code == 404
    assert chain_ok(kit.home)
