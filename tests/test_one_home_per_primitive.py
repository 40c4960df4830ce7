"""One home per primitive (issue 15): file locks live in dossier/locks.py, atomic replaces and file hashes
in dossier/durable.py. A second copy anywhere else in src/dossier fails here."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "dossier"

LOCKS = "locks.py"
DURABLE = "durable.py"

OS_REPLACE_ALLOWED: dict[str, str] = {}
"""Files that may call os.replace for something that is not an atomic write, each with its reason."""

HASH_LOOP = re.compile(r"hashlib\.sha256\(\s*\)")
"""An empty hasher that is then fed chunk by chunk: a file-hash loop (hashing one buffer is fine)."""


def _sources() -> list[tuple[str, str]]:
    return [
        (path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(SRC.rglob("*.py"))
    ]


def test_flock_only_in_locks() -> None:
    found = [name for name, text in _sources() if "fcntl.flock" in text and name != LOCKS]
    assert found == []


def test_os_replace_only_in_durable() -> None:
    found = [
        name
        for name, text in _sources()
        if "os.replace(" in text and name != DURABLE and name not in OS_REPLACE_ALLOWED
    ]
    assert found == []


def test_file_hash_loops_only_in_durable() -> None:
    found = [name for name, text in _sources() if HASH_LOOP.search(text) and name != DURABLE]
    assert found == []


def test_one_chunk_size_constant() -> None:
    """``1 << 20`` was the read size of four hash loops; hashlib.file_digest chooses its own."""
    found = [name for name, text in _sources() if re.search(r"^CHUNK\s*=\s*1 << 20", text, re.M)]
    assert found == ["inbox/upload.py"]  # the upload's read size from the request body, not a hash loop
