"""The archive home: layout, opening rules, the catalog migrated by Alembic and matching the models."""

from __future__ import annotations

import json
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from dossier.archive import Archive
from dossier.archive.catalog import db
from dossier.archive.catalog.models import Base
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.domain.categories import categories
from dossier.errors import DossierError

PERSON = "110105198001010016"


def test_init_creates_the_layout_and_is_idempotent(tmp_path):
    home = tmp_path / "home"
    with Archive.init(home, config=load_config()) as archive:
        assert archive.home == home
    for name in ("_inbox", "_quarantine", ".dossier"):
        assert (home / name).is_dir()
    marker = json.loads((home / ".dossier" / "archive.json").read_text(encoding="utf-8"))
    assert marker["format"] == 1
    (home / "_inbox" / "waiting.pdf").write_bytes(b"%PDF-1.4")
    with Archive.init(home, config=load_config()) as again:
        again_events = again.transaction(
            lambda s: s.execute(text("select count(*) from events")).scalar_one()
        )
    assert (home / "_inbox" / "waiting.pdf").read_bytes() == b"%PDF-1.4"
    assert again_events == 1  # one "init" event, not one per run


def test_open_refuses_a_folder_that_is_not_an_archive_home(tmp_path):
    plain = tmp_path / "documents"
    plain.mkdir()
    (plain / "letter.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DossierError, match="not an archive home"):
        Archive.open(plain, config=load_config())
    with pytest.raises(DossierError, match="not an archive home"):
        Archive.open(tmp_path / "missing", config=load_config())
    with Archive.open(tmp_path / "missing", create=True, config=load_config()) as archive:
        assert (archive.home / ".dossier" / "archive.json").is_file()


def test_home_comes_from_the_argument_then_the_environment_then_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOSSIER_HOME", raising=False)
    with Archive.open(create=True, config=load_config()) as archive:
        assert archive.home == tmp_path / "archive"
    monkeypatch.setenv("DOSSIER_HOME", str(tmp_path / "from-env"))
    with Archive.open(create=True, config=load_config()) as archive:
        assert archive.home == tmp_path / "from-env"
    with Archive.open(tmp_path / "explicit", create=True, config=load_config()) as archive:
        assert archive.home == tmp_path / "explicit"


def test_the_catalog_is_migrated_to_head_and_matches_the_models(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        assert db.current_revision(archive.engine) == db.head_revision() == db.HEAD
        with archive.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []


@pytest.mark.embedded
def test_the_embedded_catalog_is_a_sqlite_file_in_the_home_with_a_write_ahead_log(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        assert (archive.home / ".dossier" / "catalog.sqlite").is_file()
        journal = sqlite3.connect(archive.home / ".dossier" / "catalog.sqlite").execute("PRAGMA journal_mode")
        assert journal.fetchone()[0] == "wal"


@pytest.mark.embedded
def test_an_old_catalog_is_upgraded_on_open(tmp_path):
    home = tmp_path / "home"
    Archive.init(home, config=load_config()).close()
    # Simulate a catalog made before any revision: drop everything, including Alembic's version table.
    connection = sqlite3.connect(home / ".dossier" / "catalog.sqlite")
    # sqlite_sequence (AUTOINCREMENT's bookkeeping, for the index log's seq) is SQLite's own: not droppable.
    tables = "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
    for (name,) in connection.execute(tables).fetchall():
        connection.execute(f'drop table "{name}"')
    connection.commit()
    connection.close()
    with Archive.open(home, config=load_config()) as archive:
        assert db.current_revision(archive.engine) == db.head_revision()


def test_category_folders_are_numbered_in_volume_order_and_made_on_demand(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        borrower = ensure_borrower(archive, PERSON, "李四", "person", actor="test")
        folder = archive.borrower_folder(borrower)
        assert folder.name == f"{PERSON}-李四"
        assert not folder.exists()
        names = [archive.category_folder(borrower, c.key).name for c in categories(config=load_config())]
        assert names == [
            "01-基本资料",
            "02-财务资料",
            "03-调查审查审批",
            "04-合同类",
            "05-担保资料",
            "06-放款资料",
            "07-贷后管理",
            "08-催收与资产保全",
            "09-结清",
        ]
        file_document(
            archive,
            b"statement",
            borrower_key=PERSON,
            category="财务资料",
            doc_type="bank-statement",
            title="银行流水",
            filename="银行流水.txt",
        )
        assert [p.name for p in folder.iterdir()] == ["02-财务资料"]


def test_the_borrower_folder_name_is_made_portable(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        borrower = ensure_borrower(archive, PERSON, 'A:B*C?"D"<E>|F 公司', "enterprise", actor="test")
        assert archive.borrower_folder(borrower).name == f"{PERSON}-A_B_C__D__E__F 公司"
        long = ensure_borrower(archive, "350203199003150022", "很" * 200, "person", actor="test")
        assert len(archive.borrower_folder(long).name.encode("utf-8")) <= 150


def test_the_filing_lock_is_the_archives_lock_interface(tmp_path):
    """Filings hold the FILING rule shared through ``Archive.locks`` (dossier.locks), so another process's
    exclusive hold (`dossier repair`) is refused while one runs, and shared holds go together."""
    from dossier.locks import LockBusy, LockMode, LockName

    with (
        Archive.init(tmp_path / "home", config=load_config()) as first,
        Archive.open(tmp_path / "home", config=load_config()) as second,
    ):
        with first.filing_lock():
            with second.locks.hold(LockName.FILING, mode=LockMode.SHARED, timeout=0):
                pass
            with pytest.raises(LockBusy) as busy:
                with second.locks.hold(LockName.FILING, mode=LockMode.EXCLUSIVE, timeout=0):
                    pass
        assert busy.value.name is LockName.FILING
        with second.filing_lock(exclusive=True):
            pass
