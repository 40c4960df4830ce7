from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from custodykit import Clock, Kit, build
from fastapi.testclient import TestClient

from dossier.config import load_config
from dossier.service.app import create_app


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return build(Path(tmp_path_factory.mktemp("custody")) / "archive")


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def client(kit: Kit, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(kit.home, config=load_config())) as c:
        c.app.state.services.clock = clock
        yield c
