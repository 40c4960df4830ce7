"""Tampering with the archive: each change to a file or to the audit log is caught and named."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from kit.catalog import documents, sql, tampering
from sqlalchemy import event
from sqlalchemy.orm import Session

from dossier.archive import Archive
from dossier.archive.audit import GENESIS, append_event, canonical, event_hash, verify_chain
from dossier.archive.catalog.models import Event
from dossier.archive.filing import file_document
from dossier.archive.integrity import verify_archive
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import load_config

PERSON = "110105198001010016"


@pytest.fixture
def archive(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        ensure_borrower(opened, PERSON, "李四", "person", actor="test")
        for i in range(4):
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


def event_seqs(archive: Archive, action: str) -> list[int]:
    return [seq for (seq,) in sql(archive, "select seq from events where action = ? order by seq", action)]


def cli_verify(archive: Archive, capsys) -> tuple[int, dict, str]:
    code = main(["audit", "verify", "--home", str(archive.home), "--json"])
    out = capsys.readouterr().out
    code_human = main(["audit", "verify", "--home", str(archive.home)])
    human = capsys.readouterr().out
    assert code_human == code
    return code, json.loads(out), human


def test_an_untouched_archive_verifies_and_the_check_is_logged(archive, capsys):
    report = verify_archive(archive)
    assert report.ok and report.documents == 4 and report.files == 4 and report.chain.events > 0
    code, payload, human = cli_verify(archive, capsys)
    assert code == 0 and payload["ok"] and payload["chain"]["broken_at"] is None
    assert "audit chain intact" in human
    assert len(event_seqs(archive, "verify")) == 3


def test_one_changed_byte_in_an_archived_file_is_named(archive, capsys):
    target = archive.home / documents(archive)[2].path
    data = bytearray(target.read_bytes())
    data[0] ^= 0x01
    target.write_bytes(bytes(data))
    report = verify_archive(archive)
    assert not report.ok and report.chain.ok
    assert [p.path for p in report.changed] == [documents(archive)[2].path]
    code, payload, human = cli_verify(archive, capsys)
    assert code == 1 and payload["changed"][0]["path"] == documents(archive)[2].path
    assert f"changed: {documents(archive)[2].path}" in human


def test_a_deleted_file_is_named(archive, capsys):
    target = archive.home / documents(archive)[1].path
    target.unlink()
    report = verify_archive(archive)
    assert [(p.path, p.problem) for p in report.missing] == [(documents(archive)[1].path, "missing")]
    code, _, human = cli_verify(archive, capsys)
    assert code == 1 and f"missing: {documents(archive)[1].path}" in human


def test_an_unknown_file_in_a_borrower_folder_is_named_but_the_inbox_is_not(archive, capsys):
    folder = archive.home / f"{PERSON}-李四" / "01-基本资料"
    (folder / "slipped-in.pdf").write_bytes(b"%PDF")
    (archive.home / "_inbox" / "to-sort.pdf").write_bytes(b"%PDF")
    (archive.home / "_quarantine" / "bad.pdf").write_bytes(b"%PDF")
    report = verify_archive(archive)
    assert report.unknown == [f"{PERSON}-李四/01-基本资料/slipped-in.pdf"]
    code, _, human = cli_verify(archive, capsys)
    assert code == 1 and "unknown: " in human and "slipped-in.pdf" in human and "to-sort" not in human


def test_an_edited_event_is_named(archive, capsys):
    seq = event_seqs(archive, "file")[1]
    sql(archive, "update events set details = ? where seq = ?", json.dumps({"path": "somewhere/else"}), seq)
    chain = verify_archive(archive).chain
    assert (chain.problem.kind, chain.problem.seq) == ("edited", seq)
    code, payload, human = cli_verify(archive, capsys)
    assert code == 1 and payload["chain"]["broken_at"] == seq and payload["chain"]["problem"] == "edited"
    assert f"broken at event {seq} (edited)" in human


def test_an_edited_event_with_its_hash_recomputed_is_still_caught(archive):
    seq = event_seqs(archive, "file")[1]
    with archive.session(write=False) as session:
        event = session.get(Event, seq)
        event.actor = "mallory"
        forged = event_hash(event.prev_hash, event)
        session.rollback()  # the database refuses the edit (append-only); the forger goes round it below
    sql(archive, "update events set actor = 'mallory', hash = ? where seq = ?", forged, seq)
    chain = verify_archive(archive, record=False).chain
    assert (chain.problem.kind, chain.problem.seq) == ("edited", seq)


def test_a_deleted_event_is_named(archive, capsys):
    seq = event_seqs(archive, "file")[1]
    sql(archive, "delete from events where seq = ?", seq)
    chain = verify_archive(archive).chain
    assert (chain.problem.kind, chain.problem.seq) == ("deleted", seq)
    code, payload, _ = cli_verify(archive, capsys)
    assert code == 1 and payload["chain"]["problem"] == "deleted" and payload["chain"]["broken_at"] == seq


def test_a_deleted_event_hidden_by_renumbering_is_named(archive):
    seq = event_seqs(archive, "file")[1]
    sql(archive, "delete from events where seq = ?", seq)
    last = sql(archive, "select max(seq) from events")[0][0]
    for s in range(seq + 1, last + 1):
        sql(archive, "update events set seq = ? where seq = ?", s - 1, s)
    sql(archive, "update audit_head set seq = seq - 1")
    chain = verify_archive(archive, record=False).chain
    assert (chain.problem.kind, chain.problem.seq) == ("deleted", seq)


def test_a_deleted_tail_is_named_against_the_head_anchor(archive, capsys):
    last = sql(archive, "select max(seq) from events")[0][0]
    sql(archive, "delete from events where seq = ?", last)
    chain = verify_archive(archive, record=False).chain
    assert (chain.problem.kind, chain.problem.seq) == ("tail-deleted", last)
    code, payload, human = cli_verify(archive, capsys)
    assert (
        code == 1 and payload["chain"]["problem"] == "tail-deleted" and payload["chain"]["broken_at"] == last
    )
    # The check logged itself after the gap, so the second run sees it as a hole in the middle: still named.
    assert f"broken at event {last} (deleted)" in human


def test_an_event_inserted_in_the_middle_is_named(archive, capsys):
    seq = event_seqs(archive, "file")[1]
    last = sql(archive, "select max(seq) from events")[0][0]
    for s in range(last, seq - 1, -1):  # make room, from the end
        sql(archive, "update events set seq = ? where seq = ?", s + 1, s)
    sql(archive, "update audit_head set seq = seq + 1")
    prev_hash = sql(archive, "select hash from events where seq = ?", seq - 1)[0][0]
    forge(archive, seq, prev_hash)
    chain = verify_archive(archive).chain
    assert (chain.problem.kind, chain.problem.seq) == ("inserted", seq)
    code, payload, _ = cli_verify(archive, capsys)
    assert code == 1 and payload["chain"]["problem"] == "inserted"


def test_an_event_appended_behind_the_logs_back_is_named(archive):
    last, head_hash = sql(archive, "select seq, hash from audit_head")[0]
    forge(archive, last + 1, head_hash)
    chain = verify_archive(archive, record=False).chain
    assert (chain.problem.kind, chain.problem.seq) == ("inserted", last + 1)


def test_an_event_rewritten_to_skip_earlier_ones_is_named(archive):
    # The newest event re-linked to an older one, as if the events in between had been slipped in.
    seqs = event_seqs(archive, "file")
    older = sql(archive, "select hash from events where seq = ?", seqs[0])[0][0]
    with tampering(archive) as session:
        event = append_event(session, actor="x", action="note", target="t")
    forged = event_hash(older, event)  # the event's content, hashed onto the older event
    sql(archive, "update events set prev_hash = ?, hash = ? where seq = ?", older, forged, event.seq)
    sql(archive, "update audit_head set hash = ?", forged)
    chain = verify_archive(archive, record=False).chain
    assert (chain.problem.kind, chain.problem.seq) == ("inserted", seqs[0] + 1)


def forge(archive: Archive, seq: int, prev_hash: str) -> None:
    """An event computed exactly as dossier would, so only its place in the chain betrays it."""
    import hashlib
    from datetime import UTC, datetime

    at = datetime.now(UTC)
    content = {
        "seq": seq,
        "at": at.isoformat(),
        "actor": "mallory",
        "action": "file",
        "target": "document:99",
        "borrower_key": PERSON,
        "details": {},
    }
    digest = hashlib.sha256(prev_hash.encode("ascii") + canonical(content)).hexdigest()
    sql(
        archive,
        "insert into events (seq, at, actor, action, target, borrower_key, details, prev_hash, hash) "
        "values (?, ?, 'mallory', 'file', 'document:99', ?, '{}', ?, ?)",
        seq,
        at.strftime("%Y-%m-%d %H:%M:%S.%f"),
        PERSON,
        prev_hash,
        digest,
    )


def test_an_empty_log_has_a_genesis_head(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        report = archive.transaction(verify_chain, write=False)
        assert report.ok and report.events == 1
        first = archive.transaction(lambda s: s.get(Event, 1), write=False)
        assert first.prev_hash == GENESIS and first.action == "init"


def test_the_log_lists_events_by_borrower_and_date(archive, capsys):
    code = main(["audit", "log", "--home", str(archive.home), "--borrower", PERSON, "--json"])
    events = json.loads(capsys.readouterr().out)
    assert code == 0 and {e["borrower_key"] for e in events} == {PERSON}
    assert [e["action"] for e in events] == ["register-borrower"] + ["file"] * 4
    code = main(["audit", "log", "--home", str(archive.home), "--since", "2999-01-01", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out) == []
    code = main(["audit", "log", "--home", str(archive.home), "--since", "2000-01-01", "--json"])
    # init, register, four filings, and the two reads of the log above (each read is an event)
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 8 and [e["action"] for e in listed[-2:]] == ["view", "view"]
    assert main(["audit", "log", "--home", str(archive.home), "--since", "yesterday"]) == 2


WRITER = """
import sys
from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.config import load_config
archive = Archive.open(sys.argv[1], config=load_config())
for i in range(15):
    name = f"w{sys.argv[2]}-{i}"
    file_document(archive, f"writer {sys.argv[2]} doc {i}".encode(), borrower_key=sys.argv[3],
                  category="basic", doc_type="other", title=name, filename=name + ".txt")
