"""A filing on a PostgreSQL catalog holds the filing lock on the connection its own transactions use: one
checkout per filing, the lock given back however the filing ends, never left on a pooled connection, and
an exclusive holder (`dossier repair`) still keeps filings out."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kit.config import config_from_toml
from sqlalchemy import event, text

from dossier.archive import Archive
from dossier.archive.catalog import db
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.errors import DossierError
from dossier.locks import NAMESPACE, LockBusy, LockMode, LockName

KEY = "110105198001010011"
HOLD_EXCLUSIVE = """
import sys, time
from dossier.archive.catalog import db
from dossier.locks import AdvisoryLocks, LockMode, LockName
with AdvisoryLocks(db.make_engine(sys.argv[1], db.Pool())).hold(LockName.FILING, mode=LockMode.EXCLUSIVE):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def archive(tmp_path: Path, catalog_url: str) -> Iterator[Archive]:
    config = config_from_toml(tmp_path, f'[catalog]\nurl = "{catalog_url}"\n')
    with Archive.init(tmp_path / "home", config=config) as opened:
        ensure_borrower(opened, KEY, "张三", "person", actor="test")
        yield opened


def _file(archive: Archive, content: bytes, borrower_key: str = KEY) -> Any:
    return file_document(
        archive, content, borrower_key=borrower_key, category="basic", doc_type="credit-report-personal",
        title="征信报告", original_name="report.pdf", actor="test",
    )  # fmt: skip


def _filing_locks_held(archive: Archive) -> int:
    """Filing-lock holds of any session in the catalog's database, seen from outside the pool."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :ns "
        "AND objid = :key AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with archive.engine.connect().execution_options(**{db.WRITE_OPTION: False}) as connection:
        return int(connection.execute(query, {"ns": NAMESPACE, "key": LockName.FILING.key}).scalar_one())


def test_a_filing_takes_its_lock_and_writes_on_one_connection(archive: Archive) -> None:
    checkouts: list[int] = []
    used: dict[str, set[int]] = {"lock": set(), "write": set()}

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        checkouts.append(id(dbapi_connection))

    def statement(connection: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        raw = id(connection.connection.dbapi_connection)
        if "pg_advisory_lock_shared" in sql or "pg_advisory_unlock_shared" in sql:
            used["lock"].add(raw)
        elif sql.startswith(("INSERT INTO documents", "UPDATE documents")):
            used["write"].add(raw)

    event.listen(archive.engine.pool, "checkout", checkout)
    event.listen(archive.engine, "before_cursor_execute", statement)
    try:
        assert _file(archive, b"%PDF-1.4 one").status == "filed"
    finally:
        event.remove(archive.engine.pool, "checkout", checkout)
        event.remove(archive.engine, "before_cursor_execute", statement)
    assert len(checkouts) == 1
    assert used["lock"] == used["write"] == {checkouts[0]}
    assert _filing_locks_held(archive) == 0


def test_a_failed_filing_gives_the_lock_back(archive: Archive) -> None:
    with pytest.raises(DossierError, match="unknown borrower"):
        _file(archive, b"%PDF-1.4 nobody's", borrower_key="110105198001010038")
    # A refusal inside a writing transaction: the catalog at another schema revision.
    with archive.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(db.SchemaMismatch):
        _file(archive, b"%PDF-1.4 refused")
    with archive.engine.connect().execution_options(**{db.WRITE_OPTION: False}) as connection:
        connection.execute(text(f"UPDATE alembic_version SET version_num = '{db.HEAD}'"))
        connection.commit()
    assert _filing_locks_held(archive) == 0
    with archive.filing_lock(exclusive=True):
        pass
    assert _file(archive, b"%PDF-1.4 after").status == "filed"


def test_an_exclusive_holder_keeps_filings_out_until_it_lets_go(archive: Archive) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_EXCLUSIVE, archive.engine.url.render_as_string(hide_password=False)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy):
            with archive.locks.hold(LockName.FILING, mode=LockMode.SHARED, timeout=0):
                pass
        results: list[Any] = []
        filer = threading.Thread(target=lambda: results.append(_file(archive, b"%PDF-1.4 waits")))
        filer.start()
        filer.join(timeout=1.0)
        assert filer.is_alive() and not results  # waiting for the exclusive holder
        holder.stdin.write("\n")
        holder.stdin.flush()
        filer.join(timeout=60)
        assert [r.status for r in results] == ["filed"]
    finally:
        holder.kill()
        holder.wait()
    assert _filing_locks_held(archive) == 0
