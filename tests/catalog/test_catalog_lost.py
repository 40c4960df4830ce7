"""The catalog's PostgreSQL server stops in the middle of an upload: the client gets a 503 with a clear
message in both languages (never a 500), nothing is half-filed, and once the server is back the next
upload files and the archive verifies. The service's /ready says the catalog is unreachable meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from catalog_samples import PASSWORD, home_with_catalog
from fastapi.testclient import TestClient
from kit.inbox_samples import COMPANY, COMPANY_NAME, license_pdf
from kit.postgres import Cluster, throwaway_cluster
from sqlalchemy import select

from dossier.access.users import add_user, create_token
from dossier.archive import Archive
from dossier.archive.catalog.models import Document
from dossier.archive.integrity import verify_archive
from dossier.archive.registry import ensure_borrower
from dossier.archive.repair import check
from dossier.locks import NAMESPACE, AdvisoryLocks, LockName
from dossier.service.app import create_app

UPLOAD = "/api/v1/documents/upload"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it is stopped half-way, which the session's cluster must never be."""
    private = throwaway_cluster("dossier-pg-lost-")
    try:
        yield private
    finally:
        private.destroy()


def _waiting_for_filing_lock(cluster: Cluster) -> bool:
    with cluster.admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s AND objid = %s",
            (NAMESPACE, LockName.FILING.key),
        ).fetchone()
    return bool(row and row[0])


def test_a_catalog_lost_mid_upload_is_a_503_and_nothing_is_half_filed(
    tmp_path: Path, cluster: Cluster
) -> None:
    cluster.create_database("lost")
    home = home_with_catalog(tmp_path, cluster.url("lost"))
    with Archive.init(home.path, config=home.config) as archive:
        ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise", actor="test")
        archive.transaction(lambda s: add_user(s, "archivist", "archivist", PASSWORD, actor="test"))
        _, token = archive.transaction(lambda s: create_token(s, "archivist", "tests", actor="test"))
    auth = {"Authorization": f"Bearer {token}"}

    with TestClient(create_app(home.path, home.config)) as client:
        assert client.get("/api/v1/ready").json()["catalog"]["state"] == "current"
        services = client.app.state.services  # type: ignore[attr-defined]
        answers: list[httpx.Response] = []

        def upload() -> None:
            files = {"file": ("营业执照.pdf", license_pdf(COMPANY, "first"), "application/pdf")}
            answers.append(client.post(UPLOAD, files=files, headers=auth))

        # The upload is held at the filing step (the file staged, read, matched; its first filing
        # transaction not begun) by an exclusive hold on the filing lock, as `dossier repair` would hold
        # it; then the server stops under it.
        with AdvisoryLocks(services.archive.engine).hold(LockName.FILING):
            sender = threading.Thread(target=upload)
            sender.start()
            while not _waiting_for_filing_lock(cluster):
                assert sender.is_alive(), answers[0].text if answers else "no answer"
                time.sleep(0.05)
            cluster.stop()
        sender.join()
        lost = answers[0]
        assert lost.status_code == 503, lost.text
        assert "目录数据库暂不可用" in lost.json()["detail"] and "unavailable" in lost.json()["detail"]
        assert lost.headers["retry-after"]

        ready = client.get("/api/v1/ready")
        assert ready.status_code == 503
        assert ready.json()["catalog"] == {
            "backend": "postgresql", "reachable": False, "state": "unreachable", "revision": None,
            "head": ready.json()["catalog"]["head"],
        }  # fmt: skip
        assert "unreachable" in ready.json()["checks"]["catalog"]
        # Any request that needs the catalog says the same, from the sign-in on.
        again = client.post(
            UPLOAD, files={"file": ("x.pdf", license_pdf(COMPANY, "x"), "application/pdf")}, headers=auth
        )
        assert again.status_code == 503 and "目录数据库暂不可用" in again.json()["detail"]

        cluster.launch()
        back = client.get("/api/v1/ready").json()  # (the index is not built yet: not ready for that)
        assert back["checks"]["catalog"] == "ok" and back["catalog"]["reachable"]
        files = {"file": ("营业执照.pdf", license_pdf(COMPANY, "second"), "application/pdf")}
        filed = client.post(UPLOAD, files=files, headers=auth)
        assert filed.status_code == 201, filed.text
        assert filed.json()["outcome"] == "filed"

    with home.open() as archive:
        documents = archive.transaction(lambda s: list(s.execute(select(Document)).scalars()), write=False)
        assert [(d.state, d.id) for d in documents] == [("filed", filed.json()["document"]["id"])]
        assert check(archive, repair=False).clean
        assert verify_archive(archive, record=False).ok
