"""The custody pages through real HTTP with session cookies and CSRF tokens: a handover acknowledged on
the page by both officers, and a page request for a loan that the archivist refuses on the page."""

from __future__ import annotations

import re
from urllib.parse import unquote

from custodykit import COMPANY, PASSWORD, Kit
from fastapi.testclient import TestClient

from dossier.config import load_config
from dossier.service.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(kit: Kit, username: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(kit.home, config=load_config()))
    client.__enter__()
    form = client.get("/login")
    token = CSRF.search(form.text).group(1)
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/custody"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = client.get("/custody")
    return client, CSRF.search(page.text).group(1)


def test_handover_acknowledged_on_the_page(client: TestClient, kit: Kit) -> None:
    made = client.post(
        "/api/v1/handovers",
        json={
            "from_officer": "li",
            "to_officer": "wang",
            "effective_on": "2026-12-05",
            "borrowers": [COMPANY],
        },
        headers=kit.headers("archivist"),
    )
    number = made.json()["number"]
    for who, state in (("li", "pending"), ("zhao", None), ("wang", "completed")):
        page_client, token = _signed_in(kit, who)
        try:
            listed = page_client.get("/custody").text
            assert (number in listed) is (state is not None)
            # Without the CSRF token the form is refused.
            forged = page_client.post(f"/custody/handovers/{number}/acknowledge", follow_redirects=False)
            assert forged.status_code == 403
            done = page_client.post(
                f"/custody/handovers/{number}/acknowledge", data={"csrf_token": token}, follow_redirects=False
            )
            where = unquote(done.headers["location"])
            if state is None:
                assert "error=" in where and "not found" in where  # a third officer: as if it did not exist
            else:
                assert "ok=" in where
                got = client.get(f"/api/v1/handovers/{number}", headers=kit.headers("archivist")).json()
                assert got["state"] == state
        finally:
            page_client.__exit__(None, None, None)


def test_loan_requested_and_refused_on_the_pages(kit: Kit) -> None:
    zhao, token = _signed_in(kit, "zhao")
    archivist, archivist_token = _signed_in(kit, "archivist")
    try:
        done = zhao.post(
            "/custody/file-loans",
            data={
                "borrower": COMPANY,
                "purpose": "页面申请",
                "days": "5",
                "category": ["basic"],
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert "ok=" in done.headers["location"]
        number = re.search(r"JY\d{4}-\d{5}", unquote(done.headers["location"])).group(0)
        assert number in archivist.get("/custody").text
        refused = archivist.post(
            f"/custody/file-loans/{number}/refuse",
            data={"reason": "用途不充分", "csrf_token": archivist_token},
            follow_redirects=False,
        )
        assert "ok=" in refused.headers["location"]
        # zhao may not approve (his role), and cannot read a refused loan.
        assert (
            zhao.post(f"/custody/file-loans/{number}/approve", data={"csrf_token": token}).status_code == 403
        )
        assert zhao.get(f"/custody/file-loans/{number}").status_code == 403
        assert "用途不充分" in zhao.get("/custody").text
    finally:
        zhao.__exit__(None, None, None)
        archivist.__exit__(None, None, None)
