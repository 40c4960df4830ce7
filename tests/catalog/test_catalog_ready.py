"""/ready looks at the catalog without writing: while a writer holds the catalog writer lock (a long
filing transaction on another node), readiness still answers at once, with the backend, the revision and
this code's head."""

from __future__ import annotations

from pathlib import Path

import psycopg
from catalog_samples import home_with_catalog
from fastapi.testclient import TestClient
from kit.postgres import Cluster
from sqlalchemy.engine import make_url

from dossier.archive import Archive
from dossier.archive.catalog import db
from dossier.locks import CATALOG_WRITER_KEY, NAMESPACE
from dossier.service.app import create_app


def test_ready_reports_the_catalog_without_taking_the_writer_lock(
    tmp_path: Path, catalog_url: str, postgres: Cluster
) -> None:
    home = home_with_catalog(tmp_path, catalog_url)
    Archive.init(home.path, config=home.config).close()
    database = str(make_url(catalog_url).database)
    with postgres.admin() as admin:
        # A probe that waited for the writer lock gives up after this and reports an error: the test
        # fails instead of hanging.
        admin.execute(f"ALTER DATABASE \"{database}\" SET lock_timeout = '3s'")
    with (
        TestClient(create_app(home.path, home.config)) as client,
        psycopg.connect(postgres.dsn(database)) as writer,
    ):
        writer.execute("SELECT pg_advisory_xact_lock(%s, %s)", (NAMESPACE, CATALOG_WRITER_KEY))
        answer = client.get("/api/v1/ready").json()
        writer.rollback()
    assert answer["checks"]["catalog"] == "ok", answer
    assert answer["catalog"] == {
        "backend": "postgresql", "reachable": True, "state": "current", "revision": db.HEAD, "head": db.HEAD,
    }  # fmt: skip
