"""The chain is the authority: a file changed or removed together with its catalog row is still caught,
and a lost head row stops writes with the repair named until `dossier repair` rebuilds it."""

from __future__ import annotations

import hashlib
import json

import pytest
from kit.catalog import documents, sql
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import AuditHeadMissing
from dossier.archive.catalog.models import AuditHead, Event
from dossier.archive.filing import file_document
from dossier.archive.integrity import Discrepancy, verify_archive
from dossier.archive.registry import ensure_borrower
from dossier.archive.repair import ChainBrokenError, check
from dossier.cli.app import main
from dossier.config import load_config

PERSON = "110105198001010016"


@pytest.fixture
def archive(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        ensure_borrower(opened, PERSON, "李四", "person", actor="test")
        for i in range(3):
            file_document(
                opened,
                f"document {i}".encode(),
                borrower_key=PERSON,
                category="basic",
                doc_type="other",
                title=f"材料{i}",
                filename=f"材料{i}.txt",
            )
        yield opened


def cli_verify(archive: Archive, capsys) -> tuple[int, dict, str]:
    code = main(["audit", "verify", "--home", str(archive.home), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert main(["audit", "verify", "--home", str(archive.home)]) == code
    return code, payload, capsys.readouterr().out


def test_a_file_swapped_together_with_its_catalog_row_is_caught(archive, capsys):
    target = documents(archive)[1]
    forged = b"a different contract"
    (archive.home / target.path).write_bytes(forged)
    digest = hashlib.sha256(forged).hexdigest()
    sql(archive, "update documents set sha256 = ?, size = ? where id = ?", digest, len(forged), target.id)

    report = verify_archive(archive, record=False)
    assert not report.ok
    assert [(p.path, p.problem, p.expected, p.actual) for p in report.changed] == [
        (target.path, Discrepancy.CHANGED, target.sha256, digest)
    ]
    assert {(c.document_id, c.problem, c.field) for c in report.catalog} == {
        (target.id, Discrepancy.ROW_DIFFERS, "sha256"),
        (target.id, Discrepancy.ROW_DIFFERS, "size"),
    }
    code, payload, human = cli_verify(archive, capsys)
    assert code == 1 and payload["changed"][0]["path"] == target.path
    assert payload["catalog"][0]["problem"] == "row-differs"
    assert f"changed: {target.path}" in human and f"document {target.id}: catalog sha256" in human


def test_a_file_deleted_together_with_its_catalog_row_is_caught(archive, capsys):
    target = documents(archive)[2]
    (archive.home / target.path).unlink()
    sql(archive, "delete from index_queue where id = ?", target.id)
    sql(archive, "delete from documents where id = ?", target.id)

    report = verify_archive(archive, record=False)
    assert [(p.path, p.problem) for p in report.missing] == [(target.path, Discrepancy.MISSING)]
    assert [(c.document_id, c.problem) for c in report.catalog] == [(target.id, Discrepancy.ROW_MISSING)]
    code, payload, human = cli_verify(archive, capsys)
    assert code == 1 and payload["missing"][0]["path"] == target.path
    assert f"missing: {target.path}" in human and "no catalog row" in human


def test_a_file_moved_with_its_row_is_caught_at_both_places(archive):
    target = documents(archive)[0]
    moved = target.path.replace("材料0", "材料0-renamed")
    (archive.home / target.path).rename(archive.home / moved)
    sql(archive, "update documents set path = ? where id = ?", moved, target.id)

    report = verify_archive(archive, record=False)
    assert [p.path for p in report.missing] == [target.path]
    assert report.unknown == [moved]
    assert [(c.field, c.chain, c.catalog) for c in report.catalog] == [("path", target.path, moved)]


def test_a_row_the_chain_never_filed_is_caught(archive):
    target = documents(archive)[0]
    sql(archive, "create table forged as select * from documents where id = ?", target.id)
    sql(archive, "update forged set id = 99, path = path || '.x', sha256 = substr(sha256, 2) || '0'")
    sql(archive, "insert into documents select * from forged")
    report = verify_archive(archive, record=False)
    assert [(c.document_id, c.problem) for c in report.catalog] == [(99, Discrepancy.ROW_UNRECORDED)]


def test_an_untouched_archive_matches_its_chain(archive):
    report = verify_archive(archive, record=False)
    assert report.ok and report.documents == 3 and report.files == 3 and report.catalog == []


def test_a_deleted_head_row_refuses_writes_until_check_rebuilds_it(archive, capsys):
    last = archive.transaction(
        lambda s: s.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc())).first()
    )
    sql(archive, "delete from audit_head")

    with pytest.raises(AuditHeadMissing, match="dossier repair"):
        file_document(
            archive,
            b"new",
            borrower_key=PERSON,
            category="basic",
            doc_type="other",
            title="新",
            filename="新.txt",
        )
    # The CLI says the same in one line, and the refused filing left nothing behind.
    code = main(
        [
            "ingest",
            "--home",
            str(archive.home),
            "--borrower",
            PERSON,
            "--category",
            "basic",
            "--type",
            "other",
            __file__,
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and "audit_head" in err and "dossier repair" in err
    report = verify_archive(archive)  # a verify still reports, though it cannot record itself
    assert report.chain.problem.kind == "head-missing" and report.chain.problem.seq == last.seq
    assert not report.missing and not report.unknown and not report.pending

    assert main(["repair", "--home", str(archive.home), "--dry-run"]) == 1
    assert "would be rebuilt" in capsys.readouterr().out
    assert main(["repair", "--home", str(archive.home), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["head_rebuilt"] == last.seq
    head = archive.transaction(lambda s: s.get(AuditHead, 1), write=False)
    assert (head.seq, head.hash) == (last.seq + 1, head.hash)  # the check recorded itself after it

    file_document(
        archive,
        b"new",
        borrower_key=PERSON,
        category="basic",
        doc_type="other",
        title="新",
        filename="新.txt",
    )
    report = verify_archive(archive)
    assert report.ok and report.documents == 4
    check_event = archive.transaction(
        lambda s: s.execute(select(Event).where(Event.action == "check")).scalar_one(), write=False
    )
    assert check_event.details["head_rebuilt"] == last.seq


def test_check_will_not_rebuild_the_head_of_a_broken_chain(archive, capsys):
    seq = sql(archive, "select min(seq) from events where action = 'file'")[0][0]
    sql(archive, "update events set actor = 'mallory' where seq = ?", seq)
    sql(archive, "delete from audit_head")
    with pytest.raises(ChainBrokenError, match=f"at event {seq}"):
        check(archive)
    assert main(["repair", "--home", str(archive.home)]) != 0
    assert "not rebuilt" in capsys.readouterr().err
    assert archive.transaction(lambda s: s.get(AuditHead, 1), write=False) is None