"""


def test_writers_in_several_processes_keep_one_unbroken_chain(archive):
    before = sql(archive, "select seq from audit_head")[0][0]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(archive.home), str(n), PERSON], stderr=subprocess.PIPE
        )
        for n in range(3)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    report = verify_archive(archive, record=False)
    assert report.ok and report.documents == 4 + 45
    assert report.chain.head_seq == before + 45


def test_appends_through_two_archives_and_a_rollback_keep_one_chain(archive):
    """Each archive remembers where it left the head (on PostgreSQL it appends after that in one
    statement): the other one's appends and a rolled-back append make that memory stale, and the chain
    must still come out whole and in order."""

    def note(target: str) -> Callable[[Session], object]:
        return lambda s: append_event(s, actor="test", action="note", target=target)

    with Archive.open(archive.home, config=archive.config) as other:
        for i in range(6):
            (archive if i % 2 else other).transaction(note(f"n{i}"))
        with pytest.raises(RuntimeError), archive.session() as session:
            note("rolled back")(session)
            raise RuntimeError("the caller fails after the append")
        archive.transaction(note("n6"))
        other.transaction(note("n7"))
        archive.transaction(note("n8"))
    targets = [t for (t,) in sql(archive, "select target from events where action = ? order by seq", "note")]
    assert targets == [f"n{i}" for i in range(9)]
    assert archive.transaction(verify_chain, write=False).ok


def test_an_append_costs_one_statement_on_postgresql_and_two_after_another_process(archive):
    """The round trips the head hint saves (bench/catalog.py counts them): reading the head, inserting
    the event and moving the head are one statement when this archive appended last, and two when another
    process did (the first shows where the head is)."""
    statements: list[str] = []

    def appends(writer: Archive, target: str) -> int:
        statements.clear()
        writer.transaction(lambda s: append_event(s, actor="test", action="note", target=target))
        return len([s for s in statements if "events" in s or "audit_head" in s])

    event.listen(archive.engine, "before_cursor_execute", lambda _c, _cur, stmt, *_a: statements.append(stmt))
    postgresql = archive.engine.dialect.name == "postgresql"
    assert appends(archive, "first") == (1 if postgresql else 3)  # SQLite: read, insert, move in-process
    assert appends(archive, "second") == (1 if postgresql else 3)
    with Archive.open(archive.home, config=archive.config) as other:
        other.transaction(lambda s: append_event(s, actor="test", action="note", target="elsewhere"))
    assert appends(archive, "third") == (2 if postgresql else 3)
    assert appends(archive, "fourth") == (1 if postgresql else 3)
    targets = [t for (t,) in sql(archive, "select target from events where action = ? order by seq", "note")]
    assert targets == ["first", "second", "elsewhere", "third", "fourth"]
    assert archive.transaction(verify_chain, write=False).ok


def test_a_folder_swapped_for_a_symbolic_link_is_never_followed(archive, tmp_path):
    folder = archive.home / f"{PERSON}-李四" / "01-基本资料"
    copy = tmp_path / "copy"
    folder.rename(copy)
    folder.symlink_to(copy, target_is_directory=True)  # same bytes, reached through a link
    report = verify_archive(archive, record=False)
    assert sorted(p.path for p in report.missing) == sorted(d.path for d in documents(archive))
    assert report.unknown == [f"{PERSON}-李四/01-基本资料"]
