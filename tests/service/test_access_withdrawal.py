"""Access can be withdrawn (tokens revoked or expired, users disabled, passwords changed: all at once),
and every actor is known (a token's events name its id and who made it; nobody acts as another person)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from accesskit import CSRF, PASSWORD, basic, bearer, events, make_home, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import update

from dossier.archive.catalog.user_tables import ApiToken
from dossier.archive.home import Archive
from dossier.cli.app import main
from dossier.config import load_config
from dossier.service.app import create_app

USERS = {
    "admin": ("admin", False),
    "alice": ("officer", False),
    "bob": ("officer", False),
    "carol": ("archivist", False),
    "dave": ("auditor", False),
    "erin": ("officer", False),
    "erp": ("archivist", True),
}
NEW_PASSWORD = "battery-staple-7"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_home(tmp_path_factory.mktemp("withdrawal") / "archive", USERS)


@pytest.fixture(scope="module")
def client(home: Path) -> TestClient:
    with TestClient(create_app(home, config=load_config())) as c:
        yield c


def own_token(client: TestClient, username: str, name: str = "script") -> tuple[int, str]:
    made = client.post("/api/v1/tokens", json={"name": name}, headers=basic(username))
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["token"]


def test_a_revoked_token_is_refused_on_the_next_request(client: TestClient, home: Path) -> None:
    token_id, secret = own_token(client, "alice")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    # Bob may neither see nor revoke Alice's token: to him it does not exist.
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=basic("bob")).status_code == 404
    assert token_id not in {t["id"] for t in client.get("/api/v1/tokens", headers=basic("bob")).json()}
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=basic("alice")).status_code == 204
    refused = client.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]
    listed = {t["id"]: t for t in client.get("/api/v1/tokens", headers=basic("alice")).json()}
    assert listed[token_id]["state"] == "revoked" and listed[token_id]["revoked_at"]
    assert {"actor": "alice", "target": str(token_id)} in [
        {"actor": e["actor"], "target": e["target"]} for e in events(home, "token.revoke")
    ]


def test_an_admin_revokes_anyones_token(client: TestClient) -> None:
    token_id, secret = own_token(client, "bob")
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=basic("admin")).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_an_expired_token_is_refused(client: TestClient, home: Path) -> None:
    own_id, own = own_token(client, "carol", "own expiry")
    old_id, old = own_token(client, "carol", "older than the maximum age")
    assert client.get("/api/v1/me", headers=bearer(own)).status_code == 200
    now = datetime.now(UTC)
    with Archive.open(home, config=load_config()) as archive:
        archive.transaction(
            lambda s: s.execute(
                update(ApiToken).where(ApiToken.id == own_id).values(expires_at=now - timedelta(seconds=1))
            )
        )
        # Made 91 days ago with no expiry of its own: [access] token_max_age_days (90) ends it.
        archive.transaction(
            lambda s: s.execute(
                update(ApiToken).where(ApiToken.id == old_id).values(created_at=now - timedelta(days=91))
            )
        )
    for secret in (own, old):
        refused = client.get("/api/v1/me", headers=bearer(secret))
        assert refused.status_code == 401 and "过期" in refused.json()["detail"]
    states = {t["id"]: t["state"] for t in client.get("/api/v1/tokens", headers=basic("carol")).json()}
    assert states[own_id] == states[old_id] == "expired"
    # A new token lives at most the maximum age.
    made = client.post("/api/v1/tokens", json={"name": "short", "days": 2}, headers=basic("carol")).json()
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(days=1) < expires - now <= timedelta(days=2, minutes=1)


def test_disabling_a_user_ends_their_sessions_and_tokens_at_once(client: TestClient, home: Path) -> None:
    _, secret = own_token(client, "dave")
    with TestClient(create_app(home, config=load_config())) as browser:
        assert sign_in(browser, "dave").status_code == 303
        assert browser.get("/password").status_code == 200
        assert client.post("/api/v1/users/dave/disable", headers=basic("admin")).status_code == 204
        assert browser.get("/password", follow_redirects=False).status_code == 303  # back to /login
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/me", headers=basic("dave")).status_code == 401
    disabled = events(home, "user.disable")[-1]
    assert disabled["actor"] == "admin" and disabled["target"] == "dave"
    assert disabled["details"]["sessions_ended"] == 1 and len(disabled["details"]["tokens_revoked"]) == 1
    users = {u["username"]: u for u in client.get("/api/v1/users", headers=basic("admin")).json()}
    assert users["dave"]["active"] is False
    # Enabled again: the password works, the old token stays dead.
    assert client.post("/api/v1/users/dave/enable", headers=basic("admin")).status_code == 204
    assert client.get("/api/v1/me", headers=basic("dave")).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert events(home, "user.enable")[-1]["target"] == "dave"
    # Only an admin disables, and not themselves.
    assert client.post("/api/v1/users/alice/disable", headers=basic("carol")).status_code == 403
    assert client.post("/api/v1/users/admin/disable", headers=basic("admin")).status_code == 403


def test_changing_ones_password_ends_sessions_tokens_and_remembered_basic_checks(
    client: TestClient, home: Path
) -> None:
    _, secret = own_token(client, "erin")
    assert client.get("/api/v1/me", headers=basic("erin")).status_code == 200  # remembered from now on
    with TestClient(create_app(home, config=load_config())) as browser:
        sign_in(browser, "erin")
        wrong = client.post(
            "/api/v1/me/password",
            json={"current_password": "not-my-password", "new_password": NEW_PASSWORD},
            headers=bearer(secret),
        )
        assert wrong.status_code == 403
        changed = client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(secret),
        )
        assert changed.status_code == 204, changed.text
        assert browser.get("/password", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=basic("erin")).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/me", headers=basic("erin", NEW_PASSWORD)).status_code == 200
    event = events(home, "user.password")[-1]
    assert event["actor"] == "erin" and event["details"]["sessions_ended"] == 1
    assert NEW_PASSWORD not in json.dumps(events(home, "user.password"), ensure_ascii=False)


def test_a_password_changed_elsewhere_ends_a_remembered_basic_check(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {"frank": ("officer", False)})
    with TestClient(create_app(home, config=load_config())) as client:
        assert client.get("/api/v1/me", headers=basic("frank")).status_code == 200
        assert client.get("/api/v1/me", headers=basic("frank")).status_code == 200  # from memory
        # Another process (the CLI) changes the password: this one's memory must not outlive it.
        assert main(["users", "passwd", "frank", "--password", NEW_PASSWORD, "--home", str(home)]) == 0
        assert client.get("/api/v1/me", headers=basic("frank")).status_code == 401
        assert client.get("/api/v1/me", headers=basic("frank", NEW_PASSWORD)).status_code == 200
        assert main(["users", "disable", "frank", "--home", str(home)]) == 0
        assert client.get("/api/v1/me", headers=basic("frank", NEW_PASSWORD)).status_code == 401


def test_an_admin_sets_a_password_for_someone_else(client: TestClient, home: Path) -> None:
    _, secret = own_token(client, "bob", "before reset")
    done = client.post("/api/v1/users/bob/password", json={"password": NEW_PASSWORD}, headers=basic("admin"))
    assert done.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/me", headers=basic("bob")).status_code == 401
    assert client.get("/api/v1/me", headers=basic("bob", NEW_PASSWORD)).status_code == 200
    assert events(home, "user.password")[-1]["actor"] == "admin"
    refused = client.post("/api/v1/users/bob/password", json={"password": PASSWORD}, headers=basic("carol"))
    assert refused.status_code == 403


def test_an_admin_makes_tokens_only_for_service_accounts_and_their_events_name_the_token(
    client: TestClient, home: Path
) -> None:
    # Minting a token for a person would let the admin act as them.
    person = client.post("/api/v1/tokens", json={"username": "alice"}, headers=basic("admin"))
    assert person.status_code == 403
    officer = client.post("/api/v1/tokens", json={"username": "carol"}, headers=basic("alice"))
    assert officer.status_code == 403
    made = client.post("/api/v1/tokens", json={"username": "erp", "name": "ERP"}, headers=basic("admin"))
    assert made.status_code == 201, made.text
    token_id, secret = made.json()["id"], made.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(secret)).json()["service"] is True
    assert client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 200
    viewed = [e for e in events(home, "view") if e["target"] == "tokens" and e["actor"] == "erp"][-1]
    assert viewed["details"]["token_id"] == token_id and viewed["details"]["token_by"] == "admin"
    listed = {t["id"]: t for t in client.get("/api/v1/tokens", headers=basic("admin")).json()}
    assert listed[token_id]["created_by"] == "admin" and listed[token_id]["username"] == "erp"
    # A token its owner made records its id alone.
    own_id, own = own_token(client, "alice", "own")
    client.get("/api/v1/tokens", headers=bearer(own))
    mine = [e for e in events(home, "view") if e["target"] == "tokens" and e["actor"] == "alice"][-1]
    assert mine["details"]["token_id"] == own_id and "token_by" not in mine["details"]
    # Without a token, no token id.
    client.get("/api/v1/tokens", headers=basic("alice"))
    plain = [e for e in events(home, "view") if e["target"] == "tokens" and e["actor"] == "alice"][-1]
    assert "token_id" not in plain["details"]


def test_a_service_account_has_no_password_and_no_web_sign_in(client: TestClient, home: Path) -> None:
    assert client.get("/api/v1/me", headers=basic("erp", "any-password")).status_code == 401
    with TestClient(create_app(home, config=load_config())) as browser:
        assert sign_in(browser, "erp", "any-password").status_code == 401
    assert events(home, "user.sign-in-failed")[-1]["details"]["reason"] == "service-account"
    refused = client.post(
        "/api/v1/users/erp/password", json={"password": NEW_PASSWORD}, headers=basic("admin")
    )
    assert refused.status_code == 422 and "服务账号" in refused.json()["detail"]


def test_the_users_list_is_an_audit_event(client: TestClient, home: Path) -> None:
    before = len(events(home, "view"))
    assert client.get("/api/v1/users", headers=basic("admin")).status_code == 200
    viewed = events(home, "view")
    assert len(viewed) == before + 1 and viewed[-1]["actor"] == "admin" and viewed[-1]["target"] == "users"


def test_the_password_page_changes_ones_own_password(tmp_path: Path) -> None:
    home = make_home(tmp_path / "archive", {"gina": ("officer", False)})
    with TestClient(create_app(home, config=load_config())) as browser:
        assert sign_in(browser, "gina").status_code == 303
        form = browser.get("/password")
        assert "修改密码" in form.text and "当前密码" in form.text
        csrf = CSRF.search(form.text).group(1)
        fields = {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        }
        assert browser.post("/password", data=fields).status_code == 403  # no CSRF token
        mismatch = browser.post(
            "/password", data={**fields, "confirm_password": "other-pass-1", "csrf_token": csrf}
        )
        assert mismatch.status_code == 422 and "不一致" in mismatch.text
        wrong = browser.post(
            "/password", data={**fields, "current_password": "not-it-at-all", "csrf_token": csrf}
        )
        assert wrong.status_code == 403 and "当前密码错误" in wrong.text
        done = browser.post("/password", data={**fields, "csrf_token": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].startswith("/login")
        assert browser.get("/password", follow_redirects=False).status_code == 303
        assert sign_in(browser, "gina").status_code == 401
        assert sign_in(browser, "gina", NEW_PASSWORD).status_code == 303
    failed = events(home, "user.sign-in-failed")
    assert [e["details"]["face"] for e in failed] == ["password-change", "web"]


def test_cli_lists_and_revokes_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(make_home(tmp_path / "archive", {"hank": ("officer", False), "svc": ("auditor", True)}))
    assert main(["tokens", "create", "svc", "--name", "bi", "--home", home, "--json", "--actor", "ops"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert main(["tokens", "list", "--user", "svc", "--home", home, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["id"], t["created_by"], t["state"]) for t in listed] == [(made["id"], "ops", "active")]
    with TestClient(create_app(home, config=load_config())) as client:
        assert client.get("/api/v1/me", headers=bearer(made["token"])).status_code == 200
        assert main(["tokens", "revoke", str(made["id"]), "--home", home, "--actor", "ops"]) == 0
        assert client.get("/api/v1/me", headers=bearer(made["token"])).status_code == 401
    assert main(["tokens", "revoke", "999", "--home", home]) == 2
    assert main(["users", "passwd", "svc", "--password", NEW_PASSWORD, "--home", home]) == 2
    assert "服务账号" in capsys.readouterr().err
