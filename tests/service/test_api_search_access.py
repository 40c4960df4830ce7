"""A search answers only while the caller's token, account and scope hold (issue 18): the service reads
them from the catalog for every request, so a change made through any process (here: another catalog
connection, as the CLI or another worker would) counts from the very next search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from servicekit import COMPANY, Demo
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dossier.access.scope import assign
from dossier.access.users import add_user, create_token, disable_user, revoke_token
from dossier.archive.catalog.models import Borrower
from dossier.archive.catalog.user_tables import Assignment, User
from dossier.archive.home import Archive
from dossier.config import load_config

# Text on the loan contract the demo files for COMPANY (see servicekit.build).
WORD = "借款合同"


def elsewhere(demo: Demo, change: Callable[[Session], Any]) -> Any:
    """``change`` committed through a catalog connection of its own, not the service's."""
    with Archive.open(demo.home, config=load_config()) as other:
        return other.transaction(change)


def new_token(demo: Demo, username: str, role: str) -> tuple[int, str]:
    def make(session: Session) -> tuple[int, str]:
        add_user(session, username, role, None, actor="setup", service=True)
        token, secret = create_token(session, username, "search", actor="setup")
        return token.id, secret

    return elsewhere(demo, make)


def search(client: TestClient, secret: str) -> Any:
    return client.get("/api/v1/search", params={"q": WORD}, headers={"Authorization": f"Bearer {secret}"})


def test_a_token_revoked_elsewhere_refuses_the_very_next_search(client: TestClient, demo: Demo) -> None:
    token_id, secret = new_token(demo, "search-revoked", "auditor")
    for _ in range(3):  # answered more than once: nothing the service remembers may outlive the token
        assert search(client, secret).status_code == 200
    elsewhere(demo, lambda s: revoke_token(s, token_id, actor="admin"))
    refused = search(client, secret)
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]


def test_a_user_disabled_elsewhere_is_refused_at_once(client: TestClient, demo: Demo) -> None:
    _, secret = new_token(demo, "search-disabled", "auditor")
    assert search(client, secret).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    elsewhere(demo, lambda s: disable_user(s, "search-disabled", actor="admin"))
    assert search(client, secret).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_an_officers_next_search_sees_a_scope_changed_elsewhere(client: TestClient, demo: Demo) -> None:
    _, secret = new_token(demo, "search-officer", "officer")
    before = search(client, secret)
    assert before.status_code == 200 and before.json()["total"] == 0

    def give(session: Session) -> None:
        borrower = session.execute(select(Borrower).where(Borrower.key == COMPANY)).scalar_one()
        assign(session, "search-officer", borrower, actor="admin")

    elsewhere(demo, give)
    granted = search(client, secret).json()
    assert granted["total"] >= 1 and {h["borrower_key"] for h in granted["hits"]} == {COMPANY}

    def take_back(session: Session) -> None:
        user_id = session.execute(select(User.id).where(User.username == "search-officer")).scalar_one()
        session.execute(delete(Assignment).where(Assignment.user_id == user_id))

    elsewhere(demo, take_back)
    after = search(client, secret)
    assert after.status_code == 200 and after.json()["total"] == 0 and after.json()["hits"] == []


def test_an_auditor_searches_every_borrower_and_the_event_names_the_token(
    client: TestClient, demo: Demo
) -> None:
    """The unscoped path (no scope read at all) still searches everything and still logs the token."""
    token_id, secret = new_token(demo, "search-auditor", "auditor")
    found = search(client, secret).json()
    assert COMPANY in {h["borrower_key"] for h in found["hits"]}

    def last_search(session: Session) -> dict[str, Any]:
        from dossier.archive.catalog.models import Event

        row = (
            session.execute(
                select(Event)
                .where(Event.action == "search", Event.actor == "search-auditor")
                .order_by(Event.seq.desc())
            )
            .scalars()
            .first()
        )
        assert row is not None
        return dict(row.details or {})

    details = elsewhere(demo, last_search)
    assert details["token_id"] == token_id and details["query"] == WORD and details["role"] == "auditor"
