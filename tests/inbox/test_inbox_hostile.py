"""Hostile and undecidable inputs, dropped into a running watcher: each ends in quarantine with its
reason, or filed with a flag, nothing outside the home is touched, and the watcher keeps going.

The tests run as root, and root reads a file whatever its mode, so "an unreadable file" is made as
things no one can read as a document: a FIFO (opening it for reading would block a careless reader) and
a socket; a chmod 000 file is also dropped and, read by root, filed normally."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
from pathlib import Path

from kit.inbox_samples import (
    COMPANY,
    PERSON,
    SPOUSE,
    bomb_pdf,
    documents,
    id_card_pdf,
    items,
    license_pdf,
    log_tail,
    make_home,
    processing,
    quarantined,
    stop,
    text_pdf,
    wait_for,
)
from kit.paths import CORPUS

from dossier.archive.catalog.models import Event
from dossier.archive.integrity import verify_archive
from dossier.inbox.journal import decode_path

ENCRYPTED = CORPUS / "paperless-ngx-samples" / "password-is-test.pdf"


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_hostile_inputs_end_in_quarantine_or_filed_with_a_flag(tmp_path: Path) -> None:
    home = make_home(tmp_path, quiet=0.3)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.pdf"
    secret.write_bytes(license_pdf(serial="outside"))
    secret_hash = hashlib.sha256(secret.read_bytes()).hexdigest()
    inbox = home.inbox
    truncated = license_pdf(serial="truncated")
    expected: dict[str, set[str]] = {}

    def put(name: str, content: bytes, outcomes: set[str]) -> None:
        _write(inbox / name, content)
        expected[name] = outcomes

    put("empty.pdf", b"", {"quarantined:empty"})
    put("truncated.pdf", truncated[: len(truncated) * 2 // 3], {"quarantined:*", "filed:flag"})
    put("encrypted.pdf", ENCRYPTED.read_bytes(), {"quarantined:extraction-failed"})
    put(f"{COMPANY}/营业执照/encrypted-licence.pdf", ENCRYPTED.read_bytes(), {"filed:flag"})
    put("bomb.pdf", bomb_pdf(1024), {"quarantined:extraction-failed"})
    put(f"{COMPANY}/营业执照/bomb-licence.pdf", bomb_pdf(1100), {"filed:flag"})
    put("scan\x07\x1b[31m\n.pdf", license_pdf(serial="control"), {"filed:"})
    put("报告..\\..\\..\\etc\\passwd.pdf", id_card_pdf(serial="traversal"), {"filed:"})
    put(os.fsdecode(b"\xff\xfe-bad-utf8.pdf"), id_card_pdf(serial="bytes"), {"filed:"})
    put("garbage.pdf", os.urandom(4096), {"quarantined:unsupported-format"})
    put("archive.zip", b"PK\x05\x06" + bytes(18), {"quarantined:unsupported-format"})
    put("huge.pdf", b"%PDF-1.7\n" + bytes(6 * 1024 * 1024), {"quarantined:too-large"})
    put(
        "two.pdf",
        text_pdf(["保证合同", f"借款人 {PERSON}", f"保证人 {SPOUSE}"]),
        {"quarantined:two-borrowers"},
    )
    put("no-type.pdf", text_pdf(["说明", f"统一社会信用代码 {COMPANY}"]), {"quarantined:unknown-type"})
    put("mode-000.pdf", license_pdf(serial="mode 000"), {"filed:", "quarantined:unreadable"})
    os.chmod(inbox / "mode-000.pdf", 0)
    (inbox / "link.pdf").symlink_to(secret)
    expected["link.pdf"] = {"quarantined:not-a-file"}
    (inbox / "link-folder").symlink_to(outside, target_is_directory=True)
    expected["link-folder"] = {"quarantined:not-a-file"}
    os.mkfifo(inbox / "pipe.pdf")
    expected["pipe.pdf"] = {"quarantined:not-a-file"}
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "socket.pdf"))
    expected["socket.pdf"] = {"quarantined:not-a-file"}
    (inbox / "folder-named.pdf").mkdir()
    put("folder-named.pdf/inside.pdf", license_pdf(serial="inside a folder named like a file"), {"filed:"})
    (inbox / "..\\..\\x.pdf").write_bytes(license_pdf(serial="hidden"))  # hidden: left alone

    log = tmp_path / "watch.log"
    process = home.start(log=log)
    try:
        wait_for(
            lambda: sum(1 for i in items(home) if i.outcome in ("filed", "quarantined")) >= len(expected),
            150,
            f"{len(expected)} hostile inputs to be settled",
        )
        # Still running: an ordinary file after all that is filed as usual.
        _write(inbox / COMPANY / "after.pdf", license_pdf(serial="after"))
        wait_for(lambda: not (inbox / COMPANY / "after.pdf").exists(), 60, "the file after the hostile ones")
        assert process.poll() is None, log_tail(log)
    finally:
        assert stop(process) == 0, log_tail(log)
        sock.close()

    settled = {}
    for row in items(home):
        if row.outcome in ("filed", "quarantined"):
            settled[decode_path(row.path)] = row
    for name, outcomes in expected.items():
        row = settled.get(name)
        assert row is not None, f"{name!r} was not settled"
        if row.outcome == "quarantined":
            assert "quarantined:*" in outcomes or f"quarantined:{row.reason}" in outcomes, (name, row.reason)
        else:
            document = next(d for d in documents(home) if d.id == row.document_id)
            assert ("filed:flag" if document.flags else "filed:") in outcomes, (name, document.flags)

    # Encrypted and bomb files that the folder identified are filed, flagged.
    flagged = {d.original_name: d.flags for d in documents(home) if d.flags}
    assert (
        "encrypted" in flagged["encrypted-licence.pdf"]
        and "extraction-failed" in flagged["encrypted-licence.pdf"]
    )
    assert "extraction-failed" in flagged["bomb-licence.pdf"]
    # Names are data: printable in the archive, nothing created outside the home.
    names = {d.original_name for d in documents(home)}
    assert "scan__[31m_.pdf" in names and "报告.._.._.._etc_passwd.pdf" in names
    assert not (tmp_path / "etc").exists() and sorted(p.name for p in outside.iterdir()) == ["secret.pdf"]
    assert hashlib.sha256(secret.read_bytes()).hexdigest() == secret_hash

    # Links and special files were moved as themselves, never followed or opened.
    link = next(p for p in quarantined(home) if p.name.endswith("link.pdf"))
    assert link.is_symlink() and os.readlink(link) == str(secret)
    assert stat.S_ISFIFO(os.lstat(next(p for p in quarantined(home) if p.name.endswith("pipe.pdf"))).st_mode)
    # Each quarantined file has its reason beside it, and an audit event.
    reasons = sorted(home.quarantine.glob("*.reason.json"))
    assert (
        len(reasons)
        == len(quarantined(home))
        == sum(1 for r in settled.values() if r.outcome == "quarantined")
    )
    for reason_file in reasons:
        reason = json.loads(reason_file.read_text(encoding="utf-8"))
        assert reason["reason"] and "(" in reason["message"]  # English and Chinese
        assert (home.quarantine / reason_file.name.removesuffix(".reason.json")).exists() or os.path.islink(
            home.quarantine / reason_file.name.removesuffix(".reason.json")
        )
    with home.archive() as archive:
        events = archive.transaction(
            lambda s: s.query(Event).filter(Event.action == "quarantine").count(), write=False
        )
        report = verify_archive(archive, record=False)
    assert events == len(reasons)
    assert report.ok, (report.missing, report.changed, report.unknown, report.pending)
    # The hidden file is ignored, the folder named like a file is still a folder; nothing is in flight.
    assert (inbox / "..\\..\\x.pdf").exists() and (inbox / "folder-named.pdf").is_dir()
    assert processing(home) == []


def test_quarantine_keeps_one_copy_of_the_same_content(tmp_path: Path) -> None:
    home = make_home(tmp_path, quiet=0.2)
    same = text_pdf(["会议记录", "无主文件"])
    (home.inbox / "a.pdf").write_bytes(same)
    assert home.cli("watch", "--once").returncode == 0
    (home.inbox / "b.pdf").write_bytes(same)
    assert home.cli("watch", "--once").returncode == 0
    assert len(quarantined(home)) == 1
    outcomes = sorted((i.name, i.outcome) for i in items(home))
    assert outcomes == [("a.pdf", "quarantined"), ("b.pdf", "duplicate")]
    assert not list(home.inbox.iterdir())
