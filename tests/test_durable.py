"""dossier.durable: the one atomic replace and the one file hash, on real files."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dossier.durable import file_sha256, replacing, write_atomic


def test_write_atomic_replaces_the_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "reason.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reason.json"]


def test_write_atomic_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "contract.docx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failure_while_writing_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "volume.pdf"
    target.write_bytes(b"the old volume")
    with pytest.raises(RuntimeError), replacing(target) as temp:
        temp.write_bytes(b"half of the new")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"the old volume"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["volume.pdf"]


def test_a_process_killed_mid_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """SIGKILL between writing the temporary file and the rename: the target is never partial."""
    target = tmp_path / "export.zip"
    target.write_bytes(b"O" * 100_000)
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from dossier.durable import replacing
        with replacing(Path({str(target)!r})) as temp:
            with temp.open("r+b") as fh:
                fh.write(b"N" * 50_000)
                fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), check=False)
    assert done.returncode == -9
    assert target.read_bytes() == b"O" * 100_000


def test_file_sha256_equals_hashlib_on_a_multi_megabyte_file(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(path, follow_symlinks=False) == hashlib.sha256(data).hexdigest()


def test_file_sha256_refuses_a_symlink_where_asked(tmp_path: Path) -> None:
    real = tmp_path / "real.pdf"
    real.write_bytes(b"%PDF-1.7 content")
    link = tmp_path / "link.pdf"
    link.symlink_to(real)
    assert file_sha256(link) == hashlib.sha256(b"%PDF-1.7 content").hexdigest()
    with pytest.raises(OSError):
        file_sha256(link, follow_symlinks=False)


@pytest.mark.parametrize("size", [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 256 * 1024 + 3])
def test_file_sha256_is_right_on_both_sides_of_the_one_read_size(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
