"""Who may do what: every endpoint against every role (allowed, 401 without credentials, 403 or 404)."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from servicekit import PASSWORD, Demo

from dossier.access.roles import Role

ROLES = ("admin", "archivist", "auditor", "officer", "other")
EVERYONE = set(ROLES)
READERS = {"archivist", "auditor", "officer", "other"}
# The loan contract's borrower is 李晓峰's ("officer"); 王五 ("other") must not learn it exists.
OWN = {"archivist", "auditor", "officer"}


def matrix(demo: Demo) -> list[tuple[str, str, dict, set[str], int, set[str]]]:
    """(method, path, request arguments, roles allowed, their status, roles answered 404 instead of 403)."""
    borrower = demo.borrowers[next(iter(demo.borrowers))]
    doc = demo.documents["loan-contract"][0]
    from servicekit import COMPANY

    borrower = demo.borrowers[COMPANY]
    hidden = {"other"}
    return [
        ("GET", "/api/v1/kinds", {}, EVERYONE, 200, set()),
        ("GET", "/api/v1/kinds/collection", {}, EVERYONE, 200, set()),
        ("GET", "/api/v1/kinds/collection/schema", {}, EVERYONE, 200, set()),
        ("GET", "/api/v1/kinds/collection/example", {}, EVERYONE, 200, set()),
        ("GET", "/api/v1/me", {}, EVERYONE, 200, set()),
        (
            "POST",
            "/api/v1/documents",
            {"json": {"kind": "collection", "data": {}}},
            {"officer", "other"},
            422,
            set(),
        ),
        (
            "POST",
            "/api/v1/documents/upload",
            {"files": {"file": ("note.txt", b"just a note")}},
            {"officer", "other", "archivist"},
            201,
            set(),
        ),
        ("GET", f"/api/v1/documents/{doc}", {}, OWN, 200, hidden),
        ("GET", f"/api/v1/documents/{doc}/download", {}, OWN, 200, hidden),
        (
            "POST",
            f"/api/v1/documents/{doc}/verifications",
            {"data": {"method": "no-such-method", "result": "一致"}},
            {"officer"},
            422,
            hidden,
        ),
        ("GET", f"/api/v1/documents/{doc}/verifications", {}, OWN, 200, hidden),
        ("GET", f"/api/v1/borrowers/{borrower}/diligence", {}, OWN, 200, hidden),
        ("POST", f"/api/v1/borrowers/{borrower}/diligence", {}, OWN, 200, hidden),
        ("GET", "/api/v1/borrowers", {}, READERS, 200, set()),
        ("GET", f"/api/v1/borrowers/{borrower}", {}, OWN, 200, hidden),
        ("GET", f"/api/v1/borrowers/{borrower}/tree", {}, OWN, 200, hidden),
        ("GET", f"/api/v1/borrowers/{borrower}/completeness", {}, OWN, 200, hidden),
        (
            "POST",
            f"/api/v1/borrowers/{borrower}/officers",
            {"json": {"username": "officer"}},
            {"archivist", "admin"},
            204,
            set(),
        ),
        ("GET", f"/api/v1/borrowers/{borrower}/export", {}, {"archivist", "auditor"}, 200, set()),
        ("POST", f"/api/v1/borrowers/{borrower}/export", {}, {"archivist", "auditor"}, 200, set()),
        ("GET", "/api/v1/search", {"params": {"q": "借款"}}, READERS, 200, set()),
        ("GET", "/api/v1/search.csv", {"params": {"q": "借款"}}, READERS, 200, set()),
        ("GET", "/api/v1/completeness", {}, {"archivist", "auditor"}, 200, set()),
        ("GET", "/api/v1/jobs", {}, {"archivist", "auditor", "admin"}, 200, set()),
        ("GET", "/api/v1/jobs/999999", {}, {"archivist", "auditor", "admin"}, 404, set()),
        ("POST", "/api/v1/jobs/999999/retry", {}, {"admin"}, 404, set()),
        ("GET", "/api/v1/quarantine", {}, {"archivist"}, 200, set()),
        (
            "POST",
            "/api/v1/quarantine/999999/assign",
            {"json": {"borrower": COMPANY, "doc_type": "other"}},
            {"archivist"},
            404,
            set(),
        ),
        ("GET", "/api/v1/audit/events", {"params": {"limit": 5}}, {"auditor", "archivist"}, 200, set()),
        ("GET", "/api/v1/audit/verify", {}, {"auditor", "archivist"}, 200, set()),
        ("POST", "/api/v1/audit/verify", {}, {"auditor", "archivist"}, 200, set()),
        ("GET", "/api/v1/users", {}, {"admin"}, 200, set()),
        (
            "POST",
            "/api/v1/users",
            {"json": {"username": "x", "role": "nobody", "password": "p"}},
            {"admin"},
            422,
            set(),
        ),
        ("POST", "/api/v1/tokens", {"json": {"username": "no-such-user"}}, {"admin"}, 404, set()),
        # Withdrawing access. No entry may change anyone's credentials: the other rows still need them.
        # A user name of digits that nobody has: the admin is told it does not exist, others may not ask.
        ("GET", "/api/v1/tokens", {}, EVERYONE, 200, set()),
        # Nobody's token: the admin finds none, the others are told the same as for another's token.
        ("DELETE", "/api/v1/tokens/999999", {}, EVERYONE, 404, set()),
        ("POST", "/api/v1/users/999999/disable", {}, {"admin"}, 404, set()),
        ("POST", "/api/v1/users/999999/enable", {}, {"admin"}, 404, set()),
        (
            "POST",
            "/api/v1/users/999999/password",
            {"json": {"password": "long-enough-9"}},
            {"admin"},
            404,
            set(),
        ),
        # The credit process: 999999 is nobody's application, so those allowed are told it is not found.
        ("GET", "/api/v1/applications", {}, READERS, 200, set()),
        ("GET", "/api/v1/applications/numbers", {}, {"archivist", "auditor"}, 200, set()),
        (
            "POST",
            "/api/v1/applications",
            {
                "json": {
                    "borrower": COMPANY,
                    "product": "小微流贷",
                    "amount": "100000",
                    "term_months": 12,
                    "guarantees": ["保证"],
                }
            },
            {"officer"},
            201,
            hidden,
        ),
        ("GET", "/api/v1/applications/999999", {}, READERS, 404, set()),
        ("GET", "/api/v1/applications/999999/record", {}, READERS, 404, set()),
        ("POST", "/api/v1/applications/999999/record", {}, READERS, 404, set()),
        *[
            ("POST", f"/api/v1/applications/999999/{move}", {"json": {}}, {"officer", "other"}, 404, set())
            for move in ("advance", "return", "reject", "request", "approve", "withdraw")
        ],
        (
            "POST",
            "/api/v1/me/password",
            {"json": {"current_password": "not-checked", "new_password": "short"}},
            EVERYONE,
            422,
            set(),
        ),
        # Custody (issue 20). Numbers nobody has: a party or an archivist is told it does not exist.
        (
            "POST",
            "/api/v1/file-loans",
            {"json": {"borrower": COMPANY, "purpose": "x", "days": 0}},
            READERS,
            422,
            set(),
        ),
        ("GET", "/api/v1/file-loans", {}, READERS, 200, set()),
        ("GET", "/api/v1/file-loans/JY2026-99999", {}, EVERYONE, 404, set()),
        ("POST", "/api/v1/file-loans/JY2026-99999/approve", {"json": {}}, {"archivist"}, 404, set()),
        (
            "POST",
            "/api/v1/file-loans/JY2026-99999/refuse",
            {"json": {"reason": "x"}},
            {"archivist"},
            404,
            set(),
        ),
        ("POST", "/api/v1/file-loans/JY2026-99999/return", {}, {"archivist"}, 404, set()),
        ("GET", "/api/v1/file-loans/JY2026-99999/documents", {}, EVERYONE, 404, set()),
        ("GET", f"/api/v1/file-loans/JY2026-99999/documents/{doc}/download", {}, EVERYONE, 404, set()),
        (
            "POST",
            "/api/v1/handovers",
            {"json": {"from_officer": "officer", "to_officer": "officer", "effective_on": "2026-12-01"}},
            {"archivist", "admin"},
            422,
            set(),
        ),
        ("GET", "/api/v1/handovers", {}, {"archivist", "admin", "officer", "other"}, 200, set()),
        ("GET", "/api/v1/handovers/YJ2026-99999", {}, {"archivist", "admin", "officer", "other"}, 404, set()),
        ("POST", "/api/v1/handovers/YJ2026-99999/acknowledge", {}, EVERYONE, 404, set()),
        (
            "POST",
            "/api/v1/transfers",
            {"json": {"borrower": COMPANY, "department": "nowhere", "reason": "x"}},
            {"archivist", "admin"},
            422,
            set(),
        ),
        ("GET", "/api/v1/transfers", {}, {"archivist", "admin"}, 200, set()),
        ("GET", "/api/v1/transfers/BQ2026-99999", {}, {"archivist", "admin"}, 404, set()),
    ]


def test_every_endpoint_for_every_role(client: TestClient, demo: Demo) -> None:
    failures = []
    for method, path, kwargs, allowed, status, hidden in matrix(demo):
        anonymous = client.request(method, path, **kwargs)
        if anonymous.status_code != 401:
            failures.append(f"{method} {path} anonymous: {anonymous.status_code}")
        for role in ROLES:
            response = client.request(method, path, headers=demo.headers(role), **kwargs)
            expected = status if role in allowed else 404 if role in hidden else 403
            if response.status_code != expected:
                failures.append(
                    f"{method} {path} as {role}: {response.status_code} != {expected} {response.text[:200]}"
                )
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_api_route(client: TestClient, demo: Demo) -> None:
    # A new endpoint must join the matrix above, or this fails.
    covered = {(m, p.split("?")[0]) for m, p, *_ in matrix(demo)}
    # From the OpenAPI schema: FastAPI keeps included routers' routes out of `app.routes` (it lists
    # `_IncludedRouter` objects without a path), which left this test comparing an empty set.
    templates = {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()
        if path.startswith("/api/v1/") and path not in ("/api/v1/health", "/api/v1/ready")
        for method in operations
    }
    assert ("POST", "/api/v1/documents") in templates and len(templates) > 20
    ids = {str(v) for v in demo.borrowers.values()} | {str(i) for ids in demo.documents.values() for i in ids}

    import re

    def template_of(path: str) -> str:
        parts = [
            "{x}"
            if part in ids
            or part.isdigit()
            or part == "collection"
            or re.fullmatch(r"[A-Z]{2}\d{4}-\d{5}", part)
            else part
            for part in path.split("/")
        ]
        return "/".join(parts)

    def normal(path: str) -> str:
        import re

        return re.sub(r"\{[^}]+\}", "{x}", path)

    assert {(m, normal(p)) for m, p in templates} <= {(m, template_of(p)) for m, p in covered}


def test_health_and_readiness_need_no_sign_in(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["catalog"] == "ok"


def test_bad_credentials_are_401_not_anonymous(client: TestClient, demo: Demo) -> None:
    assert client.get("/api/v1/kinds", headers={"Authorization": "Bearer dsr_not-a-token"}).status_code == 401
    basic = base64.b64encode(b"officer:wrong-password").decode()
    assert client.get("/api/v1/kinds", headers={"Authorization": f"Basic {basic}"}).status_code == 401
    good = base64.b64encode(f"officer:{PASSWORD}".encode()).decode()
    me = client.get("/api/v1/me", headers={"Authorization": f"Basic {good}"})
    assert me.status_code == 200
    assert me.json()["role"] == Role.OFFICER.value and me.json()["role_label"] == "客户经理"


def test_officer_cannot_reach_another_officers_borrower_by_id(client: TestClient, demo: Demo) -> None:
    from servicekit import COMPANY

    borrower = demo.borrowers[COMPANY]
    doc = demo.documents["loan-contract"][0]
    for path in (
        f"/api/v1/borrowers/{borrower}",
        f"/api/v1/borrowers/{borrower}/tree",
        f"/api/v1/documents/{doc}",
        f"/api/v1/documents/{doc}/download",
    ):
        theirs = client.get(path, headers=demo.headers("other"))
        missing = client.get(
            path.replace(str(doc), "987654").replace(str(borrower), "987654"), headers=demo.headers("other")
        )
        # Indistinguishable from an id that does not exist.
        assert theirs.status_code == missing.status_code == 404
        assert client.get(path, headers=demo.headers("officer")).status_code == 200
    listed = client.get("/api/v1/borrowers", headers=demo.headers("other")).json()
    assert COMPANY not in {b["key"] for b in listed["items"]}
    found = client.get("/api/v1/search", params={"q": COMPANY}, headers=demo.headers("other")).json()
    assert found["total"] == 0
    mine = client.get("/api/v1/search", params={"q": COMPANY}, headers=demo.headers("officer")).json()
    assert mine["total"] >= 1


@pytest.mark.parametrize("role", ["officer", "archivist"])
def test_assignment_lets_an_officer_see_a_borrower(client: TestClient, demo: Demo, role: str) -> None:
    collection_doc = demo.documents["collection"][0]
    meta = client.get(f"/api/v1/documents/{collection_doc}", headers=demo.headers("archivist")).json()
    borrower = meta["borrower_id"]
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=demo.headers("other")).status_code == 404
    if role == "officer":
        # An officer cannot hand themselves someone else's borrower.
        denied = client.post(
            f"/api/v1/borrowers/{borrower}/officers", json={"username": "other"}, headers=demo.headers(role)
        )
        assert denied.status_code == 403
        return
    done = client.post(
        f"/api/v1/borrowers/{borrower}/officers", json={"username": "other"}, headers=demo.headers(role)
    )
    assert done.status_code == 204
    assert client.get(f"/api/v1/borrowers/{borrower}", headers=demo.headers("other")).status_code == 200
