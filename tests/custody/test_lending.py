"""Loans of files (档案借阅) through the real API with a fixed clock: request, approval, reading within the
lent categories, the end of the period to the microsecond, a refusal, and the audit chain throughout."""

from __future__ import annotations

from datetime import timedelta

from custodykit import COMPANY, START, Clock, Kit, chain_ok
from fastapi.testclient import TestClient
from sqlalchemy import select

from dossier.archive.catalog.models import Event
from dossier.archive.home import Archive
from dossier.config import load_config


def _events(kit: Kit, number: str) -> list[tuple[str, str]]:
    with Archive.open(kit.home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: [
                (e.action, e.actor)
                for e in s.execute(select(Event).order_by(Event.seq)).scalars()
                if (e.details or {}).get("file_loan") == number
            ],
            write=False,
        )


def test_a_loan_from_request_to_expiry_ends_exactly_at_the_end_of_the_period(
    client: TestClient, kit: Kit, clock: Clock
) -> None:
    clock.now = START
    borrower = kit.borrowers[COMPANY]
    contract = next(i for i, c in kit.categories.items() if c == "contracts")
    licence = next(i for i, c in kit.categories.items() if c == "basic")
    # zhao is outside the borrower's scope: the ordinary endpoints do not know it.
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers("zhao")).status_code == 404

    asked = client.post(
        "/api/v1/file-loans",
        json={"borrower": COMPANY, "purpose": "审计抽查合同", "days": 3, "categories": ["合同类"]},
        headers=kit.headers("zhao"),
    )
    assert asked.status_code == 201, asked.text
    number = asked.json()["number"]
    assert asked.json()["status"] == "pending" and asked.json()["categories"] == ["contracts"]
    # Pending: nothing to read yet.
    assert (
        client.get(f"/api/v1/file-loans/{number}/documents", headers=kit.headers("zhao")).status_code == 403
    )
    # Only an archivist approves; an officer approving is refused by role.
    assert (
        client.post(f"/api/v1/file-loans/{number}/approve", json={}, headers=kit.headers("zhao")).status_code
        == 403
    )

    clock.now = START + timedelta(hours=1)
    approved = client.post(f"/api/v1/file-loans/{number}/approve", json={}, headers=kit.headers("archivist"))
    assert approved.status_code == 200, approved.text
    ends = START + timedelta(hours=1, days=3)
    assert approved.json()["ends_at"].startswith(ends.isoformat()[:19])

    lent = client.get(f"/api/v1/file-loans/{number}/documents", headers=kit.headers("zhao"))
    assert lent.status_code == 200, lent.text
    assert [d["id"] for d in lent.json()["documents"]] == [contract]
    got = client.get(
        f"/api/v1/file-loans/{number}/documents/{contract}/download", headers=kit.headers("zhao")
    )
    assert got.status_code == 200 and got.content[:2] == b"PK"
    # Another category of the same file answers as a document that does not exist.
    other = client.get(
        f"/api/v1/file-loans/{number}/documents/{licence}/download", headers=kit.headers("zhao")
    )
    assert other.status_code == 404
    # The loan widens nothing else: the ordinary endpoints still do not know the borrower or document.
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=kit.headers("zhao")).status_code == 404
    assert (
        client.get(f"/api/v1/documents/{contract}/download", headers=kit.headers("zhao")).status_code == 404
    )
    assert (
        client.post(
            f"/api/v1/documents/{contract}/verifications",
            data={"method": "原件核对", "result": "一致"},
            headers=kit.headers("zhao"),
        ).status_code
        == 404
    )
    # Another user cannot use zhao's number, and learns nothing from it.
    assert (
        client.get(f"/api/v1/file-loans/{number}/documents", headers=kit.headers("wang")).status_code == 404
    )
    assert client.get(f"/api/v1/file-loans/{number}", headers=kit.headers("wang")).status_code == 404

    listed = client.get("/api/v1/file-loans", params={"status": "open"}, headers=kit.headers("archivist"))
    assert number in [x["number"] for x in listed.json()]

    clock.now = ends - timedelta(microseconds=1)
    assert (
        client.get(f"/api/v1/file-loans/{number}/documents", headers=kit.headers("zhao")).status_code == 200
    )
    clock.now = ends
    ended = client.get(f"/api/v1/file-loans/{number}/documents", headers=kit.headers("zhao"))
    assert ended.status_code == 403 and "overdue" in ended.json()["detail"]
    assert (
        client.get(
            f"/api/v1/file-loans/{number}/documents/{contract}/download", headers=kit.headers("zhao")
        ).status_code
        == 403
    )
    overdue = client.get("/api/v1/file-loans", params={"status": "overdue"}, headers=kit.headers("archivist"))
    assert number in [x["number"] for x in overdue.json()]
    closed = client.post(f"/api/v1/file-loans/{number}/return", headers=kit.headers("archivist"))
    assert closed.status_code == 200 and closed.json()["status"] == "past"

    assert [a for a, _ in _events(kit, number)] == [
        "file-loan.request",
        "file-loan.approve",
        "view",
        "download",
        "view",
        "file-loan.return",
    ]
    assert chain_ok(kit.home)


