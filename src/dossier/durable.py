"""Durable files: the one atomic replace, the one folder fsync and the one file hash.

``replacing`` / ``write_atomic``: the new content goes to a temporary file in the target's folder (same file
system, so the rename is atomic), is fsynced, renamed over the target with ``os.replace`` and the folder is
fsynced, so after a crash at any instant the target is either the old file or the complete new one; a
failure removes the temporary file. Filing new documents is a different protocol (a hard link that never
replaces, see archive/filing.py); it reuses ``fsync_dir`` and ``file_sha256`` from here, not the replace.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

TEMP_SUFFIX = ".part"
_SMALL_FILE = 64 * 1024


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (a new or renamed file) survive a power loss."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: Path, *, prefix: str | None = None) -> Iterator[Path]:
    """A new, empty temporary file beside ``path`` for the block to write; when the block ends normally it
    is fsynced and renamed over ``path`` (the folder fsynced), otherwise removed.

    The temporary file is ``<prefix><random>.part`` (``prefix`` defaults to ``.<name>.``) and has the mode
    of the file it replaces, or the one ``open`` gives a new file under the umask.
    """
    path = Path(path)
    start = prefix if prefix is not None else f".{path.name}."
    temp = path.with_name(f"{start}{uuid.uuid4().hex}{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.fchmod(fd, path.stat().st_mode & 0o777)
    finally:
        os.close(fd)
    try:
        yield temp
        fsync_file(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes, *, prefix: str | None = None) -> None:
    """Replace ``path`` with ``data``: afterwards it holds the old content or all of the new, never part."""
    with replacing(path, prefix=prefix) as temp, temp.open("r+b") as fh:
        fh.write(data)


def file_sha256(path: Path, *, follow_symlinks: bool = True) -> str:
    """The file's SHA-256 (hex). With ``follow_symlinks=False`` a symbolic link is refused (OSError),
    so a link swapped in after a scan is never read through."""
    flags = os.O_RDONLY if follow_symlinks else os.O_RDONLY | os.O_NOFOLLOW
    with open(os.open(path, flags), "rb") as fh:
        return sha256_of(fh)


def sha256_of(fh: io.BufferedIOBase) -> str:
    """The SHA-256 (hex) of what an open binary file holds from its current position."""
    # Most archived files are small: one read hashes them whole, sparing file_digest's 256 KiB buffer
    # (allocated per call, it cost more than the hashing); a larger file goes on through file_digest.
    head = fh.read(_SMALL_FILE)
    digest = hashlib.sha256(head)
    if len(head) < _SMALL_FILE:
        return digest.hexdigest()
    return hashlib.file_digest(fh, lambda: digest).hexdigest()
