"""When a file is complete: the quiet period, the second look, and the probe for writers (a lease, or
/proc), each against real files and real writer processes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dossier.inbox.stability import (
    Tracker,
    WriterProbe,
    ignore_lease_breaks,
    lease_probe,
    proc_writers,
)

HOLD = "import sys; f = open(sys.argv[1], sys.argv[2]); print('open', flush=True); sys.stdin.read()"


def _holder(path: Path, mode: str) -> subprocess.Popen[str]:
    """A process holding ``path`` open with ``mode`` until its stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "open"
    return process


def _release(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)


def test_a_file_is_due_only_after_a_quiet_period_and_a_second_look_agrees(tmp_path: Path) -> None:
    tracker = Tracker(tmp_path, quiet_seconds=2.0)
    (tmp_path / "a.pdf").write_bytes(b"one")
    wall = datetime.now(UTC)
    assert tracker.hint("a.pdf", 100.0, wall) is not None
    assert tracker.due(101.9) == []
    (entry,) = tracker.due(102.0)
    assert tracker.second_look(entry, 102.0) is not None

    # Grown since the first look: the quiet period starts again from the second look.
    (tmp_path / "a.pdf").write_bytes(b"one two")
    assert tracker.second_look(entry, 102.0) is None
    assert tracker.due(103.9) == []
    (entry,) = tracker.due(104.0)
    assert tracker.second_look(entry, 104.0) is not None

    # A later event restarts the quiet period, even when the file looks the same.
    tracker.hint("a.pdf", 105.0, wall)
    assert tracker.due(106.5) == [] and tracker.next_due() == 107.0


def test_a_replaced_file_counts_as_changed_and_a_vanished_one_is_gone(tmp_path: Path) -> None:
    tracker = Tracker(tmp_path, quiet_seconds=0.0)
    path = tmp_path / "a.pdf"
    path.write_bytes(b"same size")
    entry = tracker.hint("a.pdf", 0.0, datetime.now(UTC))
    assert entry is not None
    replacement = tmp_path / "b"
    replacement.write_bytes(b"same size")
    replacement.replace(path)  # same size, maybe the same mtime: a new inode all the same
    assert tracker.second_look(entry, 1.0) is None
    path.unlink()
    assert tracker.second_look(entry, 2.0) is None
    assert tracker.hint("a.pdf", 3.0, datetime.now(UTC)) is None  # nothing there to watch


def test_folders_are_never_watched_as_files(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").mkdir()
    assert Tracker(tmp_path, 0.0).hint("scan.pdf", 0.0, datetime.now(UTC)) is None


@pytest.mark.parametrize("mode", ["auto", "proc"])
def test_a_writer_holding_the_file_open_is_seen_and_a_reader_is_not(tmp_path: Path, mode: str) -> None:
    assert ignore_lease_breaks()  # pytest runs tests in the main thread
    path = tmp_path / "slow.pdf"
    path.write_bytes(b"%PDF-1.7 part one")
    probe = WriterProbe(mode)
    writer = _holder(path, "ab")
    try:
        assert probe.busy([path]) == {path}
    finally:
        _release(writer)
    assert probe.busy([path]) == set()
    reader = _holder(path, "rb")
    try:
        assert probe.busy([path]) == set()
    finally:
        _release(reader)


def test_the_lease_and_the_proc_scan_agree(tmp_path: Path) -> None:
    assert ignore_lease_breaks()
    quiet, written = tmp_path / "quiet.pdf", tmp_path / "written.pdf"
    quiet.write_bytes(b"done")
    written.write_bytes(b"going")
    writer = _holder(written, "r+b")
    try:
        # tmpfs and ext4 grant leases: the lease gives a definite answer here.
        assert lease_probe(quiet) is False
        assert lease_probe(written) is True
        assert proc_writers([quiet, written]) == {written}
    finally:
        _release(writer)
    assert lease_probe(written) is False
    assert proc_writers([written]) == set()


def test_no_lease_is_taken_on_a_link_or_a_fifo(tmp_path: Path) -> None:
    import os

    target = tmp_path / "outside.pdf"
    target.write_bytes(b"x")
    (tmp_path / "link.pdf").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.pdf")
    assert lease_probe(tmp_path / "link.pdf") is None
    assert lease_probe(tmp_path / "pipe.pdf") is None  # and it did not block on the FIFO
