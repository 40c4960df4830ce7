"""Two nodes on different schema versions: a newer dossier has migrated the shared catalog past this
node's code. This node refuses every write and says why, through the archive, the command line and the
service (503), while reads still work; `dossier catalog status` and /ready say which side is behind."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from catalog_samples import PASSWORD, dossier, dossier_json, home_with_catalog
from fastapi.testclient import TestClient
from kit.inbox_samples import COMPANY, COMPANY_NAME, PERSON, license_pdf, text_pdf
from kit.postgres import Cluster
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dossier.access.users import add_user, create_token
from dossier.archive import Archive
from dossier.archive.catalog import db
from dossier.archive.catalog.db import SchemaMismatch
from dossier.archive.catalog.models import Borrower, Document
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.service.app import create_app

NEWER = "0099"
REFUSAL = "目录数据库的结构版本与本节点不一致，拒绝写入"


def _set_revision(postgres: Cluster, catalog_url: str, revision: str) -> None:
    """What a newer node's migration leaves behind: the catalog at a revision this code never saw."""
    with psycopg.connect(postgres.dsn(str(make_url(catalog_url).database)), autocommit=True) as connection:
        connection.execute("UPDATE alembic_version SET version_num = %s", (revision,))


def test_an_older_node_refuses_to_write_and_still_reads(
    tmp_path: Path, catalog_url: str, postgres: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    home = home_with_catalog(tmp_path, catalog_url)
    with Archive.init(home.path, config=home.config) as archive:
        ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise", actor="test")
        archive.transaction(lambda s: add_user(s, "archivist", "archivist", PASSWORD, actor="test"))
        _, token = archive.transaction(lambda s: create_token(s, "archivist", "tests", actor="test"))
    config = ("--config", str(home.config_file))

    with home.open() as archive, TestClient(create_app(home.path, home.config)) as client:
        _set_revision(postgres, catalog_url, NEWER)

        with pytest.raises(SchemaMismatch, match=REFUSAL) as refused:
            ensure_borrower(archive, PERSON, "李四", "person", actor="test")
        assert f"revision {NEWER}" in str(refused.value)
        with pytest.raises(SchemaMismatch, match=REFUSAL):
            file_document(
                archive, text_pdf(["新节点之后"]), borrower_key=COMPANY, category="basic",
                doc_type="business-license", title="营业执照", actor="test",
            )  # fmt: skip
        # Reads go on: the catalog's rows are still the ones this code knows how to read.
        keys = archive.transaction(lambda s: list(s.execute(select(Borrower.key)).scalars()), write=False)
        assert keys == [COMPANY]
        assert archive.transaction(lambda s: s.execute(select(Document)).first(), write=False) is None
        folder = home.path / next(p.name for p in home.path.iterdir() if p.name.startswith(COMPANY))
        assert [p for p in folder.rglob("*") if p.is_file()] == []  # the refused filing left no file

        upload = client.post(
            "/api/v1/documents/upload",
            files={"file": ("营业执照.pdf", license_pdf(COMPANY), "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert upload.status_code == 503 and REFUSAL in upload.json()["detail"]
        ready = client.get("/api/v1/ready")
        assert ready.status_code == 503
        assert ready.json()["catalog"]["state"] == "ahead" and ready.json()["catalog"]["revision"] == NEWER

    code, _, err = dossier(capsys, *config, "users", "add", "newclerk", "--role", "officer", "--password",
                           PASSWORD, "--home", str(home.path))  # fmt: skip
    assert code == 2 and REFUSAL in err and f"revision {NEWER}" in err
    code, out, _ = dossier(capsys, *config, "catalog", "status", "--home", str(home.path), "--json")
    assert code == 1 and '"state": "ahead"' in out

    _set_revision(postgres, catalog_url, db.HEAD)
    assert dossier_json(capsys, *config, "catalog", "status", "--home", str(home.path))["state"] == "current"
    code, _, err = dossier(capsys, *config, "users", "add", "newclerk", "--role", "officer", "--password",
                           PASSWORD, "--home", str(home.path))  # fmt: skip
    assert code == 0, err


def test_catalog_upgrade_migrates_explicitly_once(
    tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = home_with_catalog(tmp_path, catalog_url)
    config = ("--config", str(home.config_file), "catalog")
    where = ("--home", str(home.path), "--json")
    code, out, _ = dossier(capsys, *config, "status", *where)
    assert code == 1 and '"state": "empty"' in out
    first = dossier_json(capsys, *config, "upgrade", "--home", str(home.path))
    assert (first["from"], first["to"], first["migrated"]) == (None, db.HEAD, True)
    again = dossier_json(capsys, *config, "upgrade", "--home", str(home.path))
    assert (again["from"], again["migrated"]) == (db.HEAD, False)
    assert dossier_json(capsys, *config, "status", "--home", str(home.path))["state"] == "current"
