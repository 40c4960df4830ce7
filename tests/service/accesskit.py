"""A bare archive home with a few users, for the tests of withdrawing access and throttling sign-ins
(no documents: these tests need only people, passwords and tokens)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from dossier.access.users import add_user
from dossier.archive.catalog.models import Event
from dossier.archive.home import Archive
from dossier.config import load_config

PASSWORD = "correct-horse-9"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_home(home: Path, users: dict[str, tuple[str, bool]]) -> Path:
    """``users``: name → (role, service account?)."""
    archive = Archive.init(home, config=load_config())
    try:
        for name, (role, service) in users.items():
            archive.transaction(
                lambda s, n=name, r=role, sv=service: add_user(
                    s, n, r, None if sv else PASSWORD, actor="setup", service=sv
                )
            )
    finally:
        archive.close()
    return home


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    form = client.get("/login")
    token = CSRF.search(form.text).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/password"},
        follow_redirects=False,
    )


def events(home: Path, action: str) -> list[dict[str, Any]]:
    with Archive.open(home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: [
                {"actor": e.actor, "target": e.target, "details": e.details}
                for e in s.execute(select(Event).where(Event.action == action).order_by(Event.seq)).scalars()
            ],
            write=False,
        )
