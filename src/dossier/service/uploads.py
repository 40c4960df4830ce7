"""Uploaded evidence files kept in a private temporary folder, with bounded memory and a size limit,
until the core has filed them; the folder is removed afterwards whatever happened."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, UploadFile

from dossier.archive.names import check_name
from dossier.errors import DossierError

CHUNK = 1 << 20


@contextmanager
def saved(files: Sequence[UploadFile], max_bytes: int) -> Iterator[list[tuple[Path, str]]]:
    """Each upload as (a path on disk, the name it was sent with)."""
    folder = Path(tempfile.mkdtemp(prefix="dossier-upload-"))
    try:
        kept: list[tuple[Path, str]] = []
        for number, upload in enumerate(files):
            if not upload.filename:
                continue
            try:
                name = check_name(upload.filename, ("evidence file name", "证据文件名"), max_chars=200)
            except DossierError as exc:
                raise HTTPException(422, str(exc)) from None
            target = folder / f"{number:03d}{Path(name).suffix}"
            written = 0
            with target.open("xb") as out:
                while chunk := upload.file.read(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise HTTPException(
                            413,
                            f"evidence (证据) {name!r}: larger than {max_bytes:,} bytes (超过上传大小限制)",
                        )
                    out.write(chunk)
            kept.append((target, name))
        yield kept
    finally:
        shutil.rmtree(folder, ignore_errors=True)
