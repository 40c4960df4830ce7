"""`dossier watch` as a real subprocess: slow writes, atomic moves, bursts, files dropped while it was
stopped, duplicates, temporary files, SIGTERM, an inotify overflow, a second watcher."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit.inbox_samples import (
    COMPANY,
    PERSON,
    Home,
    documents,
    drop,
    id_card_pdf,
    items,
    license_pdf,
    log_tail,
    make_home,
    processing,
    receipt_pdf,
    stop,
    text_pdf,
    wait_for,
)
from sqlalchemy import func, select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document, Event
from dossier.archive.integrity import verify_archive

SLOW_WRITER = """\
import sys, time
path, gap = sys.argv[1], float(sys.argv[2])
data = sys.stdin.buffer.read()
step = max(1, len(data) // 6)
with open(path, "wb") as out:
    for start in range(0, len(data), step):
        out.write(data[start:start + step])
        out.flush()
        time.sleep(gap)
print("done", flush=True)
"""


def _watching(log: Path) -> bool:
    return "watching" in log_tail(log, 200)


def _start(home: Home, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    process = home.start(*extra, log=log)
    wait_for(lambda: _watching(log) or process.poll() is not None, 60, "the watcher to start")
    assert process.poll() is None, log_tail(log)
    return process


def _filed_paths(home: Home) -> dict[str, str]:
    """sha256 → archived path of every filed document."""
    return {d.sha256: d.path for d in documents(home)}


def _verify(home: Home) -> None:
    with home.archive() as archive:
        report = verify_archive(archive, record=False)
    assert report.ok, (report.chain.problem, report.missing, report.changed, report.unknown, report.pending)


def test_files_dropped_while_stopped_are_filed_at_start_then_events_drive_it(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    license_bytes, card, receipt = license_pdf(serial="A"), id_card_pdf(serial="B"), receipt_pdf("C")
    drop(home.inbox, "营业执照扫描.pdf", license_bytes)
    drop(home.inbox, f"{PERSON}/身份证/IMG_0001.pdf", card)
    drop(home.inbox, "deep/er/sub/folders/借据.pdf", receipt)
    for name in ("~$借款合同.docx", "scan.pdf.part", "download.crdownload", ".hidden.pdf", "Thumbs.db"):
        (home.inbox / name).write_bytes(license_pdf(serial=name))
    log = tmp_path / "watch.log"
    process = _start(home, log)
    try:
        wait_for(lambda: len(documents(home)) == 3, 60, "the files dropped while stopped")
        filed = _filed_paths(home)
        assert filed[hashlib.sha256(card).hexdigest()].startswith(f"{PERSON}-张三/01-基本资料/")
        assert "/06-放款资料/" in filed[hashlib.sha256(receipt).hexdigest()]
        receipt_doc = next(d for d in documents(home) if d.doc_type == "loan-receipt")
        assert receipt_doc.loan_id is not None  # tied to the loan by its 借据 number

        # Now by events: an atomic move-in from elsewhere (only a "created" event), and a temporary
        # download renamed to its final name (only a "moved" event).
        moved = text_pdf(
            ["营业执照", f"统一社会信用代码 {COMPANY}", "法定代表人", "经营范围", "注册资本", "moved"]
        )
        drop(home.inbox, f"{COMPANY}/x.pdf", moved)
        renamed = license_pdf(serial="renamed")
        (home.inbox / "later.pdf.part").write_bytes(renamed)
        os.rename(home.inbox / "later.pdf.part", home.inbox / "later.pdf")
        wait_for(lambda: len(documents(home)) == 5, 60, "the moved-in and renamed files")
    finally:
        assert stop(process) == 0, log_tail(log)
    assert sorted(p.name for p in home.inbox.iterdir()) == sorted(
        [
            "~$借款合同.docx",
            "scan.pdf.part",
            "download.crdownload",
            ".hidden.pdf",
            "Thumbs.db",
            "deep",
            PERSON,
            COMPANY,
        ]
    )
    assert processing(home) == []
    assert {i.outcome for i in items(home)} == {"filed"}
    _verify(home)


def test_a_slow_chunked_write_is_filed_once_and_complete(tmp_path: Path) -> None:
    home = make_home(tmp_path, quiet=0.3)
    log = tmp_path / "watch.log"
    process = _start(home, log)
    content = text_pdf(
        ["营业执照", f"统一社会信用代码 {COMPANY}", "法定代表人", "经营范围", "注册资本", "x" * 4000]
    )
    target = home.inbox / COMPANY / "营业执照" / "slow.pdf"
    target.parent.mkdir(parents=True)
    try:
        # Six chunks, 0.6 s apart: each pause is longer than the quiet period, so only the writer probe
        # (the file is held open for writing throughout) keeps the watcher from taking it early.
        writer = subprocess.run(
            [sys.executable, "-c", SLOW_WRITER, str(target), "0.6"],
            input=content,
            capture_output=True,
            check=True,
        )
        assert writer.stdout.strip() == b"done"
        wait_for(lambda: len(documents(home)) == 1 and not target.exists(), 60, "the slow file")
        time.sleep(1.0)  # a wrong second filing would show up within a quiet period or two
    finally:
        assert stop(process) == 0, log_tail(log)
    (document,) = documents(home)
    assert document.sha256 == hashlib.sha256(content).hexdigest() and document.size == len(content)
    rows = [i for i in items(home) if i.outcome is not None and i.outcome != "gone"]
    assert [(r.outcome, r.name) for r in rows] == [("filed", "slow.pdf")]


BURST = 2000
"""The issue's figure: 2,000 files dropped at once, none lost or doubled. Run at this size on the embedded
default (SQLite), the catalog a single watcher over a scanner's folder runs on out of the box."""
BURST_ON_POSTGRESQL = 500
"""The same burst in the PostgreSQL pass (`make test` runs this folder a second time on a server
catalog). What the issue's size strains is the watcher's side and is the same on either catalog: the
kernel's event queue, the quiet period over a folder still filling, claims of 100 files at a time
(watcher.CLAIM_BATCH) over two workers, the index in batches of 50; that is proven at 2,000 in the SQLite
pass. What the second pass adds is the server catalog under the journal, the filing and the duplicate
check, and 500 files already take them through at least five claims, ten index batches and both workers
at once."""


def _filed_count(archive: Archive) -> int:
    return archive.transaction(
        lambda s: s.execute(
            select(func.count()).select_from(Document).where(Document.state == "filed")
        ).scalar_one(),
        write=False,
    )


def test_a_burst_is_filed_once_each_and_the_same_content_twice_once(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    burst = BURST_ON_POSTGRESQL if pytestconfig.getoption("--catalog") == "postgresql" else BURST
    home = make_home(tmp_path, quiet=0.5)
    log = tmp_path / "watch.log"
    process = _start(home, log)
    contents = {}
    try:
        for n in range(burst):
            body = id_card_pdf(serial=f"burst {n}") if n % 2 else license_pdf(serial=f"burst {n}")
            folder = f"{PERSON}/身份证" if n % 2 else "scanner"
            contents[f"{folder}/{n:04d}.pdf"] = body
        for relative, body in contents.items():
            drop(home.inbox, relative, body)
        # Counted on one open archive, twice a second: opening the archive (its migration check) and
        # loading every filed row ten times a second took 15 s of CPU over 2,000 files (now 3 s), which
        # the watcher lacks when `make test` runs its two passes on two cores.
        with home.archive() as archive:
            wait_for(lambda: _filed_count(archive) == burst, 900, f"{burst} files filed", every=0.5)
        # The same content again, under another name: recorded and removed, not filed twice.
        again = contents["scanner/0000.pdf"]
        drop(home.inbox, "again.pdf", again)
        wait_for(lambda: not (home.inbox / "again.pdf").exists(), 60, "the second drop to be taken")
        wait_for(
            lambda: any(i.outcome == "duplicate" for i in items(home)), 30, "the duplicate to be recorded"
        )
    finally:
        assert stop(process) == 0, log_tail(log)
    filed = documents(home)
    assert len(filed) == burst
    assert {d.sha256 for d in filed} == {hashlib.sha256(b).hexdigest() for b in contents.values()}
    assert sum(1 for i in items(home) if i.outcome == "filed") == burst
    (duplicate,) = [i for i in items(home) if i.outcome == "duplicate"]
    assert duplicate.name == "again.pdf" and duplicate.document_id is not None
    assert processing(home) == []
    with home.archive() as archive:
        events = archive.transaction(
            lambda s: s.query(Event).filter(Event.action == "duplicate").all(), write=False
        )
    assert len(events) == 1 and events[0].details["sha256"] == hashlib.sha256(again).hexdigest()
    _verify(home)


def test_sigterm_gives_back_what_is_not_filed_and_the_next_start_files_it(tmp_path: Path) -> None:
    home = make_home(tmp_path, quiet=0.2)
    contents = {f"scanner/{n:03d}.pdf": license_pdf(serial=f"term {n}") for n in range(100)}
    for relative, body in contents.items():
        drop(home.inbox, relative, body)
    log = tmp_path / "watch.log"
    process = _start(home, log)
    wait_for(lambda: len(documents(home)) >= 1, 60, "the first file filed")
    assert stop(process) == 0, log_tail(log)

    rows = items(home)
    returned = [r for r in rows if r.outcome == "returned"]
    assert returned, "stopping with 100 files in hand gave none back"
    assert all(
        r.outcome in ("filed", "returned") or (r.outcome is None and r.step == "arrived") for r in rows
    )
    assert processing(home) == []
    in_inbox = {p.relative_to(home.inbox).as_posix() for p in home.inbox.rglob("*.pdf")}
    filed = {d.sha256 for d in documents(home)}
    for relative, body in contents.items():
        assert (relative in in_inbox) != (hashlib.sha256(body).hexdigest() in filed), relative

    completed = home.cli("watch", "--once")
    assert completed.returncode == 0, completed.stderr
    assert len(documents(home)) == 100 and not list(home.inbox.rglob("*.pdf"))
    _verify(home)


def test_an_inotify_overflow_is_recovered_by_a_rescan(tmp_path: Path) -> None:
    home = make_home(tmp_path, quiet=0.2, rescan=3600)  # no periodic rescan within the test
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    noise = home.inbox / "noise"
    noise.mkdir()  # before the start, so that it is watched from the start
    log = tmp_path / "watch.log"
    process = _start(home, log)
    try:
        # Freeze the watcher, so that the kernel's event queue fills and overflows while it sleeps; the
        # files dropped last have their events dropped with the overflow.
        os.kill(process.pid, signal.SIGSTOP)
        for n in range(limit // 2 + 200):
            (noise / f"{n}.tmp").touch()  # ignored names, but each is two events in the queue
        contents = {f"after-overflow/{n}.pdf": license_pdf(serial=f"overflow {n}") for n in range(20)}
        for relative, body in contents.items():
            drop(home.inbox, relative, body)
        os.kill(process.pid, signal.SIGCONT)
        wait_for(lambda: len(documents(home)) == 20, 90, "the files whose events were lost")
    finally:
        os.kill(process.pid, signal.SIGCONT)
        assert stop(process) == 0, log_tail(log)
    assert "overflow" in log_tail(log, 100000).lower()


def test_one_watcher_per_home(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    log = tmp_path / "watch.log"
    process = _start(home, log)
    try:
        second = home.cli("watch", "--once", timeout=60)
        assert second.returncode == 2
        assert "another watcher is running" in second.stderr and "已有监视程序" in second.stderr
        assert str(process.pid) in second.stderr
    finally:
        assert stop(process) == 0, log_tail(log)


@pytest.mark.parametrize("poll", ["0.5"])
def test_polling_alone_finds_and_files(tmp_path: Path, poll: str) -> None:
    home = make_home(tmp_path, quiet=0.2)
    log = tmp_path / "watch.log"
    process = _start(home, log, "--poll", poll)
    try:
        assert "a scan every 0.5 s" in log_tail(log)
        drop(home.inbox, f"{COMPANY}/营业执照/a.pdf", license_pdf(serial="poll"))
        wait_for(lambda: len(documents(home)) == 1, 60, "a file found by polling")
    finally:
        assert stop(process) == 0, log_tail(log)
