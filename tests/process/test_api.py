"""/api/v1/applications over real HTTP: refusals in both languages with nothing changed, the optimistic
lock (409), scope (another officer's borrower's application is not found), gates and the month."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from processkit import INTAKE, INVESTIGATION, KEY, PASSWORD, Kit, make_kit

from dossier.service.app import create_app


def auth(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Kit, TestClient]]:
    kit = make_kit(tmp_path / "home")
    with TestClient(create_app(kit.home, config=kit.archive.config)) as client:
        yield kit, client


def submit(client: TestClient) -> dict:
    body = {
        "borrower": KEY,
        "product": "个人消费",
        "amount": "200000",
        "term_months": 24,
        "guarantees": ["信用"],
    }
    made = client.post("/api/v1/applications", json=body, headers=auth("li"))
    assert made.status_code == 201, made.text
    return made.json()


def test_moves_refusals_and_the_optimistic_lock(served: tuple[Kit, TestClient]) -> None:
    kit, client = served
    app = submit(client)
    url = f"/api/v1/applications/{app['id']}"
    shut = client.post(f"{url}/advance", json={"version": 1}, headers=auth("li"))
    assert shut.status_code == 409 and shut.json()["reason"] == "gate"
    assert {b["what"] for b in shut.json()["blockers"]} >= {"借款申请书", "户口簿"}
    kit.file_stage(INTAKE)
    seen = client.get(url, headers=auth("li")).json()
    assert seen["gate"]["open"] is True and seen["version"] == 1
    assert client.post(f"{url}/advance", json={"version": 1}, headers=auth("li")).status_code == 200
    docs = kit.file_stage(INVESTIGATION)
    kit.site_visit(docs[0])
    assert client.post(f"{url}/advance", json={}, headers=auth("wang")).status_code == 200
    # Wrong role: refused in both languages, nothing changes.
    wrong = client.post(f"{url}/advance", json={"version": 3}, headers=auth("sun"))
    assert wrong.status_code == 403 and wrong.json()["reason"] == "wrong-role"
    assert (
        "复核环节由复核岗办理" in wrong.json()["chinese"]
        and "acted on by role reviewer" in wrong.json()["english"]
    )
    assert client.get(url, headers=auth("zhao")).json()["version"] == 3
    # Two people at once on version 3: one wins, the other is told the application moved.
    first = client.post(f"{url}/advance", json={"version": 3}, headers=auth("zhao"))
    second = client.post(f"{url}/return", json={"version": 3, "reasons": ["再查"]}, headers=auth("zhao"))
    assert first.status_code == 200 and second.status_code == 409
    assert second.json()["reason"] == "moved" and "已被他人处理" in second.json()["detail"]
    assert "moved on" in second.json()["detail"]
    asked = client.post(f"{url}/request", json={"doc_types": ["不动产权证书"]}, headers=auth("qian"))
    assert asked.status_code == 200 and asked.json()["open_items"][0]["open"] is True
    out_of_order = client.post(f"{url}/withdraw", json={}, headers=auth("wang"))
    assert out_of_order.status_code == 403 and "申请人" in out_of_order.json()["chinese"]
    bad = client.post(f"{url}/approve", json={"amount": "9999999"}, headers=auth("qian"))
    assert bad.status_code == 422 and bad.json()["reason"] == "invalid"
    kit.file("property-certificate")
    approved = client.post(
        f"{url}/approve", json={"amount": "180000", "conditions": ["受托支付"]}, headers=auth("qian")
    )
    assert approved.status_code == 200 and approved.json()["stage"] == "approval"
    rejected = client.post(f"{url}/reject", json={"reasons": ["负债过高"]}, headers=auth("sun"))
    assert rejected.json()["status"] == "rejected"
    closed = client.post(f"{url}/approve", json={}, headers=auth("sun"))
    assert closed.status_code == 409 and closed.json()["reason"] == "closed"
    record = client.post(f"{url}/record", headers=auth("an"))
    assert record.status_code == 200 and len(record.json()["fingerprint"]) == 64
    assert (
        client.get(f"{url}/record", headers=auth("an")).status_code == 405
    )  # a browser's GET writes nothing
    # A month the calendar cannot hold is refused, not a server error (found by the schema test).
    assert client.get("/api/v1/applications/numbers?month=0000-01", headers=auth("an")).status_code == 422
    numbers = client.get("/api/v1/applications/numbers", headers=auth("an")).json()
    assert (numbers["received"], numbers["rejected"], numbers["requested"]) == (1, 1, 1)
    verified = client.post("/api/v1/audit/verify", headers=auth("an"))
    assert verified.status_code == 200 and verified.json()["chain"]["ok"] is True, verified.text


def test_an_officer_never_learns_of_another_officers_application(served: tuple[Kit, TestClient]) -> None:
    _kit, client = served
    app = submit(client)
    url = f"/api/v1/applications/{app['id']}"
    theirs = client.get(url, headers=auth("ma"))
    missing = client.get("/api/v1/applications/987654", headers=auth("ma"))
    assert theirs.status_code == missing.status_code == 404
    assert client.post(f"{url}/withdraw", json={}, headers=auth("ma")).status_code == 404
    assert client.get("/api/v1/applications", headers=auth("ma")).json() == []
    hidden = client.post(
        "/api/v1/applications",
        json={
            "borrower": KEY,
            "product": "个人消费",
            "amount": "1",
            "term_months": 1,
            "guarantees": ["信用"],
        },
        headers=auth("ma"),
    )
    assert hidden.status_code == 404
    assert [a["id"] for a in client.get("/api/v1/applications?mine=true", headers=auth("li")).json()] == [
        app["id"]
    ]
    assert client.get("/api/v1/applications?mine=true", headers=auth("zhao")).json() == []
    # The reviewer's queue, by stage: nothing at 复核 yet; the portfolio shows it at 受理.
    assert (
        client.get("/api/v1/applications", params={"stage": "受理"}, headers=auth("an")).json()[0]["id"]
        == app["id"]
    )