def test_a_refused_request_gives_no_access(client: TestClient, kit: Kit, clock: Clock) -> None:
    clock.now = START
    asked = client.post(
        "/api/v1/file-loans", json={"borrower": COMPANY, "purpose": "想看看"}, headers=kit.headers("wang")
    )
    assert asked.status_code == 201 and asked.json()["days"] == 7  # [custody].loan_default_days
    number = asked.json()["number"]
    refused = client.post(
        f"/api/v1/file-loans/{number}/refuse", json={"reason": "用途不明"}, headers=kit.headers("archivist")
    )
    assert refused.status_code == 200 and refused.json()["status"] == "past"
    assert (
        client.get(f"/api/v1/file-loans/{number}/documents", headers=kit.headers("wang")).status_code == 403
    )
    # A refused loan cannot be approved afterwards.
    again = client.post(f"/api/v1/file-loans/{number}/approve", json={}, headers=kit.headers("archivist"))
    assert again.status_code == 409
    mine = client.get("/api/v1/file-loans", headers=kit.headers("wang")).json()
    assert [x["number"] for x in mine] == [number] and mine[0]["remark"] == "用途不明"
    assert [a for a, _ in _events(kit, number)] == ["file-loan.request", "file-loan.refuse"]
    assert chain_ok(kit.home)


def test_a_request_never_tells_whether_a_borrower_exists(client: TestClient, kit: Kit) -> None:
    ghost = client.post(
        "/api/v1/file-loans", json={"borrower": "NO-SUCH-KEY", "purpose": "试探"}, headers=kit.headers("wang")
    )
    real = client.post(
        "/api/v1/file-loans", json={"borrower": COMPANY, "purpose": "试探"}, headers=kit.headers("wang")
    )
    assert ghost.status_code == real.status_code == 201
    shown = {k: v for k, v in real.json().items() if k not in ("number", "borrower_key", "requested_at")}
    assert shown == {
        k: v for k, v in ghost.json().items() if k not in ("number", "borrower_key", "requested_at")
    }
    # The archivist, who sees everything, cannot approve a request for nobody.
    refused = client.post(
        f"/api/v1/file-loans/{ghost.json()['number']}/approve", json={}, headers=kit.headers("archivist")
    )
    assert refused.status_code == 422


def test_the_period_is_bounded_by_configuration(client: TestClient, kit: Kit) -> None:
    too_long = client.post(
        "/api/v1/file-loans",
        json={"borrower": COMPANY, "purpose": "长期", "days": 31},
        headers=kit.headers("wang"),
    )
    assert too_long.status_code == 422
    assert too_long.json()["problems"][0]["path"] == "days"
