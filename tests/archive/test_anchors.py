"""Witnessed anchors: the two forgeries the catalog cannot see from inside (a cut tail with its head row,
an edit re-hashed to the end) are caught once the head has been written down elsewhere."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from kit.catalog import sql, tampering
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.anchors import AnchorBreak, AnchorFileError, anchor_archive, read_anchors
from dossier.archive.audit import event_hash
from dossier.archive.catalog.models import AuditHead, Document, Event
from dossier.archive.export import export_borrower
from dossier.archive.filing import file_document
from dossier.archive.integrity import verify_archive
from dossier.archive.registry import ensure_borrower
from dossier.cli.app import main
from dossier.config import load_config
from dossier.errors import DossierError

PERSON = "110105198001010016"
DOSSIER = Path(sys.executable).with_name("dossier")


@pytest.fixture
def archive(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        ensure_borrower(opened, PERSON, "李四", "person", actor="test")
        for i in range(3):
            file_one(opened, i)
        yield opened


@pytest.fixture
def witness(tmp_path) -> Path:
    """The anchor log's folder: in real use another volume; here at least outside the home."""
    folder = tmp_path / "witness"
    folder.mkdir()
    return folder


def file_one(archive: Archive, i: int) -> None:
    file_document(
        archive,
        f"document {i}".encode(),
        borrower_key=PERSON,
        category="basic",
        doc_type="other",
        title=f"材料{i}",
        filename=f"材料{i}.txt",
    )


