"""An upload whose server died before it answered: a watcher settles what it staged, whether or not the
server had opened its journal row, and never files it past the uploader's scope."""

from __future__ import annotations

import json
from pathlib import Path

from kit.inbox_samples import COMPANY, files_under, license_pdf, make_home
from sqlalchemy import text

from dossier.archive.filing import file_document
from dossier.inbox import interrupted_upload
from dossier.inbox.journal import Journal
from dossier.inbox.outcome import Outcome

DEAD_OWNER = "deadbeefdeadbeef"
"""A token no running process leases (Archive.owner tokens are 16 hex digits)."""


def _staged(inbox: Path, content: bytes, owner: str = DEAD_OWNER) -> Path:
    path = inbox / ".uploads" / f"{owner}-0123456789abcdef" / COMPANY / "营业执照.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return path


def test_a_dead_servers_staged_upload_goes_to_quarantine_with_its_reason(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    _staged(home.inbox, license_pdf(serial="cut off"))
    with home.archive() as archive:
        journal = Journal(archive)
        assert interrupted_upload.settle_orphans(archive, journal, "test") == 1
        assert not (home.inbox / ".uploads").exists() or not files_under(home.inbox / ".uploads")
        [reason] = [p for p in files_under(home.quarantine) if p.name.endswith(".reason.json")]
        assert json.loads(reason.read_text(encoding="utf-8"))["reason"] == "upload-interrupted"
        assert journal.open_items() == []  # the row it was given is closed
        # Settling again finds nothing: nothing is settled twice.
        assert interrupted_upload.settle_orphans(archive, journal, "test") == 0


def test_a_dead_servers_upload_already_filed_by_its_retry_is_a_duplicate(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    content = license_pdf(serial="sent twice")
    with home.archive() as archive:
        source = tmp_path / "retry.pdf"
        source.write_bytes(content)
        file_document(
            archive,
            source,
            borrower_key=COMPANY,
            category="basic",
            doc_type="business-license",
            title="营业执照",
        )
        _staged(home.inbox, content)
        assert interrupted_upload.settle_orphans(archive, Journal(archive), "test") == 1
        assert [p for p in files_under(home.quarantine)] == []
        last = text("select outcome from inbox_items order by id desc limit 1")
        closed = archive.transaction(lambda s: s.execute(last).scalar_one(), write=False)
        assert closed == Outcome.DUPLICATE


def test_a_live_owners_staged_upload_is_left_alone(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with home.archive() as archive:
        staged = _staged(home.inbox, license_pdf(serial="in flight"), owner=archive.owner)
        assert interrupted_upload.settle_orphans(archive, Journal(archive), "test") == 0
        assert staged.is_file()
