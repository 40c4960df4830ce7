"""The credit process pages over real HTTP with a signed-in session: the borrower page's applications and
form, 待办, the application page (gate, open items, moves), the board; a stale form is told it moved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from processkit import INTAKE, PASSWORD, Kit, make_kit

from dossier.service.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path / "home")


def signed_in(kit: Kit, username: str) -> TestClient:
    client = TestClient(create_app(kit.home, config=kit.archive.config))
    client.__enter__()
    form = client.get("/login")
    token = CSRF.search(form.text).group(1)
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/applications"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return client


@pytest.fixture
def clients(kit: Kit) -> Iterator[dict[str, TestClient]]:
    made = {name: signed_in(kit, name) for name in ("li", "zhao", "an")}
    yield made
    for client in made.values():
        client.__exit__(None, None, None)


def csrf(page_text: str) -> str:
    return CSRF.search(page_text).group(1)


def test_pages_of_the_process(kit: Kit, clients: dict[str, TestClient]) -> None:
    li = clients["li"]
    borrower = li.get("/borrowers/1")
    assert borrower.status_code == 200 and "提交授信申请" in borrower.text and "无授信申请" in borrower.text
    made = li.post(
        "/borrowers/1/apply",
        data={
            "product": "personal-consumption",
            "amount": "200000",
            "term_months": "24",
            "guarantees": ["credit"],
            "csrf_token": csrf(borrower.text),
        },
    )
    assert made.status_code == 200 and "已提交授信申请 SQ000001" in made.text
    assert "借款申请书（缺失）" in made.text and "通过，提交下一环节" in made.text
    mine = li.get("/applications")
    assert "SQ000001" in mine.text and "受理" in mine.text
    blocked = li.post(
        "/applications/1/act", data={"kind": "advance", "version": "1", "csrf_token": csrf(mine.text)}
    )
    assert "受理环节尚不能办结" in blocked.text
    kit.file_stage(INTAKE)
    moved = li.post(
        "/applications/1/act", data={"kind": "advance", "version": "1", "csrf_token": csrf(mine.text)}
    )
    assert "已通过，当前环节：调查" in moved.text
    stale = li.post(
        "/applications/1/act", data={"kind": "advance", "version": "1", "csrf_token": csrf(mine.text)}
    )
    assert "已被他人处理" in stale.text
    # The reviewer sees it but may not act at 调查; no forms are offered.
    seen = clients["zhao"].get("/applications/1")
    assert seen.status_code == 200 and 'class="action' not in seen.text
    assert clients["zhao"].get("/applications").text.count("SQ000001") == 0
    board = clients["an"].get("/applications/board")
    assert (
        board.status_code == 200 and 'data-stage="investigation"' in board.text and "SQ000001" in board.text
    )
    assert "SQ000001" in clients["an"].get("/borrowers/1").text
    record = clients["an"].post(
        "/api/v1/applications/1/record?format=html", data={"csrf_token": csrf(board.text)}
    )
    assert record.status_code == 200 and "审批流程记录 SQ000001" in record.text
    assert li.get("/applications/999").status_code == 404
