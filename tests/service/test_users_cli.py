"""`dossier users` and `dossier tokens`: the secrets are hashed, the token works once shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dossier.archive.catalog.user_tables import ApiToken, User
from dossier.archive.home import Archive
from dossier.cli.app import main
from dossier.config import load_config
from dossier.service.app import create_app


def test_users_add_list_and_tokens_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "archive")
    assert main(["init", "--home", home]) == 0
    assert (
        main(
            [
                "users",
                "add",
                "zhoumin",
                "--role",
                "档案管理员",
                "--name",
                "周敏",
                "--password",
                "s3cret-pass",
                "--home",
                home,
                "--actor",
                "admin",
            ]
        )
        == 0
    )
    assert (
        main(["users", "add", "zhoumin", "--role", "archivist", "--password", "s3cret-pass", "--home", home])
        == 2
    )
    assert "already exists" in capsys.readouterr().err
    assert main(["users", "add", "xy", "--role", "boss", "--password", "s3cret-pass", "--home", home]) == 2
    assert "角色" in capsys.readouterr().err
    assert main(["users", "add", "short", "--role", "auditor", "--password", "short", "--home", home]) == 2
    assert "密码" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["users", "list", "--home", home, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {"username": "zhoumin", "display_name": "周敏", "role": "archivist", "active": True, "service": False}
    ]
    assert main(["tokens", "create", "zhoumin", "--name", "erp", "--home", home, "--json"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    assert token.startswith("dsr_")
    with Archive.open(home, config=load_config()) as archive:
        stored = archive.transaction(
            lambda s: (
                s.execute(select(User.password_hash)).scalar_one(),
                s.execute(select(ApiToken.token_hash)).scalar_one(),
            ),
            write=False,
        )
    assert stored[0].startswith("$argon2") and "s3cret-pass" not in stored[0]
    assert token not in stored[1]
    with TestClient(create_app(home, config=load_config())) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["display_name"] == "周敏"
