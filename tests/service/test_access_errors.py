"""An AccessError answers by its type, from one handler (service.errors): a refusal is 403, a user,
token or borrower that is not there (or not the caller's to see) 404; on the account routes a plain one
is about the input, 422. The bodies are the core's messages, unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from servicekit import Demo

from dossier.access.scope import BorrowerNotFound
from dossier.access.users import AccessError, NotAllowed, UnknownToken, UnknownUser
from dossier.config import load_config
from dossier.service.app import create_app

RAISED: dict[str, AccessError] = {
    "plain": AccessError("user (用户) 'x' is disabled (用户已停用)"),
    "not-allowed": NotAllowed("user (用户) 'x': you cannot disable yourself (不能停用自己)"),
    "unknown-user": UnknownUser("user (用户) 'x' not found (用户不存在)"),
    "unknown-token": UnknownToken("token (令牌) 7 not found (令牌不存在)"),
    "hidden-borrower": BorrowerNotFound("91350205MA2XK7Q39X"),
}


@pytest.fixture(scope="module")
def probed(demo: Demo) -> Iterator[TestClient]:
    """The real app, with one route more that raises each kind of AccessError as a core call would."""
    app = create_app(demo.home, config=load_config())

    @app.get("/probe/{kind}")
    def probe(kind: str) -> None:
        raise RAISED[kind]

    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("plain", 403),
        ("not-allowed", 403),
        ("unknown-user", 404),
        ("unknown-token", 404),
        ("hidden-borrower", 404),
    ],
)
def test_an_access_error_leaving_any_route_answers_by_its_type(
    probed: TestClient, kind: str, status: int
) -> None:
    response = probed.get(f"/probe/{kind}")
    assert response.status_code == status
    assert response.json() == {"detail": str(RAISED[kind])}


def test_the_account_routes_answer_each_kind_with_its_status_and_message(
    client: TestClient, demo: Demo
) -> None:
    admin = demo.headers("admin")
    refused = client.post("/api/v1/users/admin/disable", headers=admin)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "user (用户) 'admin': you cannot disable yourself (不能停用自己)"}
    missing = client.post("/api/v1/users/nobody-here/enable", headers=admin)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "user (用户) 'nobody-here' not found (用户不存在)"}
    taken = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "admin", "role": "admin", "password": "long-enough-1"},
    )
    assert taken.status_code == 422
    assert taken.json() == {"detail": "username (用户名) 'admin' already exists (用户已存在)"}
    bad_role = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "newcomer", "role": "nobody", "password": "long-enough-1"},
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["detail"].startswith("role (角色) 'nobody': must be one of")
