"""The search API checks an API token inside the search's own hop to the thread pool (deps.Caller), not
in a dependency of its own: a revoked token is still refused by the very next search, a role that may not
search is still refused, a refused search leaves no audit event, and an answered one names its token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accesskit import basic, bearer, events, make_home
from fastapi.testclient import TestClient

from dossier.archive.home import Archive
from dossier.config import load_config
from dossier.search.indexing import index_pending
from dossier.service.app import create_app

USERS = {
    "admin": ("admin", False),
    "dave": ("auditor", False),
    "rita": ("reviewer", False),
    "erp": ("archivist", True),
}
QUERY = {"q": "借款"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = make_home(tmp_path_factory.mktemp("search-caller") / "archive", USERS)
    with Archive.open(home, config=load_config()) as archive:
        index_pending(archive)  # an empty index, but built: searches answer 200
    return home


@pytest.fixture(scope="module")
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(home, config=load_config())) as c:
        yield c


def token(client: TestClient, username: str, *, by: str | None = None) -> tuple[int, str]:
    body = {"name": "script"} if by is None else {"name": "script", "username": username}
    made = client.post("/api/v1/tokens", json=body, headers=basic(by or username))
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["token"]


def test_a_revoked_token_is_refused_by_the_next_search_which_logs_nothing(
    client: TestClient, home: Path
) -> None:
    token_id, secret = token(client, "dave")
    answered = client.get("/api/v1/search", params=QUERY, headers=bearer(secret))
    assert answered.status_code == 200, answered.text
    assert answered.json()["query"] == "借款" and answered.json()["hits"] == []
    logged = len(events(home, "search"))
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=basic("dave")).status_code == 204
    refused = client.get("/api/v1/search", params=QUERY, headers=bearer(secret))
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="dossier"'
    assert client.get("/api/v1/search", params=QUERY, headers=bearer("dsr_not-a-token")).status_code == 401
    assert len(events(home, "search")) == logged


def test_a_role_that_may_not_search_is_refused_with_a_token_as_with_a_password(
    client: TestClient, home: Path
) -> None:
    logged = len(events(home, "search"))
    _, secret = token(client, "rita")
    for headers in (bearer(secret), basic("rita")):
        refused = client.get("/api/v1/search", params=QUERY, headers=headers)
        assert refused.status_code == 403 and "无此权限" in refused.json()["detail"]
    assert client.get("/api/v1/search", params=QUERY).status_code == 401
    assert len(events(home, "search")) == logged


def test_a_search_with_a_token_names_the_token_in_its_audit_event(client: TestClient, home: Path) -> None:
    token_id, secret = token(client, "erp", by="admin")
    assert client.get("/api/v1/search", params=QUERY, headers=bearer(secret)).status_code == 200
    event = events(home, "search")[-1]
    assert event["actor"] == "erp" and event["details"]["query"] == "借款"
    assert event["details"]["token_id"] == token_id and event["details"]["token_by"] == "admin"
    # With a password, no token id (the worker's context of an earlier request does not leak).
    assert client.get("/api/v1/search", params=QUERY, headers=basic("dave")).status_code == 200
    event = events(home, "search")[-1]
    assert event["actor"] == "dave" and "token_id" not in event["details"]


def test_a_search_with_a_token_records_its_last_use(client: TestClient) -> None:
    # The token is read in the search's own (read-only) transaction; its last use is written after it.
    token_id, secret = token(client, "dave")

    def last_used() -> str | None:
        listed = client.get("/api/v1/tokens", headers=basic("dave"))
        assert listed.status_code == 200, listed.text
        (mine,) = [t for t in listed.json() if t["id"] == token_id]
        return mine["last_used_at"]

    assert last_used() is None
    assert client.get("/api/v1/search", params=QUERY, headers=bearer(secret)).status_code == 200
    assert last_used() is not None