def dossier(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in its own process, running this checkout (PYTHONPATH is inherited)."""
    env = {k: v for k, v in os.environ.items() if k != "DOSSIER_CONFIG"}
    if config is not None:
        env["DOSSIER_CONFIG"] = str(config)
    return subprocess.run(
        [str(DOSSIER), *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def cut_tail(archive: Archive, keep: int) -> None:
    """Delete every event after ``keep`` and move the head row back to it, as a forger with the database
    file would: the chain left behind links perfectly."""
    (digest,) = sql(archive, "select hash from events where seq = ?", keep)[0]
    sql(archive, "delete from events where seq > ?", keep)
    sql(archive, "update audit_head set seq = ?, hash = ?", keep, digest)


def last_document(archive: Archive) -> Document:
    return archive.transaction(
        lambda s: s.execute(select(Document).order_by(Document.id.desc())).scalars().first(), write=False
    )


def forget_document(archive: Archive, document: Document) -> None:
    (archive.home / document.path).unlink()
    sql(archive, "delete from index_queue where id = ?", document.id)
    sql(archive, "delete from documents where id = ?", document.id)


def test_the_cli_round_trip_catches_a_tail_cut_with_its_head_row(archive, witness):
    log = witness / "anchors.jsonl"
    home = str(archive.home)
    first = dossier("audit", "anchor", "--to", str(log), "--home", home, "--json")
    assert first.returncode == 0, first.stderr
    anchored = json.loads(first.stdout)
    head = archive.transaction(lambda s: s.get(AuditHead, 1), write=False)
    # The anchor is the head it saw; recording the anchoring is the next event.
    assert (anchored["seq"], head.seq) == (head.seq - 1, head.seq)

    file_one(archive, 3)  # work goes on after the first anchor
    second = dossier("audit", "anchor", "--to", str(log), "--home", home, "--json")
    assert second.returncode == 0, second.stderr
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["seq"], line["hash"]) for line in lines] == [
        (anchored["seq"], anchored["hash"]),
        (json.loads(second.stdout)["seq"], json.loads(second.stdout)["hash"]),
    ]
    assert all(datetime.fromisoformat(line["at"]).tzinfo is not None for line in lines)
    assert {line["home"] for line in lines} == {home}
    clean = dossier("audit", "verify", "--anchors", str(log), "--home", home, "--json")
    assert clean.returncode == 0, clean.stdout
    assert json.loads(clean.stdout)["anchors"] == {"checked": 2, "problems": []}

    # The forger removes the last filing: the file, its row, and the chain's tail with the head row.
    filed = sql(archive, "select max(seq) from events where action = 'file'")[0][0]
    cut_tail(archive, filed - 1)
    forget_document(archive, last_document(archive))
    # From inside the catalog nothing shows: the chain links, and catalog and files agree with it.
    assert verify_archive(archive, record=False, anchors=[]).ok

    caught = dossier("audit", "verify", "--anchors", str(log), "--home", home, "--json")
    assert caught.returncode == 1
    report = json.loads(caught.stdout)
    assert report["chain"]["ok"] and not report["missing"] and not report["catalog"]
    (problem,) = report["anchors"]["problems"]
    assert problem["problem"] == "truncated" and problem["seq"] == lines[1]["seq"]
    assert problem["source"] == f"{log}:2"
    human = dossier("audit", "verify", "--anchors", str(log), "--home", home)
    assert human.returncode == 1 and f"{log}:2: event {lines[1]['seq']}" in human.stdout
    # Nor will the log take a new head from the cut chain, which would bury the evidence.
    again = dossier("audit", "anchor", "--to", str(log), "--home", home)
    assert again.returncode != 0 and "not anchored" in again.stderr
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2


def test_an_edit_re_hashed_to_the_end_is_caught_by_an_anchor(archive, witness, capsys):
    log = witness / "anchors.jsonl"
    anchor = anchor_archive(archive, log, actor="test")
    file_one(archive, 3)

    # The forger swaps the first document for another and rewrites its file event to match, then
    # re-hashes every event after it and the head: the chain links again from start to end.
    victim = archive.transaction(
        lambda s: s.execute(select(Document).order_by(Document.id)).scalars().first(), write=False
    )
    forged = b"a forged contract"
    digest = hashlib.sha256(forged).hexdigest()
    (archive.home / victim.path).write_bytes(forged)
    sql(archive, "update documents set sha256 = ?, size = ? where id = ?", digest, len(forged), victim.id)
    with tampering(archive) as session:
        events = list(session.execute(select(Event).order_by(Event.seq)).scalars())
        start = next(i for i, e in enumerate(events) if e.target == f"document:{victim.id}")
        events[start].details = {**events[start].details, "sha256": digest, "size": len(forged)}
        prev = events[start].prev_hash
        for event in events[start:]:
            event.prev_hash, event.hash = prev, event_hash(prev, event)
            prev = event.hash
        head = session.get(AuditHead, 1)
        head.hash = prev
    assert verify_archive(archive, record=False, anchors=[]).ok  # invisible from inside

    report = verify_archive(archive, record=False, anchors=read_anchors(log))
    assert not report.ok
    (problem,) = report.anchor_problems
    assert problem.kind is AnchorBreak.REWRITTEN and problem.anchor.seq == anchor.seq
    assert problem.found != anchor.hash
    assert main(["audit", "verify", "--anchors", str(log), "--home", str(archive.home)]) == 1
    assert "rewritten" in capsys.readouterr().out


def test_an_export_bundle_carries_its_head_and_serves_as_an_anchor(archive, tmp_path, capsys):
    bundle = tmp_path / "export.zip"
    result = export_borrower(archive, PERSON, bundle, actor="test")
    with zipfile.ZipFile(bundle) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    export_event = archive.transaction(lambda s: s.get(Event, result.event_seq), write=False)
    assert manifest["audit_head"] == {"seq": export_event.seq, "hash": export_event.hash}
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    assert [(a.seq, a.hash) for a in read_anchors(manifest_file)] == [(export_event.seq, export_event.hash)]

    assert main(["audit", "verify", "--anchors", str(bundle), "--home", str(archive.home)]) == 0
    capsys.readouterr()
    cut_tail(archive, export_event.seq - 1)
    assert main(["audit", "verify", "--anchors", str(bundle), "--home", str(archive.home), "--json"]) == 1
    (problem,) = json.loads(capsys.readouterr().out)["anchors"]["problems"]
    assert problem["problem"] == "truncated" and problem["source"] == str(bundle)


def test_the_configured_log_is_used_and_checked_by_default(archive, witness, tmp_path):
    log = witness / "anchors.jsonl"
    config = tmp_path / "bank.toml"
    config.write_text(f'[audit]\nanchor_path = "{log}"\n', encoding="utf-8")
    home = str(archive.home)
    assert dossier("audit", "anchor", "--home", home, config=config).returncode == 0
    assert len(read_anchors(log)) == 1
    file_one(archive, 3)
    assert dossier("audit", "anchor", "--home", home, config=config).returncode == 0
    cut_tail(archive, sql(archive, "select max(seq) from events where action = 'file'")[0][0] - 1)
    run = dossier("audit", "verify", "--home", home, "--json", config=config)
    assert run.returncode == 1 and json.loads(run.stdout)["anchors"]["problems"][0]["problem"] == "truncated"


def test_anchoring_needs_a_log_outside_the_home_and_an_unbroken_chain(archive, witness):
    with pytest.raises(DossierError, match=r"\[audit\].anchor_path.*--to FILE"):
        anchor_archive(archive)
    run = dossier("audit", "anchor", "--home", str(archive.home))
    assert run.returncode != 0 and "--to FILE" in run.stderr
    with pytest.raises(DossierError, match="outside the archive home"):
        anchor_archive(archive, archive.home / "anchors.jsonl")
    seq = sql(archive, "select min(seq) from events where action = 'file'")[0][0]
    sql(archive, "update events set actor = 'mallory' where seq = ?", seq)
    with pytest.raises(DossierError, match=f"broken at event {seq}"):
        anchor_archive(archive, witness / "anchors.jsonl")
    assert not (witness / "anchors.jsonl").exists()


def test_a_line_cut_short_by_a_crash_does_not_spoil_the_next(archive, witness):
    log = witness / "anchors.jsonl"
    log.write_bytes(b'{"seq": 1, "hash": "ab')
    anchor_archive(archive, log)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["seq"] > 0
    with pytest.raises(AnchorFileError, match=rf"{log}:1: not a JSON object"):
        read_anchors(log)


def test_files_that_are_not_anchors_are_named(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(AnchorFileError, match="holds no anchor"):
        read_anchors(empty)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq": 3, "hash": "' + "a" * 64 + '"}\n{"seq": -1, "hash": "x"}\n', encoding="utf-8")
    with pytest.raises(AnchorFileError, match=rf"{bad}:2: seq must be"):
        read_anchors(bad)
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(AnchorFileError, match="names no chain head"):
        read_anchors(other)
    absent = tmp_path / "absent.jsonl"
    assert main(["audit", "verify", "--anchors", str(absent), "--home", str(tmp_path)]) != 0
    assert f"{absent}: cannot be read" in capsys.readouterr().err
